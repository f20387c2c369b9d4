// Groth16 keys for a zk-capable model: compiles its circuit (circom2) and runs phase 2 on a powers of tau, writing
// models/<name>/zk/{model.zkey, verification_key.json, setup.json}. Needs the optional prover (apps/zk-prover).
//
//   npm run zk:setup                        # models/doppel-topic-mlp, the deterministic test ceremony (INSECURE)
//   npm run zk:setup -- models/doppel-topic-mlp --ptau powersOfTau28_hez_final_12.ptau --power 12
//                                           # production: a public ceremony's file, checked against its published hash
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compiledCircuit, defaultProverDir, loadZkModel, PRODUCTION_PTAU, setupCircuit, TEST_CEREMONY, verificationKeyHash } from '@doppel/zkml';
import { ensureTestPtau, ZK_WORK_DIR } from './zk-work';

const REPO = resolve(__dirname, '..');

async function main() {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const modelDir = resolve(REPO, args.find((arg, index) => !arg.startsWith('--') && !args[index - 1]?.startsWith('--')) ?? 'models/doppel-topic-mlp');
  const proverDir = defaultProverDir(REPO);
  const model = loadZkModel(modelDir);
  const compiled = await compiledCircuit(model, proverDir, join(ZK_WORK_DIR, 'circuits'));
  console.log(`${model.name}: circuit ${model.circuitHash.slice(0, 16)}…, ${compiled.constraints} constraints, ${compiled.publicSignals} public signals`);

  const productionPtau = flag('ptau');
  let ptauRecord: Record<string, unknown>;
  let ptau: string;
  let ptauBlake2b: string | undefined;
  if (productionPtau) {
    const power = Number(flag('power'));
    ptauBlake2b = flag('ptau-blake2b') ?? PRODUCTION_PTAU.blake2b512[power as keyof typeof PRODUCTION_PTAU.blake2b512];
    if (!ptauBlake2b) throw new Error(`no published hash known for power ${power}: pass --ptau-blake2b`);
    ptau = resolve(productionPtau);
    ptauRecord = { kind: 'public-ceremony', name: `${PRODUCTION_PTAU.name}_${power}.ptau`, blake2b512: ptauBlake2b, insecure: false };
  } else {
    ptau = (await ensureTestPtau(proverDir)).ptau;
    ptauRecord = { kind: 'test-beacon', power: TEST_CEREMONY.power, beacon: TEST_CEREMONY.beacon, insecure: true };
  }
  const zkDir = join(modelDir, 'zk');
  mkdirSync(zkDir, { recursive: true });
  const work = join(ZK_WORK_DIR, 'setup');
  mkdirSync(work, { recursive: true });
  const result = await setupCircuit(proverDir, {
    r1cs: compiled.r1cs,
    ptau,
    ptauBlake2b,
    beaconHex: TEST_CEREMONY.beacon,
    zkey: join(work, `${model.name}.zkey`),
    verificationKey: join(work, `${model.name}.vkey.json`),
  });
  copyFileSync(result.zkey, join(zkDir, 'model.zkey'));
  copyFileSync(result.verificationKey, join(zkDir, 'verification_key.json'));
  const reloaded = loadZkModel(modelDir);
  const setup = {
    model: model.name,
    modelSha256: model.modelHash,
    circuitSha256: model.circuitHash,
    constraints: compiled.constraints,
    publicSignals: compiled.publicSignals,
    ptau: ptauRecord,
    phase2Beacon: TEST_CEREMONY.beacon,
    zkeySha256: result.zkeySha256,
    verificationKeySha256: verificationKeyHash(reloaded.verificationKey!),
  };
  writeFileSync(join(zkDir, 'setup.json'), `${JSON.stringify(setup, null, 2)}\n`);
  console.log(JSON.stringify(setup, null, 2));
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
