import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Kysely, PostgresDialect } from 'kysely';
import { Pool, types, type PoolClient, type PoolConfig, type QueryConfig } from 'pg';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import type { Database } from './database.types';

// bigint (int8) columns such as messages.position arrive as strings; keep them strings so nothing overflows.
types.setTypeParser(types.builtins.INT8, (value) => value);

export interface DatabaseOptions {
  maxConnections?: number;
  /** How long a query waits for a free connection before it is refused as overload (5 s). */
  connectionWaitMs?: number;
}

/**
 * How long a connection may sit idle before the pool closes it. A new PostgreSQL connection is a new server process
 * that fills its catalog caches and prepares every statement again; with pg-pool's 10 s default, the pools closed and
 * reopened connections all through a load test's bursts (229 sessions in a 4-minute `load` run for 60 pooled
 * connections, 64 with this setting; backends that had exited, most of them closed connections, had used 43 ms/s of
 * PostgreSQL's CPU, a tenth of it).
 */
const IDLE_CONNECTION_MS = 5 * 60_000;

export function poolConfig(databaseUrl: string, options: DatabaseOptions = {}): PoolConfig {
  return {
    connectionString: databaseUrl,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectionWaitMs ?? 5000,
    idleTimeoutMillis: IDLE_CONNECTION_MS,
  };
}

export function createDatabase(databaseUrl: string, options: DatabaseOptions = {}): Kysely<Database> {
  const config = poolConfig(databaseUrl, options);
  const pool = new Pool(config);
  survivesLostConnections(pool);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool, config.connectionTimeoutMillis!) }) });
}

/**
 * A connection the server ends (a restart, a failover, an administrator, a dropped database) is an 'error' event on
 * the pool when the connection is idle, and on its client when checked out between two queries: with no listener,
 * Node ends the whole process. The pool drops an idle one itself and a query on a lost one fails on its own, so here
 * they are only logged; the next query gets a new connection.
 */
function survivesLostConnections(pool: Pool): void {
  const lost = (error: Error) => logger.warn(`a database connection was lost (${error.message}); the next query opens a new one`);
  pool.on('error', lost);
  pool.on('connect', (client) => client.on('error', lost));
}

const logger = new Logger('Database');

/**
 * Every parameterised query runs as a named prepared statement (named by its SQL text's hash), so each connection
 * parses and plans a query shape once instead of on every execution: at thousands of turns that planning was most
 * of PostgreSQL's CPU. Queries without parameters (migrations, DDL, several statements at once) run as they are, and
 * so do those with many (multi-row inserts, long IN lists: their shapes vary with the row count, and a connection
 * would keep a plan for each).
 */
function preparingPool(pool: Pool, connectionWaitMs: number): Pool {
  const prepared = new WeakSet<PoolClient>();
  const connect = pool.connect.bind(pool) as () => Promise<PoolClient>;
  const preparingConnect = async (): Promise<PoolClient> => {
    const client = await connect().catch((error: unknown) => {
      throw isPoolWaitTimeout(pool, error) ? poolBusy(pool, connectionWaitMs) : error;
    });
    if (!prepared.has(client)) {
      prepared.add(client);
      const query = client.query.bind(client) as (config: QueryConfig) => Promise<unknown>;
      (client as { query: unknown }).query = (text: string | QueryConfig, values?: unknown[]) =>
        typeof text === 'string' && values && values.length > 0 && values.length <= MAX_PREPARED_PARAMETERS ? query({ name: statementName(text), text, values }) : query(typeof text === 'string' ? { text, values } : text);
    }
    return client;
  };
  return new Proxy(pool, { get: (target, property) => (property === 'connect' ? preparingConnect : Reflect.get(target, property, target)) });
}

/**
 * Every connection stayed busy while a query waited: the database is saturated, which callers answer as overload
 * (retryable; this query stored nothing), not as an internal error.
 */
function poolBusy(pool: Pool, connectionWaitMs: number): DoppelError {
  return new DoppelError(ErrorCode.Overloaded, `The database is saturated (all ${pool.totalCount} connections busy for ${connectionWaitMs} ms); this request stored nothing. Retry in a few seconds.`, {
    retryAfterSeconds: 2,
  });
}

/** pg-pool's own error for a connect that waited past connectionTimeoutMillis (a failed connect says why instead). */
function isPoolWaitTimeout(pool: Pool, error: unknown): boolean {
  return error instanceof Error && error.message === 'timeout exceeded when trying to connect' && pool.totalCount > 0;
}

const MAX_PREPARED_PARAMETERS = 64;
const names = new Map<string, string>();

function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `q${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`;
    if (names.size < 10_000) names.set(text, name);
  }
  return name;
}
