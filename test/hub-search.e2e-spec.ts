// Hub search over the 90-card seed catalogue (../shared/fixtures/model-hub), against the real database and the
// deployment's embedding model: exact filters, typo correction, soft constraints, highlights, and the ranking
// quality on the held-out judgments staying above plain BM25.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import Redis from 'ioredis';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '@doppel/config';
import type { Database } from '@doppel/db';
import { HubEmbedder, HubRepository, HubSearchRepository, HubSearchService, HubService, importCardFolder, type HubSearchHit } from '@doppel/hub';
import { ModelRegistry, ModelsRepository } from '@doppel/models';
import { nodeRegistryFor, NodesRepository } from '@doppel/nodes';
import { bm25Ranking, buildBm25Index } from '../scripts/bench/hub-bm25';
import { testDatabase } from './support/database';

const CARDS = resolve(__dirname, '../../shared/fixtures/model-hub/cards');
const HAVE_CARDS = existsSync(CARDS);
if (!HAVE_CARDS) console.warn(`hub search tests skipped: the model-hub fixtures are not at ${CARDS}`);

describe.skipIf(!HAVE_CARDS)('hub search over the seed catalogue', () => {
  let db: Kysely<Database>;
  let redis: Redis;
  let embedder: HubEmbedder;
  let search: HubSearchService;

  const names = (items: HubSearchHit[]) => items.map((item) => item.name);
  const find = (q: string, filters: Record<string, unknown> = {}) => search.search({ q, limit: 20, offset: 0, ...filters });

  beforeAll(async () => {
    db = testDatabase();
    redis = new Redis(inject('redisUrl'), { lazyConnect: true });
    const config = loadConfig({ DATABASE_URL: inject('databaseUrl'), MODELS_DIR: resolve(__dirname, '../models'), EMBEDDING_MODEL: 'doppel-embed-small', REDIS_PREFIX: inject('redisPrefix') });
    embedder = new HubEmbedder(new ModelRegistry(new ModelsRepository(db), config), config);
    const hub = new HubService(new HubRepository(db), embedder, new NodesRepository(db), nodeRegistryFor(redis, config), config);
    search = new HubSearchService(new HubSearchRepository(db), embedder);
    const account = await db.insertInto('accounts').values({ display_name: 'Catalogue', api_key_prefix: 'hubsearch01', api_key_hash: '1'.repeat(64) }).returning('id').executeTakeFirstOrThrow();
    const report = await importCardFolder(hub, account.id, CARDS);
    expect(report.failed).toEqual([]);
    expect(report.published.length + report.alreadyPublished.length).toBe(90);
    // Importing again changes nothing: the same card is the same model hash.
    const again = await importCardFolder(hub, account.id, CARDS);
    expect(again).toMatchObject({ published: [], failed: [] });
  }, 120_000);

  afterAll(async () => {
    await embedder?.onApplicationShutdown();
    redis?.disconnect();
    await db?.destroy();
  });

  it('applies every filter exactly, alone and together', async () => {
    const chat = await find('', { task: 'chat', limit: 50 });
    expect(chat.items.length).toBeGreaterThanOrEqual(8);
    expect(chat.items.every((item) => item.task === 'chat')).toBe(true);
    expect((await find('model', { format: 'gguf' })).items.every((item) => item.format === 'gguf')).toBe(true);
    const zk = await find('', { verification: 'zkml', limit: 50 });
    expect(names(zk.items)).toEqual(expect.arrayContaining(['btc-vol-1d-zk', 'charlm-nano-40k', 'digits-zk-mini', 'micro-embed-48k']));
    expect(zk.items.every((item) => item.verification.includes('zkml'))).toBe(true);
    expect((await find('', { maxParameters: 5000, limit: 50 })).items.every((item) => item.parameters! <= 5000)).toBe(true);
    expect((await find('speech', { language: 'sw' })).items.map((item) => item.name)).toEqual(expect.arrayContaining(['ouro', 'halyard-asr-multilingual-small']));
    const combined = await find('sentiment', { task: 'text-classification', license: 'mit', language: 'en' });
    expect(names(combined.items)).toEqual(['sentiment-nano-zk']);
    const filteredOut = await find('volatility forecaster', { task: 'chat' });
    expect(filteredOut.items.every((item) => item.task === 'chat' && !item.matchedBy.includes('lexical'))).toBe(true);
  });

  it('ranks the right model first for keyword, typo and constraint queries, with highlights and corrections', async () => {
    const depeg = await find('stablecoin depeg');
    expect(names(depeg.items).slice(0, 2).sort()).toEqual(['depeg-watch-lite', 'stablecoin-depeg-detector']);
    const summaryMatch = depeg.items[0]!.highlights.summary.filter((segment) => segment.match).map((segment) => segment.text.toLowerCase());
    expect(summaryMatch.length).toBeGreaterThan(0);

    const typo = await find('volatilty forcaster bitcoin');
    expect(typo.corrections).toEqual([
      { from: 'volatilty', to: 'volatility' },
      { from: 'forcaster', to: 'forecaster' },
    ]);
    expect(['btc-vol-1d', 'btc-vol-1h']).toContain(typo.items[0]!.name);

    const small = await find('sentiment model under 50k parameters');
    expect(small.understood.maxParameters).toBe(50_000);
    expect(small.items[0]!.name).toBe('sentiment-nano-zk');
    expect((await find('Swahili speech recognition')).understood.languages).toEqual(['sw']);
    expect(names((await find('Kinyarwanda transcription')).items).slice(0, 2)).toContain('ouro');
  });

  it('lists newest first without words, and pages', async () => {
    const first = await find('', { limit: 5 });
    const second = await find('', { limit: 5, offset: 5 });
    expect(first.total).toBeGreaterThanOrEqual(90);
    expect(first.items.every((item) => item.score === null)).toBe(true);
    expect(names(first.items).filter((name) => names(second.items).includes(name))).toEqual([]);
  });

  it('beats plain BM25 over the same cards on the held-out judgments', async () => {
    const { queries } = JSON.parse(await readFile(resolve(__dirname, '../scripts/bench/hub-queries.json'), 'utf8')) as {
      queries: { split: string; query: string; judgments: Record<string, number> }[];
    };
    const files = (await readdir(CARDS)).filter((file) => file.endsWith('.md'));
    const bm25 = buildBm25Index(await Promise.all(files.map(async (file) => ({ name: file.slice(0, -3), text: await readFile(resolve(CARDS, file), 'utf8') }))));
    const ndcg = (ranking: string[], judgments: Record<string, number>) => {
      const dcg = ranking.slice(0, 10).reduce((sum, name, index) => sum + (2 ** (judgments[name] ?? 0) - 1) / Math.log2(index + 2), 0);
      const ideal = Object.values(judgments).sort((a, b) => b - a).slice(0, 10).reduce((sum, grade, index) => sum + (2 ** grade - 1) / Math.log2(index + 2), 0);
      return dcg / ideal;
    };
    const heldOut = queries.filter((query) => query.split === 'test');
    let hub = 0;
    let baseline = 0;
    for (const query of heldOut) {
      // Only the fixture cards are judged; anything else other suites published is skipped over.
      const ranking = names((await find(query.query, { limit: 30 })).items).filter((name) => existsSync(resolve(CARDS, `${name}.md`)));
      hub += ndcg(ranking, query.judgments) / heldOut.length;
      baseline += ndcg(bm25Ranking(bm25, query.query), query.judgments) / heldOut.length;
    }
    expect(hub).toBeGreaterThan(0.85);
    expect(hub).toBeGreaterThan(baseline + 0.05);
  }, 60_000);
});
