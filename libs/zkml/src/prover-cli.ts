// One-shot commands of the separately installed prover (compile a circuit, a test ceremony, a circuit's setup), run
// as child processes: the main package never loads its GPL-3.0 code.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { proverInstalled, ZkProverUnavailableError } from './prover-client';

const run = promisify(execFile);

async function proverCommand<T>(proverDir: string, args: string[]): Promise<T> {
  if (!proverInstalled(proverDir)) throw new ZkProverUnavailableError(`the zk prover is not installed at ${proverDir} (cd ${proverDir} && npm ci; it is GPL-3.0 and optional)`);
  const { stdout } = await run(process.execPath, [join(proverDir, 'src', 'cli.mjs'), ...args], { cwd: proverDir, maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as T;
}

export interface CompiledCircuit {
  r1cs: string;
  wasm: string;
  constraints: number;
  wires: number;
  publicSignals: number;
}

export function compileCircuit(proverDir: string, circuitPath: string, outDir: string): Promise<CompiledCircuit> {
  return proverCommand(proverDir, ['compile', circuitPath, outDir]);
}

/** The insecure, deterministic test ceremony (see apps/zk-prover/README.md). */
export function testPtau(proverDir: string, power: number, beaconHex: string, outPath: string): Promise<{ ptau: string; sha256: string }> {
  return proverCommand(proverDir, ['ptau-beacon', '--power', String(power), '--beacon', beaconHex, outPath]);
}

export function setupCircuit(
  proverDir: string,
  options: { r1cs: string; ptau: string; ptauSha256?: string; ptauBlake2b?: string; beaconHex: string; zkey: string; verificationKey: string },
): Promise<{ zkey: string; verificationKey: string; zkeySha256: string }> {
  const args = ['setup', '--r1cs', options.r1cs, '--ptau', options.ptau, '--beacon', options.beaconHex, '--zkey', options.zkey, '--vkey', options.verificationKey];
  if (options.ptauSha256) args.push('--ptau-sha256', options.ptauSha256);
  if (options.ptauBlake2b) args.push('--ptau-blake2b', options.ptauBlake2b);
  return proverCommand(proverDir, args);
}
