// PersonasService.list against the real test database: keyset pages cover every persona once, a foreign cursor is refused.
import { Test } from '@nestjs/testing';
import { describe, expect, it, inject } from 'vitest';

describe('keyset pages', () => {
  it('pages through personas without gaps or repeats', async () => {
    Object.assign(process.env, { DATABASE_URL: inject('databaseUrl'), REDIS_URL: inject('redisUrl'), REDIS_PREFIX: inject('redisPrefix'), EMBEDDING_MODEL: 'hashing-384', CHAT_MODELS: 'synthetic', DEFAULT_CHAT_MODEL: 'synthetic' });
    const { ConfigModule } = await import('@doppel/config');
    const { DatabaseModule, DATABASE } = await import('@doppel/db');
    const { RedisModule } = await import('@doppel/redis');
    const { PersonasModule, PersonasService } = await import('@doppel/personas');
    const app = await Test.createTestingModule({ imports: [ConfigModule, DatabaseModule, RedisModule, PersonasModule] }).compile();
    const db = app.get(DATABASE);
    const personas = app.get(PersonasService);
    const owner = await db.insertInto('accounts').values({ display_name: 'pager', api_key_prefix: `pg${Date.now()}`.slice(0, 11), api_key_hash: 'a'.repeat(64) }).returning('id').executeTakeFirstOrThrow();
    const made = [];
    for (let i = 0; i < 7; i++) made.push((await personas.create(owner.id, { name: `Pager ${i}` } as never)).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await personas.list(owner.id, { limit: 3, cursor, mine: true });
      seen.push(...page.items.map((item) => item.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen.sort()).toEqual([...made].sort());
    await expect(personas.list(owner.id, { limit: 3, cursor: 'bogus', mine: true })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await app.close();
  }, 120_000);
});
