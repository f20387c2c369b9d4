// Once per test run: a fresh test database with every migration applied, and a Redis prefix of its own.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '@doppel/config';
import { createDatabase, migrate } from '@doppel/db';
import { ModelRegistry, ModelsRepository } from '@doppel/models';

const ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE_NAME = process.env.TEST_DATABASE_NAME ?? 'doppel_test';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    /** Admin connection and the migrated template that medium specs copy into a database of their own (test/support/medium.ts). */
    adminDatabaseUrl: string;
    templateDatabase: string;
    redisUrl: string;
    redisPrefix: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect().catch((error: Error) => {
    throw new Error(`tests need PostgreSQL at ${ADMIN_URL} (${error.message}); run scripts/provision.sh first`);
  });
  await admin.query(`DROP DATABASE IF EXISTS "${DATABASE_NAME}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${DATABASE_NAME}"`);
  await admin.end();

  const adminUrl = new URL(ADMIN_URL);
  adminUrl.pathname = `/${DATABASE_NAME}`;
  const databaseUrl = adminUrl.toString();
  const db = createDatabase(databaseUrl, { maxConnections: 1 });
  await migrate(db, resolve(__dirname, '../../migrations'));
  const config = loadConfig({ DATABASE_URL: databaseUrl, MODELS_DIR: resolve(__dirname, '../../models') });
  await new ModelRegistry(new ModelsRepository(db), config).syncBuiltIns();
  await db.destroy();
  // A copy taken now, before any suite connects, so medium specs can each clone a clean migrated database in
  // well under a second instead of migrating their own.
  const templateDatabase = `${DATABASE_NAME}_template`;
  const templating = new Client({ connectionString: ADMIN_URL });
  await templating.connect();
  await templating.query(`DROP DATABASE IF EXISTS "${templateDatabase}" WITH (FORCE)`);
  await templating.query(`CREATE DATABASE "${templateDatabase}" TEMPLATE "${DATABASE_NAME}"`);
  await templating.end();

  const redisPrefix = `doppeltest${randomBytes(4).toString('hex')}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  await redis.ping().catch((error: Error) => {
    throw new Error(`tests need Redis at ${REDIS_URL} (${error.message}); run scripts/provision.sh first`);
  });
  await redis.quit();

  project.provide('databaseUrl', databaseUrl);
  project.provide('adminDatabaseUrl', ADMIN_URL);
  project.provide('templateDatabase', templateDatabase);
  project.provide('redisUrl', REDIS_URL);
  project.provide('redisPrefix', redisPrefix);

  return async () => {
    const cleanup = new Redis(REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await cleanup.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await cleanup.del(...keys);
    } while (cursor !== '0');
    await cleanup.quit();
  };
}
