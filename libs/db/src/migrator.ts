// Applies numbered plain-SQL migrations from migrations/ in order, each in its own transaction, once.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Database } from './database.types';

const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;
/** Arbitrary constant: serialises concurrent migrators (two workers starting together, say). */
const MIGRATION_LOCK_KEY = 7_431_209;

export interface MigrationFile {
  version: string;
  name: string;
  checksum: string;
  sqlText: string;
}

export async function readMigrationFiles(migrationsDir: string): Promise<MigrationFile[]> {
  const names = (await readdir(migrationsDir)).filter((name) => name.endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  for (const name of names) {
    const match = MIGRATION_FILE.exec(name);
    if (!match) throw new Error(`migrations/${name}: name must look like 0001_some_change.sql`);
    const sqlText = await readFile(join(migrationsDir, name), 'utf8');
    const twin = files.find((file) => file.version === match[1]);
    // Two branches that each added "the next" migration: the ledger is keyed by version, so one would never run.
    if (twin) throw new Error(`migrations/${twin.name} and migrations/${name} share version ${match[1]}: renumber the newer one`);
    files.push({ version: match[1]!, name, checksum: createHash('sha256').update(sqlText).digest('hex'), sqlText });
  }
  return files;
}

async function ensureLedger(db: Kysely<Database>): Promise<void> {
  await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
    version text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
}

export interface MigrationReport {
  applied: string[];
  alreadyApplied: number;
}

export async function migrate(
  db: Kysely<Database>,
  migrationsDir: string,
  onProgress: (line: string) => void = () => {},
): Promise<MigrationReport> {
  const files = await readMigrationFiles(migrationsDir);
  return db.connection().execute(async (connection) => {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(connection);
    try {
      await ensureLedger(connection);
      const done = new Map(
        (await connection.selectFrom('schema_migrations').select(['version', 'checksum']).execute()).map((row) => [
          row.version,
          row.checksum,
        ]),
      );
      const applied: string[] = [];
      for (const file of files) {
        const knownChecksum = done.get(file.version);
        if (knownChecksum !== undefined) {
          if (knownChecksum !== file.checksum) {
            throw new Error(
              `migrations/${file.name} changed after it was applied. Migrations are append-only: revert the edit and add a new numbered file.`,
            );
          }
          continue;
        }
        onProgress(`applying ${file.name}`);
        await connection.transaction().execute(async (trx) => {
          await sql.raw(file.sqlText).execute(trx);
          await trx.insertInto('schema_migrations').values({ version: file.version, checksum: file.checksum }).execute();
        });
        applied.push(file.name);
      }
      return { applied, alreadyApplied: files.length - applied.length };
    } finally {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(connection);
    }
  });
}

/** Start-up check: refuses to run against a schema that is behind (or ahead of) the code. */
export async function assertMigrationsApplied(db: Kysely<Database>, migrationsDir: string): Promise<void> {
  const files = await readMigrationFiles(migrationsDir);
  let appliedVersions: string[];
  try {
    appliedVersions = (await db.selectFrom('schema_migrations').select('version').execute()).map((row) => row.version);
  } catch {
    throw new Error('The database has no schema_migrations table. Run `npm run migrate` first.');
  }
  const pending = files.filter((file) => !appliedVersions.includes(file.version)).map((file) => file.name);
  if (pending.length > 0) {
    throw new Error(`The database is missing migrations ${pending.join(', ')}. Run \`npm run migrate\` first.`);
  }
}
