// One chat turn end to end: real gateway and worker processes, real Postgres + pgvector, real Redis.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Database } from '@doppel/db';
import { turnDoneEventSchema, type TurnDoneEvent, type TurnResumeAck, type TurnSendAck } from '@doppel/protocol';
import { turnStreamKey } from '@doppel/streaming';
import { MEMORY_HEADER } from '@doppel/turns';
import { api, assertWireShape, connectChat, sendTurn, signUp, type ChatClient, type TurnResult } from './support/clients';
import { memoriesSettled, testDatabase } from './support/database';
import { stackRedis, startStack, type Stack } from './support/processes';

const PERSONA = {
  name: 'Ada',
  description: 'A retired lighthouse keeper.',
  personality: 'Dry humour.',
  greeting: 'Evening. Kettle is on.',
  tags: ['demo'],
  generation: { maxTokens: 40 },
};

function expectOrderedChunks(result: TurnResult): void {
  expect(result.tokens.length).toBeGreaterThan(0);
  expect(result.tokens.map((token) => token.seq)).toEqual(result.tokens.map((_, index) => index));
  expect(result.tokens.map((token) => token.text).join('')).toBe(result.done!.text);
}

describe('a chat turn, end to end', () => {
  let stack: Stack;
  let db: Kysely<Database>;
  let alice: { id: string; apiKey: string };
  let bob: { id: string; apiKey: string };
  let personaId: string;
  let aliceSocket: ChatClient;
  let bobSocket: ChatClient;

  const newConversation = async (apiKey: string) => {
    const response = await api(stack.url, apiKey)('POST', '/conversations', { personaId });
    expect(response.status).toBe(201);
    return response.body.id as string;
  };

  beforeAll(async () => {
    // A short silence check, so the test of a stream that lost its end does not wait the default 10 s.
    stack = await startStack(['node-a', 'node-b'], { WORKER_CONCURRENCY: '2', TURN_STREAM_SILENCE_CHECK_MS: '1000' });
    db = testDatabase();
    alice = await signUp(stack.url, 'Alice');
    bob = await signUp(stack.url, 'Bob');
    const created = await api(stack.url, alice.apiKey)('POST', '/personas', PERSONA);
    expect(created.status).toBe(201);
    personaId = created.body.id;
    aliceSocket = await connectChat(stack.url, alice.apiKey);
    bobSocket = await connectChat(stack.url, bob.apiKey);
  });

  afterAll(async () => {
    aliceSocket?.close();
    bobSocket?.close();
    await db?.destroy();
    await stack?.stop();
  });

  it('reports Postgres, pgvector, Redis and both workers as ready', async () => {
    const response = await api(stack.url)('GET', '/health/ready');
    expect(response.status).toBe(200);
    expect(response.body.checks.pgvector.detail).toMatch(/^version 0\.\d+/);
    expect(response.body.workers.map((worker: { nodeId: string }) => worker.nodeId).sort()).toEqual(['node-a', 'node-b']);
  });

  it('opens a conversation with the greeting as the first message', async () => {
    const conversationId = await newConversation(alice.apiKey);
    const messages = await api(stack.url, alice.apiKey)('GET', `/conversations/${conversationId}/messages`);
    expect(messages.body.items).toEqual([expect.objectContaining({ role: 'assistant', content: PERSONA.greeting })]);
  });

  it('streams ordered chunks and turn:done, then stores the reply, the timings and embedded memories', async () => {
    const conversationId = await newConversation(alice.apiKey);
    const result = await sendTurn(aliceSocket, { conversationId, text: 'My cat is called Pixel and she loves sardines.' });
    expect(result.ack).toMatchObject({ ok: true, duplicate: false });
    expect(result.queued).toBe(true);
    expect(result.error).toBeNull();
    expectOrderedChunks(result);

    const turnId = (result.ack as { turnId: string }).turnId;
    const turn = await db.selectFrom('turns').selectAll().where('id', '=', turnId).executeTakeFirstOrThrow();
    expect(turn.status).toBe('done');
    expect(['node-a', 'node-b']).toContain(turn.worker_id);
    expect(turn.assistant_message_id).toBe(result.done!.messageId);
    for (const stamp of [turn.started_at, turn.retrieved_at, turn.first_token_at, turn.finished_at]) expect(stamp).toBeInstanceOf(Date);
    expect(result.done!.timings.totalMs).toBeGreaterThan(0);
    expect(result.done!.timings.queueWaitMs).toBeGreaterThanOrEqual(0);
    expect(result.done!.usage.completionTokens).toBeGreaterThan(0);

    const reply = await db.selectFrom('messages').selectAll().where('id', '=', result.done!.messageId).executeTakeFirstOrThrow();
    expect(reply).toMatchObject({ role: 'assistant', content: result.done!.text, turn_id: turnId, conversation_id: conversationId });
    // turn:done names the user message it answers and its replies, so a client needs no second read.
    expect(result.done).toMatchObject({ userMessageId: turn.user_message_id, alternatives: 1 });
    expect(reply.reply_to).toBe(turn.user_message_id);

    // Memories are made after turn:done, batched across turns.
    await memoriesSettled(db);
    const memories = await db
      .selectFrom('memories')
      .select(['kind', 'content', 'consumer_id', 'persona_id', sql<number>`vector_dims(embedding)`.as('dims'), sql<number>`vector_norm(embedding)`.as('norm')])
      .where('conversation_id', '=', conversationId)
      .orderBy('kind', 'desc')
      .execute();
    expect(memories.map((memory) => [memory.kind, memory.content])).toEqual([
      ['user_message', 'My cat is called Pixel and she loves sardines.'],
      ['fact', 'Their cat is called Pixel.'],
      ['assistant_reply', result.done!.text],
    ]);
    for (const memory of memories) {
      expect(memory).toMatchObject({ consumer_id: alice.id, persona_id: personaId, dims: 384 });
      expect(Number(memory.norm)).toBeCloseTo(1, 4);
    }

    const history = await api(stack.url, alice.apiKey)('GET', `/conversations/${conversationId}/messages`);
    expect(history.body.items.map((message: { role: string }) => message.role)).toEqual(['assistant', 'user', 'assistant']);
  });

  it("puts a memory found by vector search into a later turn's prompt, for the same consumer only", async () => {
    const first = await sendTurn(aliceSocket, { conversationId: await newConversation(alice.apiKey), text: 'My sister Margot lives in Lisbon by the river.' });
    expect(first.done).not.toBeNull();
    const firstTurn = (first.ack as { turnId: string }).turnId;
    await memoriesSettled(db);
    const sourceMemory = await db
      .selectFrom('memories')
      .innerJoin('turns', 'turns.user_message_id', 'memories.source_message_id')
      .select('memories.id')
      .where('turns.id', '=', firstTurn)
      .executeTakeFirstOrThrow();

    // A new conversation: history cannot carry it, only long-term memory can.
    const later = await sendTurn(aliceSocket, { conversationId: await newConversation(alice.apiKey), text: 'Where does my sister Margot live?' });
    const laterTurn = await db.selectFrom('turns').selectAll().where('id', '=', (later.ack as { turnId: string }).turnId).executeTakeFirstOrThrow();
    expect(laterTurn.retrieved_memory_ids).toContain(sourceMemory.id);
    const system = (laterTurn.prompt as { messages: { role: string; content: string }[] }).messages[0]!;
    expect(system.role).toBe('system');
    expect(system.content).toContain(MEMORY_HEADER);
    expect(system.content).toContain('My sister Margot lives in Lisbon by the river.');

    const bobTurn = await sendTurn(bobSocket, { conversationId: await newConversation(bob.apiKey), text: 'Where does my sister Margot live?' });
    const bobRow = await db.selectFrom('turns').selectAll().where('id', '=', (bobTurn.ack as { turnId: string }).turnId).executeTakeFirstOrThrow();
    expect(JSON.stringify(bobRow.prompt)).not.toContain('Lisbon');
    const bobMemoryOwners = await db.selectFrom('memories').select('consumer_id').where('id', 'in', bobRow.retrieved_memory_ids.length ? bobRow.retrieved_memory_ids : ['00000000-0000-0000-0000-000000000000']).execute();
    expect(bobMemoryOwners.every((row) => row.consumer_id === bob.id)).toBe(true);
  });

  it('shares turns between both workers, and each consumer only receives their own chunks', async () => {
    // One turn in flight per conversation, so eight conversations each.
    const aliceConversations = await Promise.all(Array.from({ length: 8 }, () => newConversation(alice.apiKey)));
    const bobConversations = await Promise.all(Array.from({ length: 8 }, () => newConversation(bob.apiKey)));
    const results = await Promise.all([
      ...aliceConversations.map((conversationId, n) => sendTurn(aliceSocket, { conversationId, text: `alice message ${n}` })),
      ...bobConversations.map((conversationId, n) => sendTurn(bobSocket, { conversationId, text: `bob message ${n}` })),
    ]);
    for (const result of results) {
      expect(result.done).not.toBeNull();
      expectOrderedChunks(result);
    }
    const aliceTurnIds = new Set(results.slice(0, 8).map((result) => (result.ack as { turnId: string }).turnId));
    const bobTurnIds = new Set(results.slice(8).map((result) => (result.ack as { turnId: string }).turnId));
    for (const result of results.slice(0, 8)) for (const token of result.foreignTokens) expect(aliceTurnIds.has(token.turnId)).toBe(true);
    for (const result of results.slice(8)) for (const token of result.foreignTokens) expect(bobTurnIds.has(token.turnId)).toBe(true);

    const workers = await db
      .selectFrom('turns')
      .select('worker_id')
      .distinct()
      .where('id', 'in', [...aliceTurnIds, ...bobTurnIds])
      .execute();
    expect(workers.map((row) => row.worker_id).sort()).toEqual(['node-a', 'node-b']);
  });

  it('streams one turn whole to two sockets of the same consumer on one gateway (a second tab follows it too)', async () => {
    const secondTab = await connectChat(stack.url, alice.apiKey);
    try {
      const conversationId = await newConversation(alice.apiKey);
      const tokens: string[] = [];
      let secondDone: { text: string } | null = null;
      const secondFinished = new Promise<void>((resolve) => {
        secondTab.on('turn:token', (event) => tokens.push(event.text));
        secondTab.on('turn:done', (event) => {
          secondDone = event;
          resolve();
        });
      });
      const sent = sendTurn(aliceSocket, { conversationId, text: 'Tell both of my tabs.' });
      const turnId = await new Promise<string>((resolve) => aliceSocket.once('turn:queued', (event) => resolve(event.turnId)));
      const resumed = await new Promise<TurnResumeAck>((resolve) => secondTab.emit('turn:resume', { turnId, afterSeq: -1 }, resolve));
      expect(resumed.ok).toBe(true);
      const first = await sent;
      await secondFinished;
      // The first socket kept its stream although a second follower joined the same turn on this gateway.
      expect(first.done?.text).toBe(first.tokens.map((token) => token.text).join(''));
      expect(secondDone!.text).toBe(first.done!.text);
      expect(tokens.join('')).toBe(first.done!.text);
    } finally {
      secondTab.disconnect();
    }
  });

  /** A finished turn of Alice's whose Redis stream is gone, as after its TTL or a failover that lost it whole. */
  async function finishedTurnWithoutStream(text: string) {
    const conversationId = await newConversation(alice.apiKey);
    const live = await sendTurn(aliceSocket, { conversationId, text });
    const turnId = (live.ack as { turnId: string }).turnId;
    const redis = stackRedis();
    try {
      expect(await redis.del(turnStreamKey(inject('redisPrefix'), turnId))).toBe(1);
    } finally {
      redis.disconnect();
    }
    return { live, turnId };
  }

  it('rebuilds turn:done from the database once the stream has expired: the same event the live turn sent', async () => {
    const { live, turnId } = await finishedTurnWithoutStream('Remember this one for later.');
    const rebuilt = new Promise<TurnDoneEvent>((resolve) => aliceSocket.once('turn:done', resolve));
    const ack = await new Promise<TurnResumeAck>((resolve) => aliceSocket.emit('turn:resume', { turnId, afterSeq: -1 }, resolve));
    expect(ack).toEqual({ ok: true, status: 'done' });
    const stored = assertWireShape(turnDoneEventSchema, await rebuilt, 'rebuilt turn:done');
    const { timings: _liveTimings, ...liveRest } = live.done!;
    const { timings: _storedTimings, ...storedRest } = stored;
    expect(storedRest).toEqual(liveRest);
    expect(stored).toMatchObject({ userMessageId: expect.any(String), alternatives: 1 });
  });

  it('gives a resuming client that holds chunks the whole reply again when the stream is gone (expired, or lost in a failover)', async () => {
    const { live, turnId } = await finishedTurnWithoutStream('Tell me something long enough to stream.');
    const seen: string[] = [];
    let text = '';
    const onRestarted = (event: { turnId: string; attempt: number }) => event.turnId === turnId && seen.push(`restarted ${event.attempt}`);
    const onToken = (event: { turnId: string; seq: number; text: string }) => {
      if (event.turnId !== turnId) return;
      seen.push(`token ${event.seq}`);
      text += event.text;
    };
    aliceSocket.on('turn:restarted', onRestarted);
    aliceSocket.on('turn:token', onToken);
    try {
      const rebuilt = new Promise<TurnDoneEvent>((resolve) => aliceSocket.once('turn:done', resolve));
      const ack = await new Promise<TurnResumeAck>((resolve) => aliceSocket.emit('turn:resume', { turnId, afterSeq: 1, attempt: 1 }, resolve));
      expect(ack).toEqual({ ok: true, status: 'done' });
      const done = await rebuilt;
      expect(seen).toEqual(['restarted 2', 'token 0']);
      expect(text).toBe(done.text);
      expect(done.text).toBe(live.done!.text);
    } finally {
      aliceSocket.off('turn:restarted', onRestarted);
      aliceSocket.off('turn:token', onToken);
    }
  });

  it('ends a follow from the database when the stream lost its last chunk and its done (a primary that died before replicating them)', async () => {
    const conversationId = await newConversation(alice.apiKey);
    const live = await sendTurn(aliceSocket, { conversationId, text: 'Lose the end of this one.' });
    const turnId = (live.ack as { turnId: string }).turnId;
    expect(live.tokens.length).toBeGreaterThanOrEqual(2);
    const redis = stackRedis();
    try {
      const key = turnStreamKey(inject('redisPrefix'), turnId);
      const lastTwo = await redis.xrevrange(key, '+', '-', 'COUNT', 2);
      expect(await redis.xdel(key, ...lastTwo.map(([id]) => id))).toBe(2);
    } finally {
      redis.disconnect();
    }
    const tokens: { seq: number; text: string }[] = [];
    const onToken = (event: { turnId: string; seq: number; text: string }) => event.turnId === turnId && tokens.push(event);
    let onDone: (event: TurnDoneEvent) => void = () => undefined;
    const done = new Promise<TurnDoneEvent>((resolve) => (onDone = (event) => event.turnId === turnId && resolve(event)));
    aliceSocket.on('turn:token', onToken);
    aliceSocket.on('turn:done', onDone);
    try {
      const ack = await new Promise<TurnResumeAck>((resolve) => aliceSocket.emit('turn:resume', { turnId, afterSeq: -1 }, resolve));
      // The stream still exists (it has the other chunks), so the gateway follows it; the end comes from PostgreSQL.
      expect(ack).toEqual({ ok: true, status: 'done' });
      const ended = await done;
      const { timings: _liveTimings, ...liveRest } = live.done!;
      const { timings: _storedTimings, ...storedRest } = ended;
      expect(storedRest).toEqual(liveRest);
      // The chunks the stream kept, then the rest of the stored reply as one chunk: no hole, no repeat.
      expect(tokens.map((token) => token.seq)).toEqual(tokens.map((_, index) => index));
      expect(tokens.length).toBe(live.tokens.length);
      expect(tokens.map((token) => token.text).join('')).toBe(live.done!.text);
    } finally {
      aliceSocket.off('turn:token', onToken);
      aliceSocket.off('turn:done', onDone);
    }
  });

  it('treats a resent clientTurnId as the same turn: one user message, one reply', async () => {
    const conversationId = await newConversation(alice.apiKey);
    const first = await sendTurn(aliceSocket, { conversationId, text: 'Only once, please.', clientTurnId: 'double-click-1' });
    const again = await sendTurn(aliceSocket, { conversationId, text: 'Only once, please.', clientTurnId: 'double-click-1' });
    expect(again.ack).toMatchObject({ ok: true, duplicate: true, turnId: (first.ack as { turnId: string }).turnId });
    expect(again.done?.messageId).toBe(first.done?.messageId);
    const counts = await db
      .selectFrom('messages')
      .select(['role', sql<string>`count(*)::text`.as('count')])
      .where('conversation_id', '=', conversationId)
      .groupBy('role')
      .orderBy('role')
      .execute();
    expect(counts).toEqual([
      { role: 'assistant', count: '2' },
      { role: 'user', count: '1' },
    ]);
  });

  it('after a resent turn:send is acknowledged, relays the turn from seq 0 with nothing of the first send\'s stream in between', async () => {
    // A client whose ack timed out (a Redis failover can hold the intake for seconds) sends again on the same socket
    // and reads the stream from the second ack on. The first send's relay must be stopped before that ack goes out:
    // a chunk it relays after it reads to the client as a gap (test/cluster/run.sh caught "seq 3 after -1").
    const socket = await connectChat(stack.url, alice.apiKey);
    const ROUNDS = 8;
    const afterResend = new Map<string, string[]>();
    const firstToken = new Map<string, () => void>();
    const done = new Map<string, (text: string) => void>();
    socket.on('turn:token', (event) => {
      firstToken.get(event.turnId)?.();
      afterResend.get(event.turnId)?.push(`${event.seq}:${event.text}`);
    });
    socket.on('turn:done', (event) => done.get(event.turnId)?.(event.text));
    const send = (payload: { conversationId: string; text: string; clientTurnId: string }, onAck?: (ack: TurnSendAck) => void) =>
      new Promise<TurnSendAck>((resolve) =>
        socket.emit('turn:send', payload, (ack) => {
          onAck?.(ack);
          resolve(ack);
        }),
      );
    /** Sends a turn, waits for its first chunk, sends it again; what the socket got after the second ack. */
    const resendWhileStreaming = async (index: number) => {
      const payload = { conversationId: await newConversation(alice.apiKey), text: `Resent while streaming ${index}.`, clientTurnId: `resend-${index}` };
      const first = await send(payload);
      if (!first.ok) throw new Error(JSON.stringify(first));
      const finished = new Promise<string>((resolve) => done.set(first.turnId, resolve));
      await new Promise<void>((resolve) => firstToken.set(first.turnId, resolve));
      firstToken.delete(first.turnId);
      // Recorded from the ack on, in its callback: every event after it is from the relay the resend started.
      const again = await send(payload, () => afterResend.set(first.turnId, []));
      expect(again).toMatchObject({ ok: true, duplicate: true, turnId: first.turnId });
      return { seen: afterResend.get(first.turnId)!, doneText: await finished };
    };
    try {
      // One at a time: the test stack's admission control admits only a few turns at once.
      const rounds: { seen: string[]; doneText: string }[] = [];
      for (let index = 0; index < ROUNDS; index++) rounds.push(await resendWhileStreaming(index));
      for (const { seen, doneText } of rounds) {
        expect(seen.map((entry) => Number(entry.split(':')[0]))).toEqual(seen.map((_, index) => index));
        expect(seen.map((entry) => entry.slice(entry.indexOf(':') + 1)).join('')).toBe(doneText);
      }
    } finally {
      socket.close();
    }
  });

  it('keeps old conversations on the persona version they started with', async () => {
    const before = await newConversation(alice.apiKey);
    const edited = await api(stack.url, alice.apiKey)('PATCH', `/personas/${personaId}`, { personality: 'Now very talkative.' });
    expect(edited.status).toBe(200);
    expect(edited.body.version).toBeGreaterThanOrEqual(2);
    const after = await newConversation(alice.apiKey);
    const result = await sendTurn(aliceSocket, { conversationId: before, text: 'hello again' });
    const turn = await db.selectFrom('turns').select('persona_version_id').where('id', '=', (result.ack as { turnId: string }).turnId).executeTakeFirstOrThrow();
    const conversations = await db.selectFrom('conversations').select(['id', 'persona_version_id']).where('id', 'in', [before, after]).execute();
    const versionOf = new Map(conversations.map((row) => [row.id, row.persona_version_id]));
    expect(turn.persona_version_id).toBe(versionOf.get(before));
    expect(versionOf.get(after)).toBe(edited.body.versionId);
    expect(versionOf.get(before)).not.toBe(edited.body.versionId);
    expect(JSON.stringify((await db.selectFrom('turns').select('prompt').where('persona_version_id', '=', versionOf.get(before)!).where('conversation_id', '=', before).executeTakeFirstOrThrow()).prompt)).not.toContain('Now very talkative.');
  });
});
