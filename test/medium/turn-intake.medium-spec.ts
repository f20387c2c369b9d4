// TurnIntakeService (the gateway's half of a turn) against the real database, Redis heartbeats and BullMQ queue.
import { randomUUID } from 'node:crypto';
import { UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationsModule, ConversationsService, TurnIntakeService } from '@doppel/conversations';
import { MemoryModule, MemoryRepository } from '@doppel/memory';
import { NodeRegistry } from '@doppel/nodes';
import { PersonasService } from '@doppel/personas';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { JobName, ProducerQueues, turnJobId, turnQueueName } from '@doppel/queue';
import { bullConnection, bullPrefix } from '@doppel/redis';
import { mediumTest, seedAccount, type Medium } from '../support/medium';

async function refusal(promise: Promise<unknown>): Promise<DoppelError> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof DoppelError)) throw new Error(`expected a DoppelError, got ${String(error)}`);
  return error;
}

describe('TurnIntakeService', () => {
  let m: Medium;
  let intake: TurnIntakeService;
  let consumerId: string;
  let personaId: string;
  let modelId: string;

  beforeAll(async () => {
    m = await mediumTest({ name: 'turn-intake', imports: [ConversationsModule, MemoryModule] });
    intake = m.get(TurnIntakeService);
    modelId = m.config.models.defaultChatModel;
    consumerId = await seedAccount(m.db, 'Zed');
    personaId = (await m.get(PersonasService).create(consumerId, { name: 'Ada', greeting: 'Hello.' })).id;
  });
  afterAll(async () => m?.close());

  const conversation = async () => (await m.get(ConversationsService).create(consumerId, personaId)).id;

  async function nodeServing(nodeId: string, chatModel: string): Promise<void> {
    const now = new Date().toISOString();
    await m.get(NodeRegistry).beat({
      nodeId,
      address: `0x${nodeId.padStart(40, '0')}`,
      servesTurns: true,
      chatModels: [{ modelId: chatModel, modelHash: `0x${'cd'.repeat(32)}` }],
      embeddingModel: { modelId: 'doppel-embed-small', modelHash: `0x${'ef'.repeat(32)}`, dimensions: 64 },
      refusedModels: [],
      concurrency: 4,
      activeTurns: 0,
      turnsServed: 0,
      startedAt: now,
      beatAt: now,
    });
  }

  /** The turn a worker would take off the queue, as it was queued. */
  async function queuedJob(turnId: string) {
    return m.get(ProducerQueues).get<JobName.Turn>(turnQueueName(modelId)).getJob(turnJobId(turnId));
  }

  it('refuses a turn before storing anything when no live node serves the model', async () => {
    const conversationId = await conversation();
    const error = await refusal(intake.accept(consumerId, { conversationId, clientTurnId: 'c1', text: 'Hello' }));
    expect(error.code).toBe(ErrorCode.ModelUnavailable);
    expect(await m.db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).where('role', '=', 'user').execute()).toEqual([]);
  });

  it('stores the message and the queued turn, and queues its job once for a resent clientTurnId', async () => {
    await nodeServing('a1', modelId);
    const conversationId = await conversation();
    const accepted = await intake.accept(consumerId, { conversationId, clientTurnId: 'c1', text: 'Hello Ada' });
    expect(accepted).toMatchObject({ conversationId, verification: 'none', duplicate: false });

    const turn = await m.db.selectFrom('turns').selectAll().where('id', '=', accepted.turnId).executeTakeFirstOrThrow();
    expect(turn).toMatchObject({ status: 'queued', kind: 'send', model_id: modelId, client_turn_id: 'c1', consumer_id: consumerId });
    const message = await m.db.selectFrom('messages').select(['content', 'role', 'turn_id']).where('id', '=', turn.user_message_id).executeTakeFirstOrThrow();
    expect(message).toEqual({ content: 'Hello Ada', role: 'user', turn_id: accepted.turnId });
    expect((await queuedJob(accepted.turnId))?.data).toEqual({ turnId: accepted.turnId, conversationId, text: 'Hello Ada' });

    const again = await intake.accept(consumerId, { conversationId, clientTurnId: 'c1', text: 'Hello Ada' });
    expect(again).toEqual({ ...accepted, duplicate: true });
    expect(await m.db.selectFrom('turns').select('id').where('conversation_id', '=', conversationId).execute()).toHaveLength(1);
  });

  it('allows one turn in flight per conversation', async () => {
    await nodeServing('a1', modelId);
    const conversationId = await conversation();
    await intake.accept(consumerId, { conversationId, clientTurnId: 'first', text: 'one' });
    const error = await refusal(intake.accept(consumerId, { conversationId, clientTurnId: 'second', text: 'two' }));
    expect(error.code).toBe(ErrorCode.TurnInProgress);
  });

  it('checks the text and the conversation before anything else', async () => {
    const conversationId = await conversation();
    expect((await refusal(intake.accept(consumerId, { conversationId, clientTurnId: 'e', text: '  ' }))).code).toBe(ErrorCode.MessageEmpty);
    const tooLong = 'x'.repeat(m.config.gateway.maxMessageChars + 1);
    expect((await refusal(intake.accept(consumerId, { conversationId, clientTurnId: 'l', text: tooLong }))).code).toBe(ErrorCode.MessageTooLong);
    const stranger = await seedAccount(m.db, 'Eve');
    expect((await refusal(intake.accept(stranger, { conversationId, clientTurnId: 's', text: 'hi' }))).code).toBe(ErrorCode.ConversationNotFound);
    expect((await refusal(intake.accept(consumerId, { conversationId: 'not-a-uuid', clientTurnId: 'u', text: 'hi' }))).code).toBe(ErrorCode.ConversationNotFound);
  });

  it('asks for two live nodes with the model for re-execution', async () => {
    await nodeServing('a1', modelId);
    const conversationId = await conversation();
    const error = await refusal(intake.accept(consumerId, { conversationId, clientTurnId: 'r', text: 'check me', verification: 'reexec' }));
    expect(error.code).toBe(ErrorCode.VerificationUnavailable);
    await nodeServing('a2', modelId);
    const accepted = await intake.accept(consumerId, { conversationId, clientTurnId: 'r2', text: 'check me', verification: 'reexec' });
    expect(accepted.verification).toBe('reexec');
  });

  it("raises the level to the persona's minimum", async () => {
    await nodeServing('a1', modelId);
    const strict = await m.get(PersonasService).create(consumerId, { name: 'Strict', minVerification: 'signed' });
    const conversationId = (await m.get(ConversationsService).create(consumerId, strict.id)).id;
    const accepted = await intake.accept(consumerId, { conversationId, clientTurnId: 'v', text: 'hello' });
    expect(accepted.verification).toBe('signed');
  });

  it('regenerates the last user message and refuses when there is none', async () => {
    await nodeServing('a1', modelId);
    const empty = await conversation();
    expect((await refusal(intake.accept(consumerId, { conversationId: empty, clientTurnId: 'g', kind: 'regenerate' }))).code).toBe(ErrorCode.NothingToRegenerate);

    const conversationId = await conversation();
    const first = await intake.accept(consumerId, { conversationId, clientTurnId: 'm1', text: 'Tell me a story' });
    await m.db.updateTable('turns').set({ status: 'failed', finished_at: new Date() }).where('id', '=', first.turnId).execute();
    const again = await intake.accept(consumerId, { conversationId, clientTurnId: 'g1', kind: 'regenerate' });
    const [original, regenerated] = await Promise.all(
      [first.turnId, again.turnId].map((id) => m.db.selectFrom('turns').select(['user_message_id', 'kind']).where('id', '=', id).executeTakeFirstOrThrow()),
    );
    expect(regenerated).toEqual({ user_message_id: original!.user_message_id, kind: 'regenerate' });
  });

  it('edits only the last user message: its replies are superseded and their memories forgotten', async () => {
    await nodeServing('a1', modelId);
    const conversationId = await conversation();
    const first = await intake.accept(consumerId, { conversationId, clientTurnId: 'm1', text: 'I live in Lisbon' });
    const { user_message_id: userMessageId } = await m.db.selectFrom('turns').select('user_message_id').where('id', '=', first.turnId).executeTakeFirstOrThrow();
    const reply = await m.db
      .insertInto('messages')
      .values({ conversation_id: conversationId, role: 'assistant', content: 'Lisbon, lovely.', turn_id: first.turnId, reply_to: userMessageId })
      .returning('id')
      .executeTakeFirstOrThrow();
    await m.db.updateTable('turns').set({ status: 'done', assistant_message_id: reply.id, finished_at: new Date() }).where('id', '=', first.turnId).execute();
    await m.get(MemoryRepository).insertMany(m.db, [
      {
        personaId,
        consumerId,
        conversationId,
        sourceMessageId: reply.id,
        kind: 'assistant_reply',
        content: 'Lisbon, lovely.',
        embeddingModel: 'doppel-embed-small',
        embedding: new Float32Array([1, 0, 0]),
      },
    ]);
    expect(await m.db.selectFrom('memories').select('id').where('conversation_id', '=', conversationId).execute()).toHaveLength(1);

    const notLast = await refusal(intake.accept(consumerId, { conversationId, clientTurnId: 'e0', kind: 'edit', messageId: randomUUID(), text: 'x' }));
    expect(notLast.code).toBe(ErrorCode.MessageNotEditable);

    const edited = await intake.accept(consumerId, { conversationId, clientTurnId: 'e1', kind: 'edit', messageId: userMessageId, text: 'I live in Porto' });
    const message = await m.db.selectFrom('messages').select(['content', 'edited_at']).where('id', '=', userMessageId).executeTakeFirstOrThrow();
    expect(message.content).toBe('I live in Porto');
    expect(message.edited_at).toBeInstanceOf(Date);
    expect((await m.db.selectFrom('messages').select('state').where('id', '=', reply.id).executeTakeFirstOrThrow()).state).toBe('superseded');
    expect(await m.db.selectFrom('memories').select('id').where('conversation_id', '=', conversationId).execute()).toEqual([]);
    expect((await m.db.selectFrom('turns').select(['kind', 'user_message_id']).where('id', '=', edited.turnId).executeTakeFirstOrThrow())).toEqual({ kind: 'edit', user_message_id: userMessageId });
  });

  it("leaves no copy of the user's text in Redis once its turn's job fails for good", async () => {
    await nodeServing('a1', modelId);
    const conversationId = await conversation();
    const text = `My bank PIN is ${randomUUID()}`;
    const { turnId } = await intake.accept(consumerId, { conversationId, clientTurnId: 'private', text });
    const queueName = turnQueueName(modelId);
    const prefix = bullPrefix(m.config.redis.prefix, queueName);
    expect(await keysHolding(prefix, text)).not.toEqual([]);

    // A node failing the job as a model failure does (no retry); jobs of earlier tests simply complete.
    const connection = bullConnection(m.config.redis);
    const worker = new Worker(
      queueName,
      async (job) => {
        if (job.id === turnJobId(turnId)) throw new UnrecoverableError('the model failed');
      },
      { connection: connection.connection, prefix },
    );
    try {
      await new Promise<void>((resolve) => worker.on('failed', (job) => job?.id === turnJobId(turnId) && resolve()));
    } finally {
      await worker.close();
      await connection.close();
    }
    expect(await queuedJob(turnId)).toBeUndefined();
    expect(await keysHolding(prefix, text)).toEqual([]);
  });

  /** The queue's Redis keys whose value contains `text` (hashes, strings, lists, sets, streams). */
  async function keysHolding(prefix: string, text: string): Promise<string[]> {
    const holding: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await m.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const type = await m.redis.type(key);
        const values =
          type === 'hash' ? Object.values(await m.redis.hgetall(key))
          : type === 'string' ? [await m.redis.get(key)]
          : type === 'list' ? await m.redis.lrange(key, 0, -1)
          : type === 'stream' ? (await m.redis.xrange(key, '-', '+')).flatMap(([, fields]) => fields)
          : type === 'zset' ? await m.redis.zrange(key, 0, -1)
          : type === 'set' ? await m.redis.smembers(key)
          : [];
        if (values.some((value) => value?.includes(text))) holding.push(key);
      }
    } while (cursor !== '0');
    return holding;
  }
});
