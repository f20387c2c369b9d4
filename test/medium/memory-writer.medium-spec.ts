// MemoryWriter with MemoryWritesRepository against the real database and a real (hashing) embedder: a finished
// turn's memories and facts are written once, superseded replies are skipped, a fact in a one-value slot replaces
// the one it contradicts, and the sweep picks up turns nobody wrote.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationsModule, ConversationsService } from '@doppel/conversations';
import { HashingEmbedder } from '@doppel/inference';
import { MemoryModule, MemoryRepository, MemoryWriter } from '@doppel/memory';
import { PersonasService } from '@doppel/personas';
import { mediumTest, seedAccount, seedFinishedTurn, type Medium } from '../support/medium';

const embedder = new HashingEmbedder(384);

describe('MemoryWriter', () => {
  let m: Medium;
  let writer: MemoryWriter;
  let consumerId: string;
  let personaId: string;

  beforeAll(async () => {
    // A long sweep interval and batch window: the tests call sweep() and writePendingOf() themselves.
    m = await mediumTest({ name: 'memory-writer', imports: [MemoryModule, ConversationsModule], env: { MEMORY_SWEEP_INTERVAL_MS: '600000', MEMORY_SWEEP_MIN_AGE_MS: '1000', MEMORY_WRITE_BATCH_MS: '600000' } });
    writer = m.get(MemoryWriter);
    writer.start(embedder);
    consumerId = await seedAccount(m.db, 'Zed');
    personaId = (await m.get(PersonasService).create(consumerId, { name: 'Ada' })).id;
  });
  afterAll(async () => m?.close());

  /** A finished turn as the worker leaves it: the user message, the reply, the turn done and not yet remembered. */
  const finishedTurn = (conversationId: string, userText: string, replyText: string) =>
    seedFinishedTurn(m.db, { conversationId, consumerId, userText, replyText, done: { embedding_model_id: embedder.modelId } });

  const memoriesOf = (conversationId: string) =>
    m.db.selectFrom('memories').select(['kind', 'content', 'pinned', 'in_context']).where('conversation_id', '=', conversationId).orderBy('kind').orderBy('content').execute();

  it("writes a finished turn's message, reply and facts once, and takes the turn out of the backlog", async () => {
    const { id } = await m.get(ConversationsService).create(consumerId, personaId);
    const { turnId } = await finishedTurn(id, 'My name is Zed and I live in Lisbon.', 'Lovely to meet you.');
    const owed = () => m.db.selectFrom('memory_backlog').select('turn_id').where('turn_id', '=', turnId).execute();
    expect(await owed()).toEqual([{ turn_id: turnId }]);
    expect(await m.get(MemoryRepository).pendingWrites(personaId, consumerId)).toBe(1);
    await writer.writePendingOf(id);
    await writer.writePendingOf(id);
    const memories = await memoriesOf(id);
    expect(memories.map((memory) => [memory.kind, memory.content])).toEqual([
      ['assistant_reply', 'Lovely to meet you.'],
      ['fact', 'Their name is Zed.'],
      ['fact', 'They live in Lisbon.'],
      ['user_message', 'My name is Zed and I live in Lisbon.'],
    ]);
    expect(await owed()).toEqual([]);
    expect(await m.get(MemoryRepository).pendingWrites(personaId, consumerId)).toBe(0);
  });

  it('replaces a contradicted one-value fact, keeping its pin, and skips a superseded reply', async () => {
    const { id } = await m.get(ConversationsService).create(consumerId, personaId);
    await finishedTurn(id, 'I live in Porto.', 'Porto, then.');
    await writer.writePendingOf(id);
    await m.db.updateTable('memories').set({ pinned: true }).where('content', '=', 'They live in Porto.').execute();

    const later = await finishedTurn(id, 'I live in Faro now.', 'Faro is sunny.');
    await m.db.updateTable('messages').set({ state: 'superseded' }).where('id', '=', later.replyId).execute();
    await writer.writePendingOf(id);

    const facts = await m.db.selectFrom('memories').select(['content', 'pinned']).where('consumer_id', '=', consumerId).where('kind', '=', 'fact').where('content', 'like', 'They live in%').execute();
    expect(facts).toEqual([{ content: 'They live in Faro now.', pinned: true }]);
    const replies = (await memoriesOf(id)).filter((memory) => memory.kind === 'assistant_reply').map((memory) => memory.content);
    expect(replies).toEqual(['Porto, then.']);
  });

  it("writes this node's whole pending batch when a conversation's next turn needs one of its turns", async () => {
    const conversations = m.get(ConversationsService);
    const [first, other] = [(await conversations.create(consumerId, personaId)).id, (await conversations.create(consumerId, personaId)).id];
    writer.remember((await finishedTurn(first, 'Good morning.', 'Morning!')).turnId);
    writer.remember((await finishedTurn(other, 'Good evening.', 'Evening!')).turnId);
    expect(await memoriesOf(other)).toEqual([]);

    await writer.writePendingOf(first);
    expect((await memoriesOf(first)).map((memory) => memory.kind)).toEqual(['assistant_reply', 'user_message']);
    // Written by the same batch, not left for the batch window or a write of its own.
    expect((await memoriesOf(other)).map((memory) => memory.kind)).toEqual(['assistant_reply', 'user_message']);
  });

  it('sweeps finished turns nobody wrote once they are old enough', async () => {
    const { id } = await m.get(ConversationsService).create(consumerId, personaId);
    const { turnId } = await finishedTurn(id, 'Hello there.', 'Hello.');
    expect(await writer.sweep()).toBe(0);
    await m.db.updateTable('memory_backlog').set({ finished_at: sql<Date>`now() - interval '1 minute'` }).where('turn_id', '=', turnId).execute();
    expect(await writer.sweep()).toBe(1);
    expect((await memoriesOf(id)).map((memory) => memory.kind)).toEqual(['assistant_reply', 'user_message']);
  });

  it("drops a backlog row whose turn is gone (its conversation was deleted) when it sweeps it", async () => {
    const { id } = await m.get(ConversationsService).create(consumerId, personaId);
    const { turnId } = await finishedTurn(id, 'Forget this conversation.', 'Gone.');
    await m.db.deleteFrom('conversations').where('id', '=', id).execute();
    await m.db.updateTable('memory_backlog').set({ finished_at: sql<Date>`now() - interval '1 minute'` }).where('turn_id', '=', turnId).execute();
    expect(await writer.sweep()).toBe(0);
    expect(await m.db.selectFrom('memory_backlog').select('turn_id').where('turn_id', '=', turnId).execute()).toEqual([]);
  });
});
