import { Client } from 'pg';
import type { AppConfig } from '@doppel/config';
import { createDatabase, migrate } from '@doppel/db';

/** Creates the database if it does not exist yet, then applies pending migrations. */
export async function runMigrate(config: AppConfig): Promise<void> {
  await ensureDatabaseExists(config.databaseUrl);
  const db = createDatabase(config.databaseUrl, { maxConnections: 1 });
  try {
    const report = await migrate(db, config.migrationsDir, (line) => console.log(`migrate: ${line}`));
    console.log(`migrate: ${report.applied.length} applied, ${report.alreadyApplied} already in place`);
  } finally {
    await db.destroy();
  }
}

async function ensureDatabaseExists(databaseUrl: string): Promise<void> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) throw new Error('DATABASE_URL names no database');
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`cannot reach PostgreSQL (${(error as Error).message}). Start it (README, "Services") and run again.`);
  }
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      console.log(`migrate: created database ${name}`);
    }
  } finally {
    await client.end();
  }
}
