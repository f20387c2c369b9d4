// The GPL-3.0 side of Doppel's zk level: circom2 (the circom compiler built to wasm) and snarkjs. The main package
// talks to this only through the command line and JSON lines on stdin/stdout (see cli.mjs).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as snarkjs from 'snarkjs';
import { getCurveFromName } from 'ffjavascript';

const require = createRequire(import.meta.url);
const run = promisify(execFile);

const versionOf = (name) => JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
export const VERSIONS = { circom2: versionOf('circom2'), snarkjs: versionOf('snarkjs'), ffjavascript: versionOf('ffjavascript') };

export async function sha256File(path, algorithm = 'sha256') {
  return createHash(algorithm).update(await readFile(path)).digest('hex');
}

/** circom2 → <outDir>/<name>.r1cs and <outDir>/<name>_js/<name>.wasm (the witness generator). */
export async function compileCircuit(circuitPath, outDir) {
  await mkdir(outDir, { recursive: true });
  const name = basename(circuitPath, '.circom');
  const cli = require.resolve('circom2/cli.js');
  const { stdout } = await run(process.execPath, [cli, resolve(circuitPath), '--r1cs', '--wasm', '-o', resolve(outDir)], {
    cwd: dirname(resolve(circuitPath)),
    maxBuffer: 64 * 1024 * 1024,
  });
  const info = await snarkjs.r1cs.info(join(outDir, `${name}.r1cs`));
  return {
    r1cs: join(outDir, `${name}.r1cs`),
    wasm: join(outDir, `${name}_js`, `${name}.wasm`),
    constraints: info.nConstraints,
    wires: info.nVars,
    publicSignals: info.nOutputs + info.nPubInputs,
    log: stdout,
  };
}

/**
 * A deterministic, INSECURE powers-of-tau for tests: a fresh accumulator with only a public beacon applied, so
 * anyone can recompute tau. Same power and beacon → the same file, byte for byte, on any machine.
 */
export async function beaconPtau(power, beaconHex, outPath) {
  const curve = await getCurveFromName('bn128');
  const work = `${outPath}.work`;
  await mkdir(dirname(outPath), { recursive: true });
  try {
    await snarkjs.powersOfTau.newAccumulator(curve, power, `${work}.0`);
    await snarkjs.powersOfTau.beacon(`${work}.0`, `${work}.1`, 'doppel-test-beacon', beaconHex, 10);
    await snarkjs.powersOfTau.preparePhase2(`${work}.1`, `${work}.2`);
    await rename(`${work}.2`, outPath);
  } finally {
    await rm(`${work}.0`, { force: true });
    await rm(`${work}.1`, { force: true });
  }
  return { ptau: outPath, sha256: await sha256File(outPath) };
}

/**
 * Groth16 phase 2 for one circuit: the circuit-specific key from a prepared ptau, finished with a beacon. Checks the
 * ptau against its published hash first when one is given (production: a public ceremony's final file, whose
 * blake2b-512 snarkjs's README publishes).
 */
export async function setupCircuit({ r1cs, ptau, ptauSha256, ptauBlake2b, beaconHex, zkeyPath, verificationKeyPath }) {
  for (const [algorithm, expected] of [['sha256', ptauSha256], ['blake2b512', ptauBlake2b]]) {
    if (!expected) continue;
    const actual = await sha256File(ptau, algorithm);
    if (actual !== expected.toLowerCase()) throw new Error(`ptau ${ptau} has ${algorithm} ${actual}, expected ${expected}`);
  }
  const initial = `${zkeyPath}.0`;
  try {
    await snarkjs.zKey.newZKey(r1cs, ptau, initial);
    await snarkjs.zKey.beacon(initial, zkeyPath, 'doppel-beacon', beaconHex, 10);
  } finally {
    await rm(initial, { force: true });
  }
  const verificationKey = await snarkjs.zKey.exportVerificationKey(zkeyPath);
  await writeFile(verificationKeyPath, `${JSON.stringify(verificationKey, null, 1)}\n`);
  return { zkey: zkeyPath, verificationKey: verificationKeyPath, zkeySha256: await sha256File(zkeyPath) };
}

const zkeyCache = new Map();

async function zkeyBytes(path) {
  let cached = zkeyCache.get(path);
  if (!cached) {
    cached = { type: 'mem', data: new Uint8Array(await readFile(path)) };
    zkeyCache.set(path, cached);
  }
  return cached;
}

/** input: { x: [field element strings] }. */
export async function prove({ wasm, zkey, input }) {
  const started = performance.now();
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(input, wasm, await zkeyBytes(zkey));
  return { proof, publicSignals, provingMs: performance.now() - started };
}

export async function verify({ verificationKey, publicSignals, proof }) {
  const key = typeof verificationKey === 'string' ? JSON.parse(await readFile(verificationKey, 'utf8')) : verificationKey;
  return snarkjs.groth16.verify(key, publicSignals, proof);
}

export async function terminate() {
  const curve = globalThis.curve_bn128;
  if (curve) await curve.terminate();
}
