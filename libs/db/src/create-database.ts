import { Kysely, PostgresDialect } from 'kysely';
import { Pool, types } from 'pg';
import type { Database } from './database.types';

// bigint (int8) columns such as messages.position arrive as strings; keep them strings so nothing overflows.
types.setTypeParser(types.builtins.INT8, (value) => value);

export function createDatabase(databaseUrl: string, options: { maxConnections?: number } = {}): Kysely<Database> {
  const pool = new Pool({
    connectionString: databaseUrl,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 5000,
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
