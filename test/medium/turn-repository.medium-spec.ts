// TurnRepository against the real database: claim, complete, fail, failOverdue, without a worker process.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationsModule, ConversationsService } from '@doppel/conversations';
import type { Database } from '@doppel/db';
import { MemoryModule, MemoryRepository } from '@doppel/memory';
import { PersonasService } from '@doppel/personas';
import { ErrorCode } from '@doppel/protocol';
import { TurnRepository } from '@doppel/turns';
import { mediumTest, seedAccount, type Medium } from '../support/medium';

const WORKER = 'node-a';

describe('TurnRepository', () => {
  let m: Medium;
  let turns: TurnRepository;
  let consumerId: string;
  let personaId: string;

  beforeAll(async () => {
    m = await mediumTest({ name: 'turn-repository', imports: [ConversationsModule, MemoryModule], providers: [TurnRepository] });
    turns = m.get(TurnRepository);
    consumerId = await seedAccount(m.db, 'Zed');
    personaId = (await m.get(PersonasService).create(consumerId, { name: 'Ada', greeting: 'Hello {{user}}.' })).id;
  });
  afterAll(async () => m?.close());

  /** A conversation with the greeting, a user message and its queued turn, as the gateway's intake stores them. */
  async function queuedTurn(text = 'Hello Ada', kind: 'send' | 'regenerate' = 'send') {
    const conversation = await m.get(ConversationsService).create(consumerId, personaId);
    const message = await m.db.insertInto('messages').values({ conversation_id: conversation.id, role: 'user', content: text }).returning('id').executeTakeFirstOrThrow();
    const turn = await m.db
      .insertInto('turns')
      .values({
        conversation_id: conversation.id,
        consumer_id: consumerId,
        persona_version_id: conversation.personaVersionId,
        client_turn_id: randomUUID(),
        user_message_id: message.id,
        kind,
        model_id: m.config.models.defaultChatModel,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { conversationId: conversation.id, userMessageId: message.id, turn };
  }

  function fields(replyText: string): Parameters<TurnRepository['complete']>[2] {
    const now = new Date();
    return {
      replyText,
      modelId: m.config.models.defaultChatModel,
      modelHash: `0x${'ab'.repeat(32)}`,
      embeddingModelId: 'doppel-embed-small',
      params: { temperature: 0 },
      prompt: { messages: [] },
      memoryIds: [],
      knowledgeIds: [],
      promptTokens: 12,
      completionTokens: 3,
      promptTokenIds: null,
      outputTokenIds: null,
      truncatedPromptTokens: null,
      retrievedAt: now,
      firstTokenAt: now,
      verificationMs: null,
      nodeAddress: `0x${'11'.repeat(20)}`,
    };
  }

  it('claims a queued turn with its user text, persona, consumer name and the history before it', async () => {
    const { turn } = await queuedTurn('Where is the lighthouse?');
    const result = await turns.claim(turn.id, WORKER, 'doppel-embed-small', 20);
    if (!('claimed' in result)) throw new Error('expected a claim');
    const { claimed } = result;
    expect(claimed.turn).toMatchObject({ id: turn.id, status: 'running', worker_id: WORKER, attempts: 1 });
    expect(claimed.turn.started_at).toBeInstanceOf(Date);
    expect(claimed).toMatchObject({ userText: 'Where is the lighthouse?', personaId, consumerName: 'Zed', memoriesPending: false, hasKnowledge: false });
    expect(claimed.history).toEqual([{ role: 'assistant', content: 'Hello Zed.' }]);

    // Another node taking the turn over (a crashed worker's retry) counts a second attempt and keeps started_at.
    const again = await turns.claim(turn.id, 'node-b', 'doppel-embed-small', 20);
    if (!('claimed' in again)) throw new Error('expected a second claim');
    expect(again.claimed.turn).toMatchObject({ worker_id: 'node-b', attempts: 2 });
    expect(again.claimed.turn.started_at).toEqual(claimed.turn.started_at);
  });

  it('claims in place: a HOT update of the row, no index entry written (only the record sets finished_at)', async () => {
    const { turn } = await queuedTurn('Quick question');
    // The backend's own not-yet-reported counts (the cumulative views lag by up to a second), before and after.
    const counts = await m.db.transaction().execute(async (trx) => {
      const read = async () => {
        const { rows } = await sql<{ updated: number; hot: number }>`
          SELECT pg_stat_get_xact_tuples_updated('turns'::regclass)::int AS updated,
                 pg_stat_get_xact_tuples_hot_updated('turns'::regclass)::int AS hot`.execute(trx);
        return rows[0]!;
      };
      const before = await read();
      const result = await new TurnRepository(trx).claim(turn.id, WORKER, 'doppel-embed-small', 20);
      if (!('claimed' in result)) throw new Error('expected a claim');
      const after = await read();
      return { updated: after.updated - before.updated, hot: after.hot - before.hot };
    });
    expect(counts).toEqual({ updated: 1, hot: 1 });
  });

  it('claims without waiting for the WAL flush: synchronous_commit is off in the claim transaction, and only there', async () => {
    const { turn } = await queuedTurn('Anyone there?');
    const setting = async (db: Kysely<Database>) =>
      (await sql<{ setting: string }>`SELECT current_setting('synchronous_commit') AS setting`.execute(db)).rows[0]!.setting;
    const server = await setting(m.db);
    expect(server).not.toBe('off');
    const inClaim = await m.db.transaction().execute(async (trx) => {
      await new TurnRepository(trx).claim(turn.id, WORKER, 'doppel-embed-small', 20);
      return setting(trx);
    });
    expect(inClaim).toBe('off');
    expect(await setting(m.db)).toBe(server);
  });

  it('tells a queued turn from one a node holds (a lost claim from a takeover)', async () => {
    const { turn } = await queuedTurn();
    expect(await turns.isQueued(turn.id)).toBe(true);
    await turns.claim(turn.id, WORKER, 'doppel-embed-small', 20);
    expect(await turns.isQueued(turn.id)).toBe(false);
  });

  it('refuses a turn that ends without a finish time, or one unfinished with it', async () => {
    const { turn } = await queuedTurn();
    await expect(m.db.updateTable('turns').set({ status: 'failed' }).where('id', '=', turn.id).execute()).rejects.toThrow(/turns_unfinished_until_final/);
    await expect(m.db.updateTable('turns').set({ finished_at: new Date() }).where('id', '=', turn.id).execute()).rejects.toThrow(/turns_unfinished_until_final/);
  });

  it('recalls in the claim statement exactly what a separate recall finds (pinned first, then nearest)', async () => {
    const memories = m.get(MemoryRepository);
    const { conversationId, turn } = await queuedTurn('Where do I live?');
    const owner = { personaId, consumerId, embeddingModel: 'doppel-embed-small' };
    const ids = await memories.insertMany(m.db, [
      { ...owner, conversationId, sourceMessageId: null, kind: 'fact', content: 'They live in Lisbon.', embedding: new Float32Array([1, 0, 0]) },
      { ...owner, conversationId, sourceMessageId: null, kind: 'fact', content: 'They like jazz.', embedding: new Float32Array([0, 1, 0]) },
      { ...owner, conversationId, sourceMessageId: null, kind: 'fact', content: 'They have a dog.', embedding: new Float32Array([0, 0, 1]) },
    ]);
    await memories.setPinned(ids[2]!, consumerId, true);
    const embedding = new Float32Array([0.9, 0.2, 0]);
    const recall = { embeddingModel: owner.embeddingModel, embedding, maxPinned: 5, topK: 1 };

    const result = await turns.claim(turn.id, WORKER, 'doppel-embed-small', 20, memories.recallAsJson({ personaId: sql.ref('conversations.persona_id'), consumerId: sql.ref('turns.consumer_id'), ...recall }));
    if (!('claimed' in result)) throw new Error('expected a claim');
    const separate = await memories.recall({ personaId, consumerId, ...recall });
    expect(separate.map((hit) => hit.content)).toEqual(['They have a dog.', 'They live in Lisbon.']);
    const inClaim = result.claimed.recalledMemories!;
    expect(inClaim.map((hit) => [hit.id, hit.content, hit.pinned])).toEqual(separate.map((hit) => [hit.id, hit.content, hit.pinned]));
    expect(inClaim[1]!.distance).toBeCloseTo(separate[1]!.distance, 6);
    // Without a recall the claim reads none.
    const other = await queuedTurn();
    const plain = await turns.claim(other.turn.id, WORKER, 'doppel-embed-small', 20);
    expect('claimed' in plain && plain.claimed.recalledMemories).toBeNull();
  });

  it('keeps the history to the limit it is given, newest messages kept', async () => {
    const { conversationId, turn } = await queuedTurn('third');
    // Two more shown messages before the user's: only the last two of the three reach the claim.
    await m.db.deleteFrom('turns').where('id', '=', turn.id).execute();
    await m.db.insertInto('messages').values([{ conversation_id: conversationId, role: 'assistant', content: 'later reply' }]).execute();
    const user = await m.db.insertInto('messages').values({ conversation_id: conversationId, role: 'user', content: 'fourth' }).returning('id').executeTakeFirstOrThrow();
    const next = await m.db
      .insertInto('turns')
      .values({ conversation_id: conversationId, consumer_id: consumerId, persona_version_id: turn.persona_version_id, client_turn_id: randomUUID(), user_message_id: user.id, kind: 'send' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const result = await turns.claim(next.id, WORKER, 'doppel-embed-small', 2);
    if (!('claimed' in result)) throw new Error('expected a claim');
    expect(result.claimed.history).toEqual([
      { role: 'user', content: 'third' },
      { role: 'assistant', content: 'later reply' },
    ]);
  });

  it('completes a turn: the reply, the turn record, the receipt and the conversation activity in one statement', async () => {
    const { conversationId, userMessageId, turn } = await queuedTurn();
    await turns.claim(turn.id, WORKER, 'doppel-embed-small', 20);
    const before = await m.db.selectFrom('conversations').select('last_message_at').where('id', '=', conversationId).executeTakeFirstOrThrow();
    const receiptId = randomUUID();
    const done = await turns.complete(turn, WORKER, fields('The lamp is lit.'), { id: receiptId, level: 'signed', receipt: { id: receiptId }, transcript: { output: 'x' }, reexecStatus: null });
    expect(done).not.toBeNull();
    expect(done!.timestamps.finished_at).toBeInstanceOf(Date);

    const stored = await m.db.selectFrom('turns').selectAll().where('id', '=', turn.id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ status: 'done', assistant_message_id: done!.messageId, prompt_tokens: 12, completion_tokens: 3 });
    const message = await m.db.selectFrom('messages').select(['content', 'reply_to', 'turn_id', 'state']).where('id', '=', done!.messageId).executeTakeFirstOrThrow();
    expect(message).toEqual({ content: 'The lamp is lit.', reply_to: userMessageId, turn_id: turn.id, state: 'shown' });
    expect(await m.db.selectFrom('receipts').selectAll().where('turn_id', '=', turn.id).executeTakeFirst()).toMatchObject({ id: receiptId, message_id: done!.messageId, level: 'signed', consumer_id: consumerId });
    const after = await m.db.selectFrom('conversations').select('last_message_at').where('id', '=', conversationId).executeTakeFirstOrThrow();
    expect(after.last_message_at.getTime()).toBeGreaterThanOrEqual(before.last_message_at.getTime());
  });

  it("records the memories a finished turn owes, which the conversation's next claim reports pending", async () => {
    const first = await queuedTurn('Remember the lamp');
    await turns.claim(first.turn.id, WORKER, 'doppel-embed-small', 20);
    await turns.complete(first.turn, WORKER, fields('I will.'), null);
    const owed = await m.db.selectFrom('memory_backlog').select(['turn_id', 'conversation_id', 'embedding_model']).where('conversation_id', '=', first.conversationId).execute();
    expect(owed).toEqual([{ turn_id: first.turn.id, conversation_id: first.conversationId, embedding_model: 'doppel-embed-small' }]);

    const next = await m.db
      .insertInto('turns')
      .values({ conversation_id: first.conversationId, consumer_id: consumerId, persona_version_id: first.turn.persona_version_id, client_turn_id: randomUUID(), user_message_id: first.userMessageId, kind: 'regenerate' })
      .returningAll()
      .executeTakeFirstOrThrow();
    const pending = await turns.claim(next.id, WORKER, 'doppel-embed-small', 20);
    expect('claimed' in pending && pending.claimed.memoriesPending).toBe(true);
    await m.db.deleteFrom('memory_backlog').where('turn_id', '=', first.turn.id).execute();
    const written = await turns.claim(next.id, WORKER, 'doppel-embed-small', 20);
    expect('claimed' in written && written.claimed.memoriesPending).toBe(false);
  });

  it('stores nothing when another node holds the turn', async () => {
    const { turn } = await queuedTurn();
    await turns.claim(turn.id, WORKER, 'doppel-embed-small', 20);
    await turns.claim(turn.id, 'node-b', 'doppel-embed-small', 20);
    expect(await turns.complete(turn, WORKER, fields('late'), null)).toBeNull();
    const replies = await m.db.selectFrom('messages').select('id').where('turn_id', '=', turn.id).execute();
    expect(replies).toEqual([]);
    // A finished turn is not claimed again: the claim hands back the stored row.
    await turns.complete(turn, 'node-b', fields('first'), null);
    const result = await turns.claim(turn.id, WORKER, 'doppel-embed-small', 20);
    expect('finished' in result && result.finished.status).toBe('done');
  });

  it('makes earlier replies alternatives when a regenerated reply completes', async () => {
    const first = await queuedTurn('Tell me a story');
    await turns.claim(first.turn.id, WORKER, 'doppel-embed-small', 20);
    const original = await turns.complete(first.turn, WORKER, fields('Once upon a time.'), null);
    const regenerate = await m.db
      .insertInto('turns')
      .values({ conversation_id: first.conversationId, consumer_id: consumerId, persona_version_id: first.turn.persona_version_id, client_turn_id: randomUUID(), user_message_id: first.userMessageId, kind: 'regenerate' })
      .returningAll()
      .executeTakeFirstOrThrow();
    await turns.claim(regenerate.id, WORKER, 'doppel-embed-small', 20);
    const second = await turns.complete(regenerate, WORKER, fields('Long ago, by the sea.'), null);
    const states = await m.db.selectFrom('messages').select(['id', 'state']).where('reply_to', '=', first.userMessageId).orderBy('position').execute();
    expect(states).toEqual([
      { id: original!.messageId, state: 'alternative' },
      { id: second!.messageId, state: 'shown' },
    ]);
  });

  it('fails a turn once: a finished turn stays as it is', async () => {
    const { turn } = await queuedTurn();
    expect(await turns.fail(turn.id, ErrorCode.ModelFailed, 'the model stopped')).toBe(true);
    expect(await turns.fail(turn.id, ErrorCode.TurnFailed, 'again')).toBe(false);
    const stored = await m.db.selectFrom('turns').select(['status', 'error_code', 'error_message', 'finished_at']).where('id', '=', turn.id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ status: 'failed', error_code: ErrorCode.ModelFailed, error_message: 'the model stopped' });
  });

  it('fails only the turns queued before the deadline', async () => {
    const old = await queuedTurn();
    const fresh = await queuedTurn();
    await m.db.updateTable('turns').set({ queued_at: sql<Date>`now() - interval '10 minutes'` }).where('id', '=', old.turn.id).execute();
    const failed = await turns.failOverdue(60_000, ErrorCode.TurnDeadlineExceeded, 'past the deadline');
    expect(failed).toContain(old.turn.id);
    expect(failed).not.toContain(fresh.turn.id);
    const status = await m.db.selectFrom('turns').select(['id', 'status']).where('id', 'in', [old.turn.id, fresh.turn.id]).execute();
    expect(Object.fromEntries(status.map((row) => [row.id, row.status]))).toEqual({ [old.turn.id]: 'failed', [fresh.turn.id]: 'queued' });
  });
});
