import { sql } from 'kysely';
import { createDatabase } from './create-database';
import type { Database } from './database.types';
import { assertMigrationsApplied } from './migrator';

/** Run before an app starts serving or consuming: fails with what to do when the schema is not ready. */
export async function assertSchemaReady(options: { databaseUrl: string; migrationsDir: string }): Promise<void> {
  const db = createDatabase(options.databaseUrl, { maxConnections: 1 });
  try {
    try {
      await sql`SELECT 1`.execute(db);
    } catch (error) {
      throw new Error(`cannot reach PostgreSQL at DATABASE_URL (${(error as Error).message}). Is it running? See README.`);
    }
    await assertMigrationsApplied(db, options.migrationsDir);
  } finally {
    await db.destroy();
  }
}
