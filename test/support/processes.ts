// Starts the real gateway and worker processes (from dist/) for end-to-end suites, and stops them.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Wallet } from 'ethers';
import Redis, { Cluster } from 'ioredis';
import { inject } from 'vitest';

const ROOT = resolve(__dirname, '../..');
export const FAULT_TRIGGER = 'FAULT-INJECTED-BY-TEST';
/** How long a started process may take to say it is ready; raise it (TEST_READY_TIMEOUT_MS) on a crowded machine. */
const READY_TIMEOUT_MS = Number(process.env.TEST_READY_TIMEOUT_MS ?? 60_000);
export const MAX_MESSAGE_CHARS = 500;

/**
 * A client of the Redis the started processes use: the test Redis, or the cluster they were pointed at
 * (TEST_REDIS_CLUSTER_NODES), so a suite that reads or deletes their keys works in both runs.
 */
export function stackRedis(): Redis | Cluster {
  const nodes = process.env.TEST_REDIS_CLUSTER_NODES;
  if (!nodes) return new Redis(inject('redisUrl'));
  return new Cluster(
    nodes.split(',').map((node) => {
      const at = node.lastIndexOf(':');
      return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
    }),
  );
}

export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: inject('databaseUrl'),
    REDIS_URL: inject('redisUrl'),
    REDIS_PREFIX: inject('redisPrefix'),
    // `TEST_REDIS_CLUSTER_NODES=… vitest run test/chaos.e2e-spec.ts` runs a suite's processes on a Redis Cluster
    // (test/cluster/run.sh does; suites that read Redis themselves need one Redis).
    ...(process.env.TEST_REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES: process.env.TEST_REDIS_CLUSTER_NODES } : {}),
    MIGRATIONS_DIR: resolve(ROOT, 'migrations'),
    LOG_LEVEL: 'warn',
    GATEWAY_PORT: '0',
    SYNTHETIC_TTFT_MS: '20',
    SYNTHETIC_TOKENS_PER_SECOND: '200',
    SYNTHETIC_FAULT_TRIGGER: FAULT_TRIGGER,
    // The fast, deterministic load-testing backends unless a suite asks for the ONNX models.
    CHAT_MODELS: 'synthetic',
    EMBEDDING_MODEL: 'hashing-384',
    DEFAULT_CHAT_MODEL: 'synthetic',
    STREAM_CHUNK_INTERVAL_MS: '10',
    MAX_MESSAGE_CHARS: String(MAX_MESSAGE_CHARS),
    MAX_BODY_BYTES: '65536',
    HEARTBEAT_INTERVAL_MS: '300',
    HEARTBEAT_TTL_MS: '1500',
    ...overrides,
  };
}

export interface RunningProcess {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export function startNode(entry: string, env: Record<string, string>, readyPattern: RegExp): Promise<{ process: RunningProcess; match: RegExpMatchArray }> {
  const script = resolve(ROOT, entry);
  if (!existsSync(script)) throw new Error(`${entry} is missing: run \`npm run build\` before the end-to-end tests (npm test does).`);
  const child = spawn(process.execPath, [script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const running: RunningProcess = {
    child,
    output: () => output,
    stop: () =>
      new Promise<void>((resolveStop) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
        const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(killTimer);
          resolveStop();
        });
        child.kill('SIGTERM');
      }),
  };
  return new Promise((resolveStart, rejectStart) => {
    const timer = setTimeout(() => rejectStart(new Error(`${entry} did not become ready in ${READY_TIMEOUT_MS / 1000} s:\n${output}`)), READY_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(readyPattern);
      if (match) {
        clearTimeout(timer);
        resolveStart({ process: running, match });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      rejectStart(new Error(`${entry} exited with ${code} before it was ready:\n${output}`));
    });
  });
}

export async function startGateway(env: Record<string, string>): Promise<RunningProcess & { url: string }> {
  const { process: gateway, match } = await startNode('dist/apps/gateway/main.js', env, /listening on (http:\/\/\S+)/);
  return { ...gateway, url: match[1]!.replace('[::1]', '127.0.0.1') };
}

export async function startWorker(workerId: string, env: Record<string, string>): Promise<RunningProcess> {
  const nodeKey = env.NODE_PRIVATE_KEY ?? Wallet.createRandom().privateKey;
  const { process: worker } = await startNode('dist/apps/worker/main.js', { ...env, WORKER_ID: workerId, NODE_PRIVATE_KEY: nodeKey }, /ready \(concurrency/);
  return worker;
}

/** Polls until the check passes (returns truthy) or the time is up; never a fixed sleep. */
export async function waitFor<T>(check: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const result = await check();
      if (result) return result;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

export interface Stack {
  url: string;
  gateway: RunningProcess;
  workers: RunningProcess[];
  stop: () => Promise<void>;
}

/** One gateway and N workers, ready when /health/ready reports every worker. */
export async function startStack(workerIds: string[], overrides: Record<string, string> = {}): Promise<Stack> {
  const env = testEnv(overrides);
  const [gateway, ...workers] = await Promise.all([startGateway(env), ...workerIds.map((workerId) => startWorker(workerId, env))]);
  const stack: Stack = {
    url: gateway!.url,
    gateway: gateway!,
    workers,
    stop: async () => {
      await Promise.all([gateway!.stop(), ...workers.map((worker) => worker.stop())]);
    },
  };
  await waitFor(async () => {
    const response = await fetch(`${stack.url}/health/ready`);
    const body = (await response.json()) as { workers: { nodeId: string }[] };
    return response.status === 200 && workerIds.every((workerId) => body.workers.some((worker) => worker.nodeId === workerId));
  }, 'the gateway to report every worker ready');
  return stack;
}
