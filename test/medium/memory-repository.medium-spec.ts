// MemoryRepository against real pgvector: every read scoped to one persona and one consumer, pins, facts, deletes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryModule, MemoryRepository, type NewMemoryInput } from '@doppel/memory';
import { PersonasService, PersonasModule } from '@doppel/personas';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { mediumTest, seedAccount, type Medium } from '../support/medium';

const MODEL = 'doppel-embed-small';
const vector = (...values: number[]) => new Float32Array(values);

describe('MemoryRepository', () => {
  let m: Medium;
  let memories: MemoryRepository;
  let personaId: string;
  let otherPersonaId: string;
  let consumerId: string;
  let otherConsumerId: string;

  beforeAll(async () => {
    m = await mediumTest({ name: 'memory-repository', imports: [MemoryModule, PersonasModule], env: { MEMORY_MAX_PINNED: '2' } });
    memories = m.get(MemoryRepository);
    consumerId = await seedAccount(m.db, 'Zed');
    otherConsumerId = await seedAccount(m.db, 'Kim');
    personaId = (await m.get(PersonasService).create(consumerId, { name: 'Ada' })).id;
    otherPersonaId = (await m.get(PersonasService).create(consumerId, { name: 'Bo' })).id;
  });
  afterAll(async () => m?.close());

  const memory = (content: string, embedding: Float32Array, extra: Partial<NewMemoryInput> = {}): NewMemoryInput => ({
    personaId,
    consumerId,
    conversationId: null,
    sourceMessageId: null,
    kind: 'fact',
    content,
    embeddingModel: MODEL,
    embedding,
    ...extra,
  });

  it('searches only the pair’s memories of the same model and dimension, nearest first', async () => {
    await memories.insertMany(m.db, [
      memory('They live in Lisbon.', vector(1, 0, 0)),
      memory('They like jazz.', vector(0, 1, 0)),
      memory('Near but not in context.', vector(1, 0.01, 0), { inContext: false }),
      memory('Other consumer.', vector(1, 0, 0), { consumerId: otherConsumerId }),
      memory('Other persona.', vector(1, 0, 0), { personaId: otherPersonaId }),
      memory('Other model.', vector(1, 0, 0), { embeddingModel: 'another-embedder' }),
      memory('Other dimension.', vector(1, 0, 0, 0)),
    ]);
    const hits = await memories.search({ personaId, consumerId, embeddingModel: MODEL, embedding: vector(0.9, 0.1, 0), limit: 5 });
    expect(hits.map((hit) => hit.content)).toEqual(['They live in Lisbon.', 'They like jazz.']);
    expect(hits[0]!.distance).toBeLessThan(hits[1]!.distance);
    expect(hits[0]!.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('stores each component exactly as the node had it (binary vector parameters, read back as text)', async () => {
    const exact = new Float32Array([0.1, -1 / 3, 1e-7, 12345.678]);
    const [id] = await memories.insertMany(m.db, [memory('Exact vector.', exact)]);
    const row = await m.db.selectFrom('memories').select('embedding').where('id', '=', id!).executeTakeFirstOrThrow();
    expect(new Float32Array(JSON.parse(row.embedding) as number[])).toEqual(exact);
  });

  it('recalls pinned memories first, then the nearest others; pins are limited per persona and consumer', async () => {
    const consumer = await seedAccount(m.db, 'Pin');
    const ids = await memories.insertMany(m.db, [
      memory('Pinned far away.', vector(0, 0, 1), { consumerId: consumer }),
      memory('Near.', vector(1, 0, 0), { consumerId: consumer }),
      memory('Middle.', vector(1, 1, 0), { consumerId: consumer }),
      memory('Far.', vector(0, 1, 1), { consumerId: consumer }),
    ]);
    expect(await memories.setPinned(ids[0]!, consumer, true)).toMatchObject({ id: ids[0], pinned: true });
    expect(await memories.setPinned(ids[0]!, consumerId, true)).toBeNull();
    const recalled = await memories.recall({ personaId, consumerId: consumer, embeddingModel: MODEL, embedding: vector(1, 0, 0), maxPinned: 5, topK: 2 });
    expect(recalled.map((hit) => [hit.content, hit.pinned])).toEqual([
      ['Pinned far away.', true],
      ['Near.', false],
      ['Middle.', false],
    ]);

    await memories.setPinned(ids[1]!, consumer, true);
    const error = await memories.setPinned(ids[2]!, consumer, true).catch((thrown: unknown) => thrown);
    expect(error instanceof DoppelError && error.code).toBe(ErrorCode.PinLimitReached);
  });

  it('finds close facts and facts of a slot, and keeps one memory per message and kind', async () => {
    const consumer = await seedAccount(m.db, 'Facts');
    await memories.insertMany(m.db, [
      memory('Their name is Ada.', vector(1, 0, 0), { consumerId: consumer }),
      memory('Their name_is odd.', vector(0, 1, 0), { consumerId: consumer }),
      memory('They like tea.', vector(0, 0, 1), { consumerId: consumer }),
    ]);
    const close = await memories.similarFacts(m.db, { personaId, consumerId: consumer, embeddingModel: MODEL, embedding: vector(1, 0.05, 0), maxDistance: 0.1, limit: 5 });
    expect(close).toEqual(['Their name is Ada.']);
    // `_` is literal in the prefix, not a LIKE wildcard.
    const slot = await memories.factsStartingWith(m.db, { personaId, consumerId: consumer, prefix: 'Their name is' });
    expect(slot.map((fact) => fact.content)).toEqual(['Their name is Ada.']);

    const { current_version_id: versionId } = await m.db.selectFrom('personas').select('current_version_id').where('id', '=', personaId).executeTakeFirstOrThrow();
    const conversation = await m.db.insertInto('conversations').values({ persona_id: personaId, persona_version_id: versionId!, consumer_id: consumer }).returning('id').executeTakeFirstOrThrow();
    const { id: messageId } = await m.db.insertInto('messages').values({ conversation_id: conversation.id, role: 'user', content: 'hi' }).returning('id').executeTakeFirstOrThrow();
    const first = await memories.insertMany(m.db, [memory('hi', vector(1, 0, 0), { consumerId: consumer, kind: 'user_message', sourceMessageId: messageId })]);
    const again = await memories.insertMany(m.db, [memory('hi', vector(1, 0, 0), { consumerId: consumer, kind: 'user_message', sourceMessageId: messageId })]);
    expect(first).toHaveLength(1);
    expect(again).toEqual([]);
  });

  it('lists a consumer’s memories newest first by cursor and forgets one or all', async () => {
    const consumer = await seedAccount(m.db, 'List');
    const ids: string[] = [];
    for (const content of ['one', 'two', 'three']) ids.push(...(await memories.insertMany(m.db, [memory(content, vector(1, 0, 0), { consumerId: consumer })])));
    const first = await memories.listForConsumer(personaId, consumer, { limit: 2 });
    expect(first.items.map((item) => item.content)).toEqual(['three', 'two']);
    const second = await memories.listForConsumer(personaId, consumer, { limit: 2, before: first.nextCursor! });
    expect(second.items.map((item) => item.content)).toEqual(['one']);
    expect(second.nextCursor).toBeNull();

    expect(await memories.deleteOne(ids[0]!, otherConsumerId)).toBe(false);
    expect(await memories.deleteOne(ids[0]!, consumer)).toBe(true);
    expect(await memories.deleteAllForConsumer(personaId, consumer)).toBe(2);
    expect((await memories.listForConsumer(personaId, consumer, { limit: 5 })).items).toEqual([]);
  });
});
