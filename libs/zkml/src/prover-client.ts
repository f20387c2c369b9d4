// Talks to the separately installed GPL-3.0 prover (apps/zk-prover) over JSON lines on a child process's stdin and
// stdout. Nothing in the main package imports snarkjs or circom2; without the prover installed, `zk` is unavailable.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Groth16Proof } from './groth16-verify';

export class ZkProverUnavailableError extends Error {
  override readonly name = 'ZkProverUnavailableError';
}

export class ZkProvingError extends Error {
  override readonly name = 'ZkProvingError';
}

export interface ProofResult {
  proof: Groth16Proof;
  publicSignals: string[];
  provingMs: number;
}

interface Pending {
  resolve(value: ProofResult): void;
  reject(error: Error): void;
}

/** Where the prover lives: ZK_PROVER_DIR, else apps/zk-prover under the repository root. */
export function defaultProverDir(repoRoot: string): string {
  return resolve(process.env.ZK_PROVER_DIR ?? join(repoRoot, 'apps', 'zk-prover'));
}

export function proverInstalled(proverDir: string): boolean {
  return existsSync(join(proverDir, 'src', 'cli.mjs')) && existsSync(join(proverDir, 'node_modules', 'snarkjs', 'package.json')) && existsSync(join(proverDir, 'node_modules', 'circom2', 'package.json'));
}

export class ZkProverClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited: Error | null = null;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {}

  static async start(proverDir: string): Promise<ZkProverClient> {
    if (!proverInstalled(proverDir)) {
      throw new ZkProverUnavailableError(`the zk prover is not installed at ${proverDir} (cd ${proverDir} && npm ci; it is GPL-3.0 and optional)`);
    }
    const child = spawn(process.execPath, [join(proverDir, 'src', 'cli.mjs'), 'serve'], { cwd: proverDir, stdio: ['pipe', 'pipe', 'pipe'] });
    const client = new ZkProverClient(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    const lines = createInterface({ input: child.stdout });
    const ready = new Promise<void>((resolveReady, rejectReady) => {
      child.once('exit', (code) => {
        client.exited = new ZkProverUnavailableError(`the zk prover exited (code ${code}): ${stderr.trim()}`);
        rejectReady(client.exited);
        for (const waiting of client.pending.values()) waiting.reject(client.exited);
        client.pending.clear();
      });
      lines.on('line', (line) => {
        const message = JSON.parse(line) as { ready?: boolean; id?: number; ok?: boolean; error?: string } & ProofResult;
        if (message.ready) return resolveReady();
        const waiting = message.id === undefined ? undefined : client.pending.get(message.id);
        if (!waiting) return;
        client.pending.delete(message.id!);
        if (message.ok) waiting.resolve({ proof: message.proof, publicSignals: message.publicSignals, provingMs: message.provingMs });
        else waiting.reject(new ZkProvingError(message.error ?? 'proving failed'));
      });
    });
    await ready;
    return client;
  }

  prove(artifacts: { wasm: string; zkey: string }, input: { x: string[]; binding: string }): Promise<ProofResult> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolveProof, rejectProof) => {
      this.pending.set(id, { resolve: resolveProof, reject: rejectProof });
      this.child.stdin.write(`${JSON.stringify({ id, op: 'prove', wasm: artifacts.wasm, zkey: artifacts.zkey, input })}\n`);
    });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolveExit) => this.child.once('exit', () => resolveExit()));
    this.child.stdin.end();
    await exited;
  }
}
