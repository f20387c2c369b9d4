// What the parts every turn must pass through cost in CPU on this machine, each alone, with none of Doppel's turn logic
// around them: the BullMQ job (added, fetched, finished), the Redis relay (a turn's entries written by a node's
// TurnStreamPublisher and read by a gateway's TurnStreamReader), and three PostgreSQL autocommit statements (the fewest
// a turn can be stored with: intake, claim, record). Each runs at the `load` preset's pace (~100 turns/s, one job and
// one stream per turn, a turn lasting ~0.8 s) against a Redis server the bench starts for itself (so its CPU is the
// bench's alone) and a scratch database on the local PostgreSQL (its backends' CPU, read from /proc). CPU per turn =
// the bench process + the server over the phase, divided by its turns. Their sum, plus the bare socket.io transport's CPU per turn that `npm run loadtest -- load --baseline` measures, is a
// floor under the runtime's `cpuMsPerTurn`: what a turn costs before it does any work of its own.
//   npm run bench:turn-floor     (BENCH_TURNS_PER_SECOND=100, BENCH_PHASE_SECONDS=10, BENCH_ROUNDS=3 by default; the
//   result is the median of the rounds, each round running every phase once, in turn)
// BENCH_TRANSPORTS=tcp,unix runs every phase over loopback TCP and over Unix sockets (REDIS_URL unix://…, and
// PostgreSQL's socket in PG_SOCKET_DIR, /var/run/postgresql by default), alternating within each round.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import { Client, Pool } from 'pg';
import { JOB_OPTIONS, JobName, turnJobId } from '@doppel/queue';
import { bullConnectionOptions, createRedis } from '@doppel/redis';
import { TurnStreamPublisher, TurnStreamReader } from '@doppel/streaming';
import { cpuMs, machine, median, writeResult } from './bench-support';

const TURNS_PER_SECOND = Number(process.env.BENCH_TURNS_PER_SECOND ?? 100);
const PHASE_SECONDS = Number(process.env.BENCH_PHASE_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** BENCH_ONLY=relay (or bullmq, postgres) runs one phase (the relay with its control), e.g. under a profiler; no result file then. */
const ONLY = process.env.BENCH_ONLY;
type Transport = 'tcp' | 'unix';
const TRANSPORTS = (process.env.BENCH_TRANSPORTS ?? 'tcp').split(',').map((name) => {
  if (name !== 'tcp' && name !== 'unix') throw new Error(`BENCH_TRANSPORTS: "${name}" is neither tcp nor unix`);
  return name as Transport;
});
const PG_SOCKET_DIR = process.env.PG_SOCKET_DIR ?? '/var/run/postgresql';
const WARM_UP_SECONDS = 3;
/** The `load` preset's turn: ~0.8 s from claim to done, 28 tokens at 50 tokens/s after a 150-ms first token, 40-ms chunks. */
const TURN = { ttftMs: 150, tokens: 28, tokensPerSecond: 50, chunkIntervalMs: 40, holdMs: 800 };
/** What a done event carries about time: the size of the entry is what matters here. */
const DONE_TIMINGS = { queueWaitMs: 4, retrievalMs: 0, timeToFirstTokenMs: 151, generationMs: 560, totalMs: 735 };
/** PostgreSQL statements a turn cannot do with fewer: intake, claim, record. */
const STATEMENTS_PER_TURN = 3;

interface PhaseResult {
  turns: number;
  cpuMsPerTurn: { client: number; server: number; total: number };
}

/** Runs `startTurn` TURNS_PER_SECOND times a second for `seconds`, then waits for every turn to end. */
async function paced(seconds: number, startTurn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  const running: Promise<void>[] = [];
  const total = Math.round(TURNS_PER_SECOND * seconds);
  for (let index = 0; index < total; index++) {
    const due = started + (index * 1000) / TURNS_PER_SECOND;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    running.push(startTurn());
  }
  await Promise.all(running);
  return total;
}

/**
 * CPU of this process and of the server's processes per turn, over PHASE_SECONDS of `startTurn` at the pace, after a
 * warm-up that is not counted (modules loaded on first use, JIT, connection pools, the server's caches).
 */
async function measured(serverPids: () => number[], startTurn: () => Promise<void>): Promise<PhaseResult> {
  await paced(WARM_UP_SECONDS, startTurn);
  const serverCpu = () => serverPids().reduce((sum, pid) => sum + cpuMs(pid), 0);
  const pidsBefore = serverPids();
  const server0 = serverCpu();
  const client0 = process.cpuUsage();
  const turns = await paced(PHASE_SECONDS, startTurn);
  const clientDelta = process.cpuUsage(client0);
  if (serverPids().join() !== pidsBefore.join()) throw new Error('the server processes changed during the phase; run the bench again');
  const client = (clientDelta.user + clientDelta.system) / 1000 / turns;
  const server = (serverCpu() - server0) / turns;
  return { turns, cpuMsPerTurn: { client: round(client), server: round(server), total: round(client + server) } };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function startRedis(): Promise<{ urls: Record<Transport, string>; pid: number; process: ChildProcess }> {
  const port = await freePort();
  const socket = join(tmpdir(), `doppel-bench-redis-${port}.sock`);
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let attempt = 0; !(await accepts(port)); attempt++) {
    if (attempt > 50) throw new Error(`redis-server did not start on port ${port}; is it installed (scripts/provision.sh)?`);
    await sleep(100);
  }
  return { urls: { tcp: `redis://127.0.0.1:${port}`, unix: `unix://${socket}` }, pid: child.pid!, process: child };
}

/** A turn's job: added as the gateway adds it, taken and finished by a Worker set up as a node's, held ~0.8 s. */
async function bullmqPhase(redisUrl: string, redisPid: number): Promise<PhaseResult> {
  const connection = bullConnectionOptions(redisUrl);
  const queue = new Queue('turns-bench', { connection, prefix: 'bench:bull' });
  const finished = new Map<string, () => void>();
  const worker = new Worker(
    'turns-bench',
    async (job) => {
      await sleep(TURN.holdMs);
      finished.get(job.id!)?.();
    },
    { connection, prefix: 'bench:bull', concurrency: 256, lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 2 },
  );
  await worker.waitUntilReady();
  try {
    return await measured(
      () => [redisPid],
      async () => {
          const turnId = randomUUID();
          const jobId = turnJobId(turnId);
          const done = new Promise<void>((resolve) => finished.set(jobId, resolve));
          await queue.add(JobName.Turn, { turnId, conversationId: randomUUID(), text: 'How was the lighthouse today?' }, { ...JOB_OPTIONS[JobName.Turn], jobId, attempts: 3 });
          await done;
          finished.delete(jobId);
          // BullMQ finishes the job (moveToFinished) after the processor returns.
          await sleep(20);
      },
    );
  } finally {
    await worker.close();
    await queue.close();
  }
}

/** The synthetic model's pace: a first token after 150 ms, then 50 tokens/s (the timers are the model's, not the relay's). */
async function modelTokens(onToken: (text: string) => void): Promise<string> {
  await sleep(TURN.ttftMs);
  let text = '';
  for (let token = 0; token < TURN.tokens; token++) {
    if (token > 0) await sleep(1000 / TURN.tokensPerSecond);
    const piece = token === 0 ? 'Evening' : ' word';
    text += piece;
    onToken(piece);
  }
  return text;
}

/** The same turns with the model's timers and nothing else: what the relay phase's client CPU holds that is not the relay's. */
async function modelPacePhase(): Promise<PhaseResult> {
  let tokens = 0;
  return measured(
    () => [],
    async () => {
      await modelTokens(() => tokens++);
    },
  );
}

/** A turn's stream: `started`, 28 tokens at the synthetic model's pace coalesced into 40-ms chunks, `done`; read by one gateway reader. */
async function relayPhase(redisUrl: string, redisPid: number): Promise<PhaseResult> {
  const config = { url: redisUrl, prefix: 'bench', clusterNodes: null };
  const nodeRedis = createRedis(config, { name: 'bench-node' });
  const gatewayRedis = createRedis(config, { name: 'bench-gateway' });
  const reader = new TurnStreamReader({ prefix: 'bench', commandRedis: gatewayRedis, openBlocking: (name) => createRedis(config, { blocking: true, name }), cluster: false });
  let received = 0;
  const xreadCalls = async () => Number(/cmdstat_xread:calls=(\d+)/.exec(await gatewayRedis.info('commandstats'))?.[1] ?? 0);
  try {
    const readsBefore = await xreadCalls();
    const result = await measured(
      () => [redisPid],
      async () => {
          const turnId = randomUUID();
          const ended = new Promise<void>((resolve) =>
            reader.follow(turnId, (event) => {
              received++;
              if (event.type === 'done') resolve();
            }),
          );
          const publisher = new TurnStreamPublisher(nodeRedis, 'bench', turnId, 600, TURN.chunkIntervalMs);
          publisher.started('bench-node', 1);
          const text = await modelTokens((piece) => publisher.token(piece));
          await publisher.finish({ type: 'done', messageId: randomUUID(), userMessageId: randomUUID(), alternatives: 1, text, usage: { promptTokens: 40, completionTokens: TURN.tokens }, timings: DONE_TIMINGS, verification: null });
          await ended;
      },
    );
    const turnsRun = result.turns + WARM_UP_SECONDS * TURNS_PER_SECOND;
    return { ...result, entriesPerTurn: round(received / turnsRun), readsPerTurn: round(((await xreadCalls()) - readsBefore) / turnsRun) } as PhaseResult;
  } finally {
    await reader.close();
    nodeRedis.disconnect();
    gatewayRedis.disconnect();
  }
}

/** One autocommit INSERT of a narrow row, the least a statement of the turn path costs (parse once, bind, execute, commit). */
async function postgresPhase(transport: Transport): Promise<PhaseResult> {
  const tcpAdminUrl = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const adminUrl = transport === 'unix' ? `${tcpAdminUrl}?host=${encodeURIComponent(PG_SOCKET_DIR)}` : tcpAdminUrl;
  const name = 'doppel_bench_turn_floor';
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = new Pool({ connectionString: url.toString(), max: 8, idleTimeoutMillis: 0 });
  // The scratch database is dropped WITH (FORCE) at the end: a connection still closing then is told so, harmlessly.
  pool.on('error', () => undefined);
  try {
    await pool.query('CREATE TABLE rows (id uuid PRIMARY KEY, conversation_id uuid NOT NULL, body text NOT NULL, at timestamptz NOT NULL DEFAULT now())');
    // Open every connection first, so the phase sees the same backends from start to end.
    const clients = await Promise.all(Array.from({ length: 8 }, () => pool.connect()));
    const backendPids = await Promise.all(clients.map(async (client) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid));
    clients.forEach((client) => client.release());
    const result = await measured(
      () => backendPids,
      async () => {
          for (let statement = 0; statement < STATEMENTS_PER_TURN; statement++) {
            await pool.query({ name: 'insert-row', text: 'INSERT INTO rows (id, conversation_id, body) VALUES ($1, $2, $3)', values: [randomUUID(), randomUUID(), 'How was the lighthouse today?'] });
          }
      },
    );
    return { ...result, statementsPerTurn: STATEMENTS_PER_TURN } as PhaseResult;
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

type PhaseName = 'bullmq' | 'relay' | 'modelPace' | 'postgres';

/** The round's result of each phase, and across rounds the median of each (the machine is shared: rounds differ). */
function medianOf(results: PhaseResult[]): PhaseResult {
  const at = (pick: (result: PhaseResult) => number) => round(median(results.map(pick)));
  return {
    ...results[0]!,
    cpuMsPerTurn: { client: at((r) => r.cpuMsPerTurn.client), server: at((r) => r.cpuMsPerTurn.server), total: at((r) => r.cpuMsPerTurn.total) },
  };
}

async function main(): Promise<void> {
  console.log(`turn floor: ${TURNS_PER_SECOND} turns/s, ${PHASE_SECONDS} s per phase, ${ROUNDS} rounds, over ${TRANSPORTS.join(' and ')}; starting a Redis of its own…`);
  const redis = await startRedis();
  const phasesOver = (transport: Transport): { name: PhaseName; label: string; run: () => Promise<PhaseResult> }[] => [
    { name: 'bullmq', label: 'a BullMQ job per turn', run: () => bullmqPhase(redis.urls[transport], redis.pid) },
    { name: 'relay', label: 'the Redis relay (TurnStreamPublisher → TurnStreamReader)', run: () => relayPhase(redis.urls[transport], redis.pid) },
    { name: 'modelPace', label: "the model's pace alone (timers the relay phase also ran)", run: modelPacePhase },
    { name: 'postgres', label: `${STATEMENTS_PER_TURN} PostgreSQL autocommit statements`, run: () => postgresPhase(transport) },
  ];
  const chosen = (transport: Transport) =>
    phasesOver(transport).filter((phase) => !ONLY || phase.name === ONLY || (ONLY === 'relay' && phase.name === 'modelPace'));
  const rounds = new Map<string, PhaseResult[]>();
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const transport of TRANSPORTS) {
        for (const phase of chosen(transport)) {
          const result = await phase.run();
          const key = `${transport}:${phase.name}`;
          rounds.set(key, [...(rounds.get(key) ?? []), result]);
          const { turns: _turns, cpuMsPerTurn, ...counts } = result;
          console.log(`  round ${round}, ${transport}, ${phase.label}: ${JSON.stringify(cpuMsPerTurn)} ms per turn ${Object.keys(counts).length ? JSON.stringify(counts) : ''}`);
        }
      }
    }
    if (ONLY) return;
    const floors = Object.fromEntries(TRANSPORTS.map((transport) => [transport, floorOver(transport, rounds)]));
    const path = await writeResult('turn-floor', {
      machine: machine(),
      pace: { turnsPerSecond: TURNS_PER_SECOND, phaseSeconds: PHASE_SECONDS, rounds: ROUNDS, turn: TURN },
      // The first transport's figures at the top level, as before transports were a choice.
      ...floors[TRANSPORTS[0]!]!,
      transports: floors,
      rounds: Object.fromEntries(rounds),
    });
    console.log(`wrote ${path}`);
  } finally {
    redis.process.kill('SIGTERM');
  }
}

/** The medians of one transport's rounds, printed, and the floor they add up to. */
function floorOver(transport: Transport, rounds: Map<string, PhaseResult[]>) {
  const [bullmq, relay, modelPace, postgres] = (['bullmq', 'relay', 'modelPace', 'postgres'] as const).map((name) => medianOf(rounds.get(`${transport}:${name}`)!));
  const relayAlone = round(relay!.cpuMsPerTurn.total - modelPace!.cpuMsPerTurn.total);
  const sum = round(bullmq!.cpuMsPerTurn.total + relayAlone + postgres!.cpuMsPerTurn.total);
  console.log(
    `turn floor over ${transport} (medians of ${ROUNDS} rounds): ${sum} ms of CPU per turn in these parts alone (BullMQ ${bullmq!.cpuMsPerTurn.total} + relay ${relayAlone} without the model's timers + PostgreSQL ${postgres!.cpuMsPerTurn.total}), before the socket.io transport (the harness's baseline server) and any turn logic`,
  );
  return { medians: { bullmq, relay, modelPace, postgres, relayAloneCpuMsPerTurn: relayAlone }, cpuMsPerTurn: sum };
}

main().catch((error: unknown) => {
  console.error(`turn floor bench failed: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
