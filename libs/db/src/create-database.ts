import { createHash } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import { Pool, types, type PoolClient, type QueryConfig } from 'pg';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import type { Database } from './database.types';

// bigint (int8) columns such as messages.position arrive as strings; keep them strings so nothing overflows.
types.setTypeParser(types.builtins.INT8, (value) => value);

export interface DatabaseOptions {
  maxConnections?: number;
  /** How long a query waits for a free connection before it is refused as overload (5 s). */
  connectionWaitMs?: number;
}

export function createDatabase(databaseUrl: string, options: DatabaseOptions = {}): Kysely<Database> {
  const connectionWaitMs = options.connectionWaitMs ?? 5000;
  const pool = new Pool({
    connectionString: databaseUrl,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: connectionWaitMs,
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool, connectionWaitMs) }) });
}

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
