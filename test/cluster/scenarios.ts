// The failure scenarios of test/cluster/run.sh, against the topology of topology.sh: bounded load through HAProxy
// while gateway hosts die and restart, a worker host dies and a Redis primary dies. Every client tracks its turns
// and checks, turn by turn: tokens arrive in seq order with no gap or repeat (across reconnects and resumes, and
// through a Redis primary that dies with writes its replica never got), the text equals the done event's, every
// accepted turn ends done or failed (loudly), none is left silent. At the end PostgreSQL must agree: every turn of
// these conversations is terminal and was acknowledged to its client, and each client's text is the stored reply.
// Prints a JSON summary (and writes it to CLUSTER_OUT); exits 1 when an invariant broke.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Client } from 'pg';
import { io, type Socket } from 'socket.io-client';
import { CHAT_NAMESPACE, type ChatClientToServerEvents, type ChatServerToClientEvents, type TurnResumeAck, type TurnSendAck } from '@doppel/protocol';

type ChatSocket = Socket<ChatServerToClientEvents, ChatClientToServerEvents>;

const ROOT = resolve(__dirname, '../..');
const URL_LB = process.env.CLUSTER_URL ?? 'http://127.0.0.1:18480';
const DB_URL = process.env.CLUSTER_DB_URL ?? 'postgres://postgres@127.0.0.1:5432/doppel_cluster';
const CLIENTS = Number(process.env.CLUSTER_CLIENTS ?? 24);
const MAX_TOKENS = 30;
const TURN_SILENCE_MS = 60_000;
const OUT = process.env.CLUSTER_OUT;

const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
const topology = (...args: string[]) => execFileSync('bash', [resolve(ROOT, 'test/cluster/topology.sh'), ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
const topologyOutput = (...args: string[]) => execFileSync('bash', [resolve(ROOT, 'test/cluster/topology.sh'), ...args], { encoding: 'utf8' });

interface TrackedTurn {
  clientTurnId: string;
  turnId: string | null;
  attempt: number;
  lastSeq: number;
  text: string;
  acceptedAt: number;
  outcome: 'done' | 'failed' | null;
  errorCode?: string;
  finishedAt?: number;
  /** What this client sent and received about the turn, in order (the last entries go into a violation's message). */
  history: string[];
}

const violations: string[] = [];
const STATE = process.env.CLUSTER_STATE ?? '/tmp/doppel-cluster-test';
const turns: TrackedTurn[] = [];
const refused: Record<string, number> = {};
const completions: number[] = [];
/** turn:send sent again because its ack did not come in 5 s (on the same socket, or after a reconnect). */
let resends = 0;

function violation(turn: TrackedTurn, message: string): void {
  violations.push(`turn ${turn.turnId}: ${message} [${turn.history.slice(-12).join(', ')}]`);
}
let startingTurns = true;

async function post<T>(path: string, body: unknown, apiKey?: string): Promise<T> {
  const response = await fetch(`${URL_LB}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: JSON.stringify(body),
  });
  if (response.status >= 300) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

class LoadClient {
  private socket: ChatSocket | null = null;
  private connecting: Promise<ChatSocket> | null = null;
  private current: TrackedTurn | null = null;
  private onTerminal: (() => void) | null = null;
  disconnectedAt: number | null = null;
  /** Reconnects: ms from the kill that caused them (set by the scenario) to the resumed stream. */
  readonly recoveries: { disconnectedAt: number; reconnectedAt: number; resumedAt: number | null }[] = [];
  private stopped = false;

  constructor(
    private readonly apiKey: string,
    private readonly conversationId: string,
  ) {}

  async run(): Promise<void> {
    while (!this.stopped && startingTurns) {
      await this.turn();
      await sleep(300 + Math.random() * 500);
    }
  }

  stop(): void {
    this.stopped = true;
    this.socket?.close();
  }

  private connected(): Promise<ChatSocket> {
    if (this.socket?.connected) return Promise.resolve(this.socket);
    this.connecting ??= this.connect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async connect(): Promise<ChatSocket> {
    for (;;) {
      const socket: ChatSocket = io(`${URL_LB}${CHAT_NAMESPACE}`, { auth: { token: this.apiKey }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 3000 });
      const ok = await new Promise<boolean>((resolveConnect) => {
        socket.once('connect', () => resolveConnect(true));
        socket.once('connect_error', () => resolveConnect(false));
      });
      if (!ok) {
        socket.close();
        await sleep(200);
        continue;
      }
      this.attach(socket);
      this.socket = socket;
      if (this.disconnectedAt !== null) {
        const recovery = { disconnectedAt: this.disconnectedAt, reconnectedAt: Date.now(), resumedAt: null as number | null };
        this.recoveries.push(recovery);
        this.disconnectedAt = null;
        const turn = this.current;
        if (turn?.turnId && !turn.outcome) {
          const ack = await new Promise<TurnResumeAck | null>((resolveAck) => {
            const timer = setTimeout(() => resolveAck(null), 5000);
            turn.history.push(`resume ${socket.id} after ${turn.lastSeq}`);
            socket.emit('turn:resume', { turnId: turn.turnId!, afterSeq: turn.lastSeq, attempt: turn.attempt }, (result) => {
              clearTimeout(timer);
              resolveAck(result);
            });
          });
          if (ack?.ok) recovery.resumedAt = Date.now();
          else if (ack) violation(turn, `resume refused ${JSON.stringify(ack)}`);
          else {
            socket.close();
            continue;
          }
        } else recovery.resumedAt = recovery.reconnectedAt;
      }
      return socket;
    }
  }

  private attach(socket: ChatSocket): void {
    socket.on('turn:token', (event) => {
      const turn = this.current;
      if (!turn || event.turnId !== turn.turnId) return;
      turn.history.push(`${event.seq}`);
      if (event.seq !== turn.lastSeq + 1) violation(turn, `seq ${event.seq} after ${turn.lastSeq} (attempt ${turn.attempt})`);
      if (event.seq > turn.lastSeq) {
        turn.lastSeq = event.seq;
        turn.text += event.text;
      }
    });
    socket.on('turn:restarted', (event) => {
      const turn = this.current;
      if (!turn || event.turnId !== turn.turnId) return;
      turn.history.push(`restarted ${event.attempt}`);
      turn.attempt = event.attempt;
      turn.lastSeq = -1;
      turn.text = '';
    });
    socket.on('turn:done', (event) => {
      const turn = this.current;
      if (!turn || event.turnId !== turn.turnId || turn.outcome) return;
      turn.history.push('done');
      if (event.text !== turn.text) violation(turn, 'streamed text differs from the done text');
      this.finish(turn, 'done');
    });
    socket.on('turn:error', (event) => {
      const turn = this.current;
      if (!turn || event.turnId !== turn.turnId || turn.outcome) return;
      turn.errorCode = event.code;
      this.finish(turn, 'failed');
    });
    socket.on('disconnect', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped) return;
      this.disconnectedAt = Date.now();
      void this.connected();
    });
  }

  private finish(turn: TrackedTurn, outcome: 'done' | 'failed'): void {
    turn.outcome = outcome;
    turn.finishedAt = Date.now();
    if (outcome === 'done') completions.push(turn.finishedAt);
    this.onTerminal?.();
  }

  private async turn(): Promise<void> {
    const turn: TrackedTurn = { clientTurnId: randomUUID(), turnId: null, attempt: 1, lastSeq: -1, text: '', acceptedAt: 0, outcome: null, history: [] };
    // Sent until acknowledged: a gateway that dies before its ack is asked again through another (same clientTurnId,
    // so the turn is stored once).
    let ack: TurnSendAck | null = null;
    while (!ack && !this.stopped) {
      const socket = await this.connected();
      turn.history.push(`send ${socket.id}`);
      if (turn.history.length > 1) resends++;
      ack = await new Promise<TurnSendAck | null>((resolveAck) => {
        const settle = (result: TurnSendAck | null) => {
          clearTimeout(timer);
          socket.off('disconnect', onDisconnect);
          resolveAck(result);
        };
        const onDisconnect = () => settle(null);
        const timer = setTimeout(() => settle(null), 5000);
        socket.once('disconnect', onDisconnect);
        socket.emit('turn:send', { conversationId: this.conversationId, text: `cluster turn ${turns.length}`, clientTurnId: turn.clientTurnId }, settle);
      });
    }
    if (!ack) return;
    if (!ack.ok) {
      refused[ack.error.code] = (refused[ack.error.code] ?? 0) + 1;
      return;
    }
    turn.turnId = ack.turnId;
    turn.history.push('ack');
    turn.acceptedAt = Date.now();
    turns.push(turn);
    this.current = turn;
    const terminal = new Promise<void>((resolveTerminal) => (this.onTerminal = resolveTerminal));
    const silent = await Promise.race([terminal.then(() => false), sleep(TURN_SILENCE_MS).then(() => true)]);
    this.onTerminal = null;
    if (silent && !turn.outcome) violation(turn, `no done or error within ${TURN_SILENCE_MS} ms (lost silently)`);
  }
}

/** Lines with `needle` in the gateways' logs: holes repaired ('stream gap'), blocked reads replaced ('XREAD gave no answer'). */
function gatewayLogCount(needle: string): number {
  return hostsLogCount(['gw1', 'gw2'], needle);
}

function workerLogCount(needle: string): number {
  return hostsLogCount(['wk1', 'wk2'], needle);
}

function hostsLogCount(hosts: string[], needle: string): number {
  return hosts.reduce((sum, host) => sum + logCount(`${STATE}/logs/${host}.log`, needle), 0);
}

function logCount(path: string, needle: string): number {
  return existsSync(path) ? readFileSync(path, 'utf8').split(needle).length - 1 : 0;
}

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Clients cut off in [since, until): from `since` (the kill) and from their own disconnect to a resumed stream. */
function recoveriesSince(clients: LoadClient[], since: number, until: number) {
  const cut = clients.flatMap((client) => client.recoveries.filter((r) => r.disconnectedAt >= since && r.disconnectedAt < until));
  const resumed = cut.filter((r) => r.resumedAt !== null);
  const fromKill = resumed.map((r) => r.resumedAt! - since);
  const fromDisconnect = resumed.map((r) => r.resumedAt! - r.disconnectedAt);
  const spread = (values: number[]) => ({ p50: percentile(values, 50), p95: percentile(values, 95), max: percentile(values, 100) });
  return { clientsCutOff: cut.length, clientsResumed: resumed.length, fromKillMs: spread(fromKill), fromDisconnectMs: spread(fromDisconnect) };
}

function turnsIn(since: number, until: number) {
  const window = turns.filter((turn) => turn.acceptedAt >= since && turn.acceptedAt < until);
  return { accepted: window.length, done: window.filter((turn) => turn.outcome === 'done').length, failed: window.filter((turn) => turn.outcome === 'failed').length };
}

async function main(): Promise<void> {
  const owner = await post<{ apiKey: string }>('/accounts', { displayName: 'cluster owner' });
  const persona = await post<{ id: string }>('/personas', { name: 'Cluster Ada', visibility: 'public', defaultModel: 'synthetic', generation: { maxTokens: MAX_TOKENS } }, owner.apiKey);
  const clients: LoadClient[] = [];
  const conversationIds: string[] = [];
  for (let index = 0; index < CLIENTS; index++) {
    const account = await post<{ apiKey: string }>('/accounts', { displayName: `cluster client ${index}` });
    const conversation = await post<{ id: string }>('/conversations', { personaId: persona.id }, account.apiKey);
    conversationIds.push(conversation.id);
    clients.push(new LoadClient(account.apiKey, conversation.id));
  }
  // The hosts' logs are appended to across runs: count what this run adds.
  const readerStallsBefore = gatewayLogCount('XREAD gave no answer');
  const started = Date.now();
  const running = clients.map((client) => client.run());
  const phases: Record<string, unknown> = {};
  const log = (message: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);

  await sleep(8000);
  log(`warm: ${turns.length} turns accepted`);

  // 1. A gateway host dies (link cut, every process killed); its clients reconnect through HAProxy and resume.
  let at = Date.now();
  topology('kill-host', 'gw1');
  log('gw1 killed');
  await sleep(8000);
  phases.gatewayHostKill = { ...recoveriesSince(clients, at, Date.now()), turns: turnsIn(at, Date.now()) };
  log(`gateway kill: ${JSON.stringify(phases.gatewayHostKill)}`);
  topology('start-host', 'gw1');
  await sleep(3000);

  // 2. Rolling restart of every gateway (SIGTERM, start again, wait for HAProxy to see it up), under load.
  at = Date.now();
  const rolled: Record<string, unknown> = {};
  for (const gateway of ['gw1', 'gw2']) {
    const stoppedAt = Date.now();
    topology('stop-host', gateway);
    topology('start-host', gateway);
    for (let tries = 0; tries < 50 && !topologyOutput('lb-state').includes(`${gateway} UP`); tries++) await sleep(200);
    log(`${gateway} restarted`);
    await sleep(2000);
    rolled[gateway] = recoveriesSince(clients, stoppedAt, Date.now());
  }
  phases.rollingRestart = { ...rolled, turns: turnsIn(at, Date.now()) };
  log(`rolling restart: ${JSON.stringify(phases.rollingRestart)}`);

  // 3. A worker host dies: its turns move to the other worker when their BullMQ locks expire (turn:restarted).
  at = Date.now();
  const restartedBefore = turns.filter((turn) => turn.attempt > 1).length;
  topology('kill-host', 'wk1');
  log('wk1 killed');
  await sleep(10_000);
  phases.workerHostKill = { turns: turnsIn(at, Date.now()), turnsRestartedOnAnotherNode: turns.filter((turn) => turn.attempt > 1).length - restartedBefore };
  log(`worker kill: ${JSON.stringify(phases.workerHostKill)}`);
  topology('start-host', 'wk1');
  await sleep(3000);

  // 4. A Redis primary dies with writes its replica never got (Redis replication is asynchronous; the script cuts the
  // replica off for 1 s first, so the loss is certain, not luck); the replica is promoted. A live reader reads the
  // entries before they are lost, so the gateway host gw1 dies first: its clients, cut off, resume their turns after
  // the failover from the promoted replica's streams, where the holes are, and the gateway repairs them (counted from
  // the gateways' logs). Measured: kill → the first turn accepted after it is done, the longest pause between two
  // completed turns.
  const primary = topologyOutput('redis', 'status').split('\n').find((line) => line.endsWith('master'))!.split(' ')[0]!;
  const port = primary.split(':')[1]!;
  // The hosts' logs are appended to across runs: count what this phase adds.
  const gapsBefore = gatewayLogCount('stream gap');
  const rewrittenBefore = workerLogCount('the terminal entry was lost');
  const endedFromStoreBefore = gatewayLogCount('is sent from PostgreSQL');
  const gatewayKilledAt = Date.now();
  topology('kill-host', 'gw1');
  log('gw1 killed');
  topologyOutput('redis', 'lose-writes', port, '1000');
  at = Date.now();
  log(`redis primary ${primary} killed, its replica cut off for the last 1 s of its life`);
  await sleep(12_000);
  const after = completions.filter((time) => time >= at).sort((a, b) => a - b);
  const firstNewDone = turns.filter((turn) => turn.acceptedAt >= at && turn.outcome === 'done').map((turn) => turn.finishedAt!).sort((a, b) => a - b)[0];
  const gaps = [after[0] ? after[0] - at : null, ...after.slice(1).map((time, index) => time - after[index]!)].filter((gap): gap is number => gap !== null);
  phases.redisPrimaryKill = {
    killed: primary,
    streamGapsRepairedByGateways: gatewayLogCount('stream gap') - gapsBefore,
    gatewayKill: recoveriesSince(clients, gatewayKilledAt, Date.now()),
    doneEntriesWrittenAgainByWorkers: workerLogCount('the terminal entry was lost') - rewrittenBefore,
    silentStreamsEndedFromPostgresByGateways: gatewayLogCount('is sent from PostgreSQL') - endedFromStoreBefore,
    firstTurnAcceptedAfterKillDoneMs: firstNewDone ? firstNewDone - at : null,
    longestPauseBetweenCompletionsMs: gaps.length ? Math.max(...gaps) : null,
    turns: turnsIn(at, Date.now()),
  };
  log(`redis primary kill: ${JSON.stringify(phases.redisPrimaryKill)}`);
  execFileSync('sh', ['-c', `redis-server ${STATE}/redis/${port}/redis.conf`]);
  topology('start-host', 'gw1');

  // Drain: no new turns; every accepted one must end.
  startingTurns = false;
  const drained = Promise.all(running);
  const progress = setInterval(() => log(`draining: ${turns.filter((turn) => !turn.outcome).length} turns not finished`), 5000);
  await drained;
  clearInterval(progress);
  for (const client of clients) client.stop();

  const db = new Client({ connectionString: DB_URL });
  await db.connect();
  const { rows } = await db.query<{ id: string; status: string; reply: string | null; attempts: number; worker_id: string | null; finished_at: Date | null }>(
    'SELECT t.id, t.status, m.content AS reply, t.attempts, t.worker_id, t.finished_at FROM turns t LEFT JOIN messages m ON m.id = t.assistant_message_id WHERE t.conversation_id = ANY($1)',
    [conversationIds],
  );
  await db.end();
  const tracked = new Map(turns.map((turn) => [turn.turnId, turn]));
  for (const row of rows) {
    const turn = tracked.get(row.id);
    if (!turn) violations.push(`turn ${row.id} is stored (${row.status}) but was never acknowledged to its client`);
    if (row.status !== 'done' && row.status !== 'failed') violations.push(`turn ${row.id} is still ${row.status} in PostgreSQL`);
    if (turn && !turn.outcome) {
      const finished = row.finished_at ? `finished ${(row.finished_at.getTime() - turn.acceptedAt) / 1000} s after its ack` : 'not finished';
      violation(turn, `PostgreSQL has it ${row.status} (attempts ${row.attempts}, worker ${row.worker_id}, ${finished})`);
    }
    if (turn?.outcome === 'done' && turn.text !== row.reply) violation(turn, "the client's streamed text is not the stored reply");
  }
  const byStatus = Object.fromEntries(['done', 'failed'].map((status) => [status, rows.filter((row) => row.status === status).length]));
  const failedCodes: Record<string, number> = {};
  for (const turn of turns) if (turn.outcome === 'failed') failedCodes[turn.errorCode ?? '?'] = (failedCodes[turn.errorCode ?? '?'] ?? 0) + 1;

  const summary = {
    clients: CLIENTS,
    durationS: Math.round((Date.now() - started) / 1000),
    turns: { accepted: turns.length, done: turns.filter((turn) => turn.outcome === 'done').length, failedLoudly: turns.filter((turn) => turn.outcome === 'failed').length, failedCodes, refused, resends, inPostgres: byStatus },
    phases,
    readerStalls: gatewayLogCount('XREAD gave no answer') - readerStallsBefore,
    violations,
  };
  console.log(JSON.stringify(summary, null, 2));
  if (OUT) {
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, `${JSON.stringify(summary, null, 2)}\n`);
  }
  process.exit(violations.length === 0 ? 0 : 1);
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
