// What the servers behind the target did in a run, per ok turn: Redis's commands (INFO commandstats) and
// PostgreSQL's commits, WAL and statements (pg_stat_database, pg_stat_wal, pg_stat_statements where the database has
// it). Each is read before and after the run and subtracted, never reset: the servers may be shared with others.
import Redis from 'ioredis';
import pg from 'pg';

export interface CommandCounts {
  calls: number;
  usec: number;
}

export interface PostgresSnapshot {
  commits: number;
  rollbacks: number;
  walRecords: number;
  walBytes: number;
  walWrites: number;
  walSyncs: number;
  /** By queryid; or why there are none (pg_stat_statements not installed, or not preloaded). */
  statements: Map<string, StatementCounts> | string;
}

export interface StatementCounts {
  query: string;
  calls: number;
  totalMs: number;
  /** Plans made and their time: 0 unless the server tracks planning (pg_stat_statements.track_planning). */
  plans: number;
  planMs: number;
}

export interface RedisCommandCost {
  command: string;
  calls: number;
  callsPerTurn: number;
  /**
   * Redis's own time in the command, per ok turn (INFO's usec: execution only, not parsing or the socket). A script's
   * time (`evalsha`) includes the commands it ran, which INFO also counts on their own: the figures overlap, so they
   * are not summed.
   */
  usPerTurn: number;
}

export interface PostgresStatementCost {
  query: string;
  calls: number;
  callsPerTurn: number;
  msPerTurn: number;
  meanMs: number;
  /**
   * Where the server tracks planning: the share of calls that made a plan (a prepared statement should plan a few
   * times per connection, then reuse its plan) and the planning time per ok turn, on top of msPerTurn.
   */
  plansPerCall?: number;
  planMsPerTurn?: number;
}

export interface ServerStats {
  redis?: { commands: RedisCommandCost[] };
  postgres?: {
    commitsPerTurn: number;
    rollbacksPerTurn: number;
    walRecordsPerTurn: number;
    walBytesPerTurn: number;
    walWritesPerTurn: number;
    /** WAL flushes (fdatasync and the like) per ok turn: a commit waits for one unless a neighbour's covered it. */
    walSyncsPerTurn: number;
    /** The statements that took the most execution time, or why there are none. */
    statements: PostgresStatementCost[] | string;
    /** pg_stat_wal is for the whole server, whatever database the URL names. */
    scope: string;
  };
  /** A server that could not be read (the run's numbers stand without it). */
  errors: string[];
}

const TOP_STATEMENTS = 12;
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** INFO commandstats → calls and usec per command (`cmdstat_xadd:calls=3,usec=12,…`). */
export function parseCommandStats(info: string): Map<string, CommandCounts> {
  const counts = new Map<string, CommandCounts>();
  for (const line of info.split(/\r?\n/)) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
    if (match) counts.set(match[1]!, { calls: Number(match[2]), usec: Number(match[3]) });
  }
  return counts;
}

export function redisCost(before: Map<string, CommandCounts>, after: Map<string, CommandCounts>, okTurns: number): NonNullable<ServerStats['redis']> {
  const turns = Math.max(1, okTurns);
  const commands: RedisCommandCost[] = [];
  for (const [command, now] of after) {
    const then = before.get(command) ?? { calls: 0, usec: 0 };
    const calls = now.calls - then.calls;
    // A CONFIG RESETSTAT during the run makes the counts fall: the difference would be meaningless.
    if (calls <= 0) continue;
    commands.push({ command, calls, callsPerTurn: round(calls / turns), usPerTurn: round((now.usec - then.usec) / turns, 1) });
  }
  commands.sort((a, b) => b.usPerTurn - a.usPerTurn);
  return { commands };
}

export function postgresCost(before: PostgresSnapshot, after: PostgresSnapshot, okTurns: number): NonNullable<ServerStats['postgres']> {
  const turns = Math.max(1, okTurns);
  const per = (key: 'commits' | 'rollbacks' | 'walRecords' | 'walBytes' | 'walWrites' | 'walSyncs', digits = 2) => round((after[key] - before[key]) / turns, digits);
  const unread = [before.statements, after.statements].find((value): value is string => typeof value === 'string');
  let statements: PostgresStatementCost[] | string = unread ?? [];
  if (typeof before.statements !== 'string' && typeof after.statements !== 'string') {
    const costs: PostgresStatementCost[] = [];
    for (const [id, now] of after.statements) {
      const then = before.statements.get(id) ?? { calls: 0, totalMs: 0, plans: 0, planMs: 0 };
      const calls = now.calls - then.calls;
      if (calls <= 0) continue;
      const totalMs = now.totalMs - then.totalMs;
      const cost: PostgresStatementCost = { query: now.query, calls, callsPerTurn: round(calls / turns), msPerTurn: round(totalMs / turns, 3), meanMs: round(totalMs / calls, 3) };
      const plans = now.plans - then.plans;
      if (plans > 0) Object.assign(cost, { plansPerCall: round(plans / calls), planMsPerTurn: round((now.planMs - then.planMs) / turns, 3) });
      costs.push(cost);
    }
    statements = costs.sort((a, b) => b.msPerTurn - a.msPerTurn).slice(0, TOP_STATEMENTS);
  }
  return {
    commitsPerTurn: per('commits'),
    rollbacksPerTurn: per('rollbacks'),
    walRecordsPerTurn: per('walRecords', 1),
    walBytesPerTurn: per('walBytes', 0),
    walWritesPerTurn: per('walWrites'),
    walSyncsPerTurn: per('walSyncs'),
    statements,
    scope: 'commits and statements: the URL\'s database; WAL: the whole server',
  };
}

/** Reads the servers named by --redis-stats and --pg-stats; `finish` gives the differences per ok turn. */
export class ServerStatsReader {
  private redisBefore: Map<string, CommandCounts> | null = null;
  private postgresBefore: PostgresSnapshot | null = null;
  private readonly errors: string[] = [];

  constructor(private readonly urls: { redis?: string; postgres?: string }) {}

  async start(): Promise<void> {
    this.redisBefore = await this.attempt('Redis', () => readRedis(this.urls.redis));
    this.postgresBefore = await this.attempt('PostgreSQL', () => readPostgres(this.urls.postgres));
  }

  async finish(okTurns: number): Promise<ServerStats | undefined> {
    if (!this.urls.redis && !this.urls.postgres) return undefined;
    const stats: ServerStats = { errors: this.errors };
    const redisAfter = this.redisBefore && (await this.attempt('Redis', () => readRedis(this.urls.redis)));
    if (this.redisBefore && redisAfter) stats.redis = redisCost(this.redisBefore, redisAfter, okTurns);
    const postgresAfter = this.postgresBefore && (await this.attempt('PostgreSQL', () => readPostgres(this.urls.postgres)));
    if (this.postgresBefore && postgresAfter) stats.postgres = postgresCost(this.postgresBefore, postgresAfter, okTurns);
    return stats;
  }

  private async attempt<T>(server: string, read: () => Promise<T | null>): Promise<T | null> {
    try {
      return await read();
    } catch (error) {
      this.errors.push(`${server}: ${(error as Error).message}`);
      return null;
    }
  }
}

async function readRedis(url: string | undefined): Promise<Map<string, CommandCounts> | null> {
  if (!url) return null;
  const options = { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 };
  // REDIS_URL's forms (libs/config): a unix:///path/to/redis.sock URL is a socket path to ioredis.
  const parsed = new URL(url);
  const redis = parsed.protocol === 'unix:' ? new Redis({ ...options, path: decodeURIComponent(parsed.pathname) }) : new Redis(url, options);
  try {
    await redis.connect();
    return parseCommandStats(await redis.info('commandstats'));
  } finally {
    redis.disconnect();
  }
}

async function readPostgres(url: string | undefined): Promise<PostgresSnapshot | null> {
  if (!url) return null;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const database = await client.query<{ commits: string; rollbacks: string }>(
      'SELECT xact_commit AS commits, xact_rollback AS rollbacks FROM pg_stat_database WHERE datname = current_database()',
    );
    const wal = await client.query<{ records: string; bytes: string; writes: string; syncs: string }>(
      'SELECT wal_records AS records, wal_bytes AS bytes, wal_write AS writes, wal_sync AS syncs FROM pg_stat_wal',
    );
    const [db, w] = [database.rows[0]!, wal.rows[0]!];
    const statements = await readStatements(client);
    return {
      commits: Number(db.commits),
      rollbacks: Number(db.rollbacks),
      walRecords: Number(w.records),
      walBytes: Number(w.bytes),
      walWrites: Number(w.writes),
      walSyncs: Number(w.syncs),
      statements,
    };
  } finally {
    await client.end();
  }
}

async function readStatements(client: pg.Client): Promise<PostgresSnapshot['statements']> {
  const installed = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'");
  if (!installed.rowCount) return 'pg_stat_statements is not installed in this database (the private PostgreSQL of loadtest/stack.sh has it)';
  try {
    const rows = await client.query<{ queryid: string; query: string; calls: string; total_ms: number; plans: string; plan_ms: number }>(
      `SELECT queryid::text, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) AS query, calls, total_exec_time AS total_ms,
              plans, total_plan_time AS plan_ms
         FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    return new Map(
      rows.rows.map((row) => [row.queryid, { query: row.query, calls: Number(row.calls), totalMs: Number(row.total_ms), plans: Number(row.plans), planMs: Number(row.plan_ms) }]),
    );
  } catch (error) {
    // Installed but not in shared_preload_libraries: the view exists and refuses to be read.
    return `pg_stat_statements could not be read: ${(error as Error).message}`;
  }
}
