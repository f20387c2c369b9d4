import { sql, type Kysely } from 'kysely';
import { createDatabase } from './create-database';
import type { Database } from './database.types';
import { assertMigrationsApplied } from './migrator';

/** The embedder's dimension must equal the column's, or every memory insert would fail. */
export async function assertEmbeddingDimension(db: Kysely<Database>, dimensions: number): Promise<void> {
  const { rows } = await sql<{ dims: number }>`
    SELECT atttypmod AS dims FROM pg_attribute
    WHERE attrelid = 'memories'::regclass AND attname = 'embedding'`.execute(db);
  const columnDims = rows[0]?.dims;
  if (columnDims !== dimensions) {
    throw new Error(
      `memories.embedding is vector(${columnDims}) but the embedding model produces ${dimensions} dimensions. ` +
        'Set EMBEDDING_DIM to match, or add a migration that changes the column.',
    );
  }
}

/** Run before an app starts serving or consuming: fails with what to do when the schema is not ready. */
export async function assertSchemaReady(options: { databaseUrl: string; migrationsDir: string; embeddingDimensions: number }): Promise<void> {
  const db = createDatabase(options.databaseUrl, { maxConnections: 1 });
  try {
    try {
      await sql`SELECT 1`.execute(db);
    } catch (error) {
      throw new Error(`cannot reach PostgreSQL at DATABASE_URL (${(error as Error).message}). Is it running? See README.`);
    }
    await assertMigrationsApplied(db, options.migrationsDir);
    await assertEmbeddingDimension(db, options.embeddingDimensions);
  } finally {
    await db.destroy();
  }
}
