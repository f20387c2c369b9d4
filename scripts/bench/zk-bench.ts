// What level zk costs: for the shipped doppel-topic-mlp and two larger MLPs of the same shape (~1k and ~10k
// parameters), the circuit's constraints, Groth16 proving time p50/p95 (witness + proof, in the prover process),
// proof size, verification time (noble in this package, and gas in the EVM), and proving ÷ plain inference
// (onnxruntime on the float graph). Keys come from the deterministic test ceremony (power 12: circuits up to 4,096
// constraints; a 50k-parameter model needs power 15 and is left out). Needs the optional prover (apps/zk-prover).
//
//   npm run bench:zk            (ZK_BENCH_PROOFS=N proofs per model, default 12)
//   ZK_BENCH_MODELS=mlp-50k ZK_BENCH_LARGE_PTAU=models/.work/zk/test-beacon-14.ptau npm run bench:zk
//                               (only the named models; written to zk-<names>.json so zk.json keeps the full run)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { mulberry32 } from '@doppel/inference';
import {
  bindingOf,
  compiledCircuit,
  defaultProverDir,
  evaluateFixed,
  encodeInput,
  loadZkModel,
  mlpToOnnx,
  parameterCount,
  readMlp,
  runAttachment,
  setupCircuit,
  solidityProofWords,
  solidityVerifierSource,
  TEST_CEREMONY,
  verifyGroth16,
  witnessInputOf,
  ZkProverClient,
  type Mlp,
  type ZkModel,
} from '@doppel/zkml';
import { deployZkVerifier } from '../../test/support/zk-evm';
import { ensureTestPtau, ZK_WORK_DIR } from '../zk-work';
import { machine, median, percentile, writeResult } from './bench-support';

const REPO = resolve(__dirname, '../..');
const PROOFS = Number(process.env.ZK_BENCH_PROOFS ?? 12);
const INFERENCE_RUNS = 2000;


function unitVectors(count: number, seed: number): Float32Array[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const values = Array.from({ length: 100 }, () => random() * 2 - 1);
    const norm = Math.hypot(...values);
    return Float32Array.from(values, (value) => value / norm);
  });
}

/** 100 → hidden → 4 with He-scaled weights on the 2^-12 grid: the shipped model's shape, wider. */
function syntheticModel(name: string, hidden: number): string {
  const random = mulberry32(hidden);
  const snap = (value: number) => Math.round(value * 4096) / 4096;
  const layer = (outputs: number, inputs: number) => Array.from({ length: outputs }, () => Array.from({ length: inputs }, () => snap((random() * 2 - 1) * Math.sqrt(6 / inputs))));
  const mlp: Mlp = {
    inputName: 'embedding',
    outputName: 'scores',
    inputSize: 100,
    layers: [
      { weights: layer(hidden, 100), bias: Array.from({ length: hidden }, () => snap(random() * 0.1)), activation: 'relu' },
      { weights: layer(4, hidden), bias: [0, 0, 0, 0], activation: 'hardsigmoid' },
    ],
  };
  const dir = join(ZK_WORK_DIR, 'bench', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), mlpToOnnx(mlp, 'doppel zk-bench'));
  const config = { name, task: 'bench', input: { kind: 'reply-embedding', embeddingModel: 'none', dimensions: 100 }, labels: ['a', 'b', 'c', 'd'], fixedPoint: { fractionBits: 12, inputLimit: 1 } };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

async function inferenceMs(model: ZkModel, vectors: Float32Array[]) {
  const session = await ort.InferenceSession.create(join(model.dir, 'model.onnx'), { intraOpNumThreads: 1 });
  const ortTimes: number[] = [];
  const fixedTimes: number[] = [];
  for (let run = 0; run < INFERENCE_RUNS; run++) {
    const vector = vectors[run % vectors.length]!;
    const started = performance.now();
    await session.run({ embedding: new ort.Tensor('float32', vector, [1, 100]) });
    ortTimes.push(performance.now() - started);
    const fixedStarted = performance.now();
    evaluateFixed(model.quantized, encodeInput(model.quantized, vector));
    fixedTimes.push(performance.now() - fixedStarted);
  }
  await session.release();
  return { onnxruntimeP50: median(ortTimes.slice(100)), fixedPointJsP50: median(fixedTimes.slice(100)) };
}

async function measure(model: ZkModel, zkeyPath: string, proverDir: string, client: ZkProverClient) {
  const compiled = await compiledCircuit(model, proverDir, join(ZK_WORK_DIR, 'circuits'));
  const key = JSON.parse(readFileSync(zkeyPath.replace(/\.zkey$/, '.vkey.json'), 'utf8'));
  const vectors = unitVectors(PROOFS + 1, 7);
  const provingMs: number[] = [];
  const roundTripMs: number[] = [];
  const verifyMs: number[] = [];
  let proofBytes = 0;
  let gas = 0n;
  const verifier = await deployZkVerifier(solidityVerifierSource(key), { optimize: true });
  for (let index = 0; index <= PROOFS; index++) {
    const attachment = runAttachment(model, vectors[index]!);
    const started = performance.now();
    const result = await client.prove({ wasm: compiled.wasm, zkey: zkeyPath }, witnessInputOf(attachment.input.map(BigInt), bindingOf(`0x${index.toString(16).padStart(64, '0')}`)));
    const roundTrip = performance.now() - started;
    const verifyStarted = performance.now();
    const valid = verifyGroth16(key, result.publicSignals, result.proof);
    const verifyTime = performance.now() - verifyStarted;
    if (!valid) throw new Error(`${model.name}: a proof did not verify`);
    if (index === 0) {
      // The first proof loads the key and the witness generator: reported apart, not in the percentiles.
      const onchain = await verifier.verifyProof(solidityProofWords(result.proof), result.publicSignals);
      if (!onchain.valid) throw new Error(`${model.name}: the EVM verifier refused a valid proof`);
      gas = onchain.gasUsed;
      proofBytes = Buffer.byteLength(JSON.stringify(result.proof));
      continue;
    }
    provingMs.push(result.provingMs);
    roundTripMs.push(roundTrip);
    verifyMs.push(verifyTime);
  }
  const inference = await inferenceMs(model, vectors);
  return {
    model: model.name,
    parameters: parameterCount(readMlp(readFileSync(join(model.dir, 'model.onnx')))),
    constraints: compiled.constraints,
    wires: compiled.wires,
    publicSignals: compiled.publicSignals,
    proofs: provingMs.length,
    provingMsP50: median(provingMs),
    provingMsP95: percentile(provingMs, 95),
    proverRoundTripMsP50: median(roundTripMs),
    proofBytesJson: proofBytes,
    proofBytesRaw: 256,
    verifyMsP50Noble: median(verifyMs),
    verifyGasEvm: Number(gas),
    inferenceMsP50Onnxruntime: inference.onnxruntimeP50,
    inferenceMsP50FixedPointJs: inference.fixedPointJsP50,
    provingOverInference: median(provingMs) / inference.onnxruntimeP50,
  };
}

async function main() {
  const proverDir = defaultProverDir(REPO);
  let ptau: string | null = null;
  const loadBefore = loadavg()[0];
  // 100·h + h + 4·h + 4 parameters: h = 476 gives 49,984.
  const models = [resolve(REPO, 'models/doppel-topic-mlp'), syntheticModel('mlp-1k', 10), syntheticModel('mlp-10k', 96), syntheticModel('mlp-50k', 476)];
  const largePtau = process.env.ZK_BENCH_LARGE_PTAU ? resolve(process.env.ZK_BENCH_LARGE_PTAU) : null;
  const only = process.env.ZK_BENCH_MODELS?.split(',').map((name) => name.trim()).filter(Boolean) ?? null;
  const client = await ZkProverClient.start(proverDir);
  const rows = [];
  try {
    for (const dir of models) {
      const model = loadZkModel(dir);
      if (only && !only.includes(model.name)) continue;
      const compileStarted = performance.now();
      const compiled = await compiledCircuit(model, proverDir, join(ZK_WORK_DIR, 'circuits'));
      const compileMs = performance.now() - compileStarted;
      const fits = compiled.constraints <= 2 ** TEST_CEREMONY.power;
      if (!fits && !largePtau) {
        const needed = Math.ceil(Math.log2(compiled.constraints));
        const row = {
          model: model.name,
          parameters: parameterCount(readMlp(readFileSync(join(model.dir, 'model.onnx')))),
          constraints: compiled.constraints,
          wires: compiled.wires,
          publicSignals: compiled.publicSignals,
          compileMs,
          proofs: 0,
          notProven: `needs a powers-of-tau of power ${needed} (2^${needed} constraints); the test ceremony here is power ${TEST_CEREMONY.power}. Set ZK_BENCH_LARGE_PTAU to a prepared ptau of power >= ${needed} to prove it.`,
        };
        rows.push(row);
        console.log(`${row.model.padEnd(18)} params ${String(row.parameters).padStart(6)}  constraints ${String(row.constraints).padStart(5)}  not proven: ${row.notProven}`);
        continue;
      }
      const setupDir = join(ZK_WORK_DIR, 'bench-keys');
      mkdirSync(setupDir, { recursive: true });
      const setupStarted = performance.now();
      const keys = await setupCircuit(proverDir, { r1cs: compiled.r1cs, ptau: fits ? (ptau ??= (await ensureTestPtau(proverDir)).ptau) : largePtau!, beaconHex: TEST_CEREMONY.beacon, zkey: join(setupDir, `${model.name}.zkey`), verificationKey: join(setupDir, `${model.name}.vkey.json`) });
      const setupMs = performance.now() - setupStarted;
      const row = { ...(await measure(model, keys.zkey, proverDir, client)), setupMs, compileMs };
      rows.push(row);
      console.log(
        `${row.model.padEnd(18)} params ${String(row.parameters).padStart(6)}  constraints ${String(row.constraints).padStart(5)}  prove p50 ${row.provingMsP50.toFixed(0)} ms p95 ${row.provingMsP95.toFixed(0)} ms  verify ${row.verifyMsP50Noble.toFixed(0)} ms / ${row.verifyGasEvm} gas  inference ${row.inferenceMsP50Onnxruntime.toFixed(3)} ms  ratio ${row.provingOverInference.toFixed(0)}x`,
      );
    }
  } finally {
    await client.close();
  }
  const path = await writeResult(only ? `zk-${only.join('-')}` : 'zk', {
    machine: machine(),
    ceremony: { kind: 'test-beacon (insecure, deterministic)', power: TEST_CEREMONY.power, largePtau: largePtau ? { path: largePtau.replace(`${REPO}/`, ''), note: 'a beacon ptau of the power the large circuits need, made like the test ceremony (INSECURE)' } : null },
    proofsPerModel: PROOFS,
    loadAverage1m: { before: loadBefore, after: loadavg()[0] },
    notes: 'provingMs: witness generation + Groth16 proof inside the prover process (snarkjs 0.7.6, wasm witness from circom2 0.2.23), first proof excluded; verify: @noble/curves pairing in this process; gas: the generated Solidity verifier in @ethereumjs/evm; inference: onnxruntime-node session.run on the float graph, 1 thread.',
    models: rows,
  });
  console.log(`wrote ${path}`);
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
