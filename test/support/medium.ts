// Medium tests: one service or repository against the real test PostgreSQL and Redis, without starting the
// gateway or a worker. Each spec file gets a database of its own, cloned from the migrated template that
// global-setup.ts makes (TEST_DATABASE_NAME + '_m_' + the spec's name), and a Redis prefix of its own under the run's.
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Global, Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type Redis from 'ioredis';
import { sql, type Kysely, type Updateable } from 'kysely';
import { Client } from 'pg';
import { inject } from 'vitest';
import { APP_CONFIG, loadConfig, type AppConfig } from '@doppel/config';
import { DATABASE, DatabaseModule, type Database, type TurnsTable } from '@doppel/db';
import { REDIS, RedisModule } from '@doppel/redis';

export interface MediumOptions {
  /** Names the spec's database and Redis prefix: lower-case letters, digits and '-'. */
  name: string;
  imports?: (Type<unknown> | DynamicModule)[];
  providers?: Provider[];
  /** Environment variables on top of the test defaults (as the processes would read them). */
  env?: Record<string, string>;
}

export interface Medium {
  module: TestingModule;
  db: Kysely<Database>;
  redis: Redis;
  config: AppConfig;
  get<T>(token: Type<T> | symbol): T;
  /** Closes the module (its shutdown hooks run) and drops the spec's database. */
  close(): Promise<void>;
}

/** A Nest testing module holding the given modules and providers, wired to a fresh migrated database and real Redis. */
export async function mediumTest(options: MediumOptions): Promise<Medium> {
  if (!/^[a-z0-9-]{1,40}$/.test(options.name)) throw new Error(`medium test name "${options.name}": use [a-z0-9-], at most 40 characters`);
  const template = inject('templateDatabase');
  const databaseName = `${template.replace(/_template$/, '')}_m_${options.name.replace(/-/g, '_')}`;
  const databaseUrl = await cloneTemplate(template, databaseName);

  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '4',
    REDIS_URL: inject('redisUrl'),
    // The run's prefix (global teardown deletes everything under it) plus a short mark of this spec.
    REDIS_PREFIX: `${inject('redisPrefix')}${options.name.replace(/-/g, '').slice(0, 12)}`,
    MODELS_DIR: resolve(__dirname, '../../models'),
    ...options.env,
  });

  @Global()
  @Module({ providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] })
  class TestConfigModule {}

  const module = await Test.createTestingModule({
    imports: [TestConfigModule, DatabaseModule, RedisModule, ...(options.imports ?? [])],
    providers: options.providers ?? [],
  }).compile();
  await module.init();

  return {
    module,
    db: module.get<Kysely<Database>>(DATABASE),
    redis: module.get<Redis>(REDIS),
    config,
    get: <T>(token: Type<T> | symbol) => module.get<T>(token, { strict: false }),
    close: async () => {
      await module.close();
      await dropDatabase(databaseName);
    },
  };
}

async function cloneTemplate(template: string, databaseName: string): Promise<string> {
  const adminUrl = inject('adminDatabaseUrl');
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${databaseName}" TEMPLATE "${template}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${databaseName}`;
  return url.toString();
}

async function dropDatabase(databaseName: string): Promise<void> {
  const admin = new Client({ connectionString: inject('adminDatabaseUrl') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** An account row as a fixture (its key is never used: medium tests call services directly). */
export async function seedAccount(db: Kysely<Database>, displayName = 'Zed'): Promise<string> {
  const prefix = Math.random().toString(36).slice(2, 10).padEnd(8, '0');
  const row = await db
    .insertInto('accounts')
    .values({ display_name: displayName, api_key_prefix: prefix, api_key_hash: 'unused', roles: ['consumer', 'creator'] })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * A turn as a worker leaves it once its reply is stored: the user message, the turn, the reply, the turn done and
 * finished `finishedSecondsAgo` before now; `done` adds columns the record statement sets (node, model, tokens…).
 */
export async function seedFinishedTurn(
  db: Kysely<Database>,
  turn: { conversationId: string; consumerId: string; userText: string; replyText: string; finishedSecondsAgo?: number; done?: Updateable<TurnsTable> },
): Promise<{ turnId: string; userMessageId: string; replyId: string }> {
  const { persona_version_id } = await db.selectFrom('conversations').select('persona_version_id').where('id', '=', turn.conversationId).executeTakeFirstOrThrow();
  const user = await db.insertInto('messages').values({ conversation_id: turn.conversationId, role: 'user', content: turn.userText }).returning('id').executeTakeFirstOrThrow();
  const { id: turnId } = await db
    .insertInto('turns')
    .values({ conversation_id: turn.conversationId, consumer_id: turn.consumerId, persona_version_id, client_turn_id: randomUUID(), user_message_id: user.id, kind: 'send' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const reply = await db
    .insertInto('messages')
    .values({ conversation_id: turn.conversationId, role: 'assistant', content: turn.replyText, turn_id: turnId, reply_to: user.id })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .updateTable('turns')
    .set({ ...turn.done, status: 'done', assistant_message_id: reply.id, finished_at: sql<Date>`now() - make_interval(secs => ${turn.finishedSecondsAgo ?? 0})` })
    .where('id', '=', turnId)
    .execute();
  // As TurnRepository.complete records it: a turn made with an embedding model owes its memories.
  const embeddingModel = turn.done?.embedding_model_id;
  if (typeof embeddingModel === 'string') {
    await db
      .insertInto('memory_backlog')
      .values({ turn_id: turnId, conversation_id: turn.conversationId, embedding_model: embeddingModel, finished_at: sql<Date>`now() - make_interval(secs => ${turn.finishedSecondsAgo ?? 0})` })
      .execute();
  }
  return { turnId, userMessageId: user.id, replyId: reply.id };
}
