// The worker's turn, step by step, against the real database and Redis with the synthetic chat model and the hashing
// embedder: the context a prompt is built from (TurnContextLoader), and TurnRunner's claim → … → record with the
// final event it publishes, without a worker process or a queue.
import { randomUUID } from 'node:crypto';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationsModule, ConversationsService } from '@doppel/conversations';
import type { EmbeddingBackend } from '@doppel/inference';
import { KnowledgeRepository } from '@doppel/knowledge';
import { MemoryRepository, MemoryWriter } from '@doppel/memory';
import { ModelHost } from '@doppel/models';
import { PersonasService } from '@doppel/personas';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { turnStreamKey, type TurnStreamEvent } from '@doppel/streaming';
import { ClaimLost, NodeIdentity, PersonaVersionCache, TurnContextLoader, TurnLookup, TurnLookupModule, TurnRepository, TurnRunner, TurnsModule } from '@doppel/turns';
import { mediumTest, seedAccount, type Medium } from '../support/medium';

const WORKER = 'node-a';

describe('turn steps', () => {
  let m: Medium;
  let embedder: EmbeddingBackend;
  let turns: TurnRepository;
  let runner: TurnRunner;
  let consumerId: string;
  let personaId: string;

  beforeAll(async () => {
    m = await mediumTest({
      name: 'turn-runner',
      imports: [TurnsModule, TurnLookupModule, ConversationsModule],
      env: {
        WORKER_ID: WORKER,
        NODE_PRIVATE_KEY: Wallet.createRandom().privateKey,
        CHAT_MODELS: 'synthetic',
        DEFAULT_CHAT_MODEL: 'synthetic',
        EMBEDDING_MODEL: 'hashing-384',
        // Long enough for another node to take a turn over while this one waits for its first token.
        SYNTHETIC_TTFT_MS: '400',
        SYNTHETIC_TOKENS_PER_SECOND: '5000',
        STREAM_CHUNK_INTERVAL_MS: '5',
        MEMORY_TOP_K: '2',
        MEMORY_SWEEP_INTERVAL_MS: '600000',
      },
    });
    const models = m.get(ModelHost);
    await models.load();
    await m.get(NodeIdentity).load(models.servedChatModels.map((model) => ({ modelId: model.modelId, modelHash: model.modelHash })));
    embedder = models.embedder;
    m.get(MemoryWriter).start(embedder);
    turns = m.get(TurnRepository);
    runner = m.get(TurnRunner);
    consumerId = await seedAccount(m.db, 'Zed');
    personaId = await newPersona('Ada');
  });
  afterAll(async () => m?.close());

  /** A conversation with the persona (by default the shared one; memories are per persona and consumer). */
  const conversation = async (persona = personaId) => m.get(ConversationsService).create(consumerId, persona);
  const newPersona = async (name: string) => (await m.get(PersonasService).create(consumerId, { name, description: 'Keeps the lighthouse.', greeting: 'Hello {{user}}.' })).id;

  /** A user message and its queued turn, as the gateway's intake stores them. */
  async function queuedTurn(conversationId: string, text: string, kind: 'send' | 'regenerate' = 'send', userMessageId?: string) {
    const { persona_version_id } = await m.db.selectFrom('conversations').select('persona_version_id').where('id', '=', conversationId).executeTakeFirstOrThrow();
    const messageId =
      userMessageId ?? (await m.db.insertInto('messages').values({ conversation_id: conversationId, role: 'user', content: text }).returning('id').executeTakeFirstOrThrow()).id;
    const turn = await m.db
      .insertInto('turns')
      .values({ conversation_id: conversationId, consumer_id: consumerId, persona_version_id, client_turn_id: randomUUID(), user_message_id: messageId, kind, model_id: 'synthetic' })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { turn, userMessageId: messageId };
  }

  async function claimed(turnId: string, recall?: Parameters<TurnRepository['claim']>[4]) {
    const result = await turns.claim(turnId, WORKER, embedder.modelId, m.config.turns.historyMaxMessages, recall);
    if (!('claimed' in result)) throw new Error('expected a claim');
    return result.claimed;
  }

  const embed = async (text: string) => (await embedder.embed([text]))[0]!;

  async function remember(persona: string, conversationId: string, content: string, options: { pinned?: boolean; consumer?: string } = {}): Promise<string> {
    const memories = m.get(MemoryRepository);
    const owner = { personaId: persona, consumerId: options.consumer ?? consumerId, embeddingModel: embedder.modelId };
    const [id] = await memories.insertMany(m.db, [{ ...owner, conversationId, sourceMessageId: null, kind: 'fact', content, embedding: await embed(content) }]);
    if (options.pinned) await memories.setPinned(id!, owner.consumerId, true);
    return id!;
  }

  /** A queued turn the runner has claimed and is generating (its `started` is out); `outcome` is its error, or null. */
  async function turnBeingRun(text: string) {
    const { id: conversationId } = await conversation();
    const { turn } = await queuedTurn(conversationId, text);
    const outcome = runner.run(turn.id, new AbortController().signal, text).then(
      () => null,
      (error: unknown) => error,
    );
    await waitUntil(async () => (await streamOf(turn.id)).some((event) => event.type === 'started'));
    return { turn, outcome };
  }

  /** The ids of the replies stored for a turn. */
  const repliesOf = (turnId: string) => m.db.selectFrom('messages').select('id').where('turn_id', '=', turnId).where('role', '=', 'assistant').execute();

  /** The entries of a turn's Redis stream, oldest first. */
  async function streamOf(turnId: string): Promise<TurnStreamEvent[]> {
    const entries = await m.redis.xrange(turnStreamKey(m.config.redis.prefix, turnId), '-', '+');
    return entries.map(([, fields]) => JSON.parse(fields[1]!) as TurnStreamEvent);
  }

  describe('TurnContextLoader', () => {
    let loader: TurnContextLoader;

    beforeAll(() => {
      const personas = m.get(PersonasService);
      loader = new TurnContextLoader(m.config, m.get(MemoryRepository), m.get(KnowledgeRepository), new PersonaVersionCache((id) => personas.getVersion(id)));
    });

    it('gives the prompt the version the turn was accepted on, the shown history and the memories: pinned, then nearest', async () => {
      const persona = await newPersona('Cleo');
      const { id: conversationId, personaVersionId } = await conversation(persona);
      const earlier = await m.db.insertInto('messages').values({ conversation_id: conversationId, role: 'user', content: 'I live in Lisbon.' }).returning('id').executeTakeFirstOrThrow();
      await m.db
        .insertInto('messages')
        .values([
          { conversation_id: conversationId, role: 'assistant', content: 'A fine harbour.', reply_to: earlier.id, state: 'alternative' },
          { conversation_id: conversationId, role: 'assistant', content: 'Lisbon, lovely.', reply_to: earlier.id },
        ])
        .execute();
      await remember(persona, conversationId, 'They live in Lisbon.');
      await remember(persona, conversationId, 'They like jazz.');
      await remember(persona, conversationId, 'They build model ships.');
      await remember(persona, conversationId, 'They have a dog.', { pinned: true });
      const stranger = await seedAccount(m.db, 'Yan');
      await remember(persona, conversationId, 'They live in Lisbon, by the river.', { consumer: stranger });
      const { turn } = await queuedTurn(conversationId, 'Do I live in Lisbon?');
      // A later edit of the persona makes a new version; the turn keeps the one it was accepted on.
      await m.get(PersonasService).update(persona, consumerId, { description: 'Retired from the lighthouse.' });

      const context = await loader.load(await claimed(turn.id), embedder);
      expect(context.personaVersion).toMatchObject({ id: personaVersionId, personaId: persona });
      expect(context.personaVersion.definition.description).toBe('Keeps the lighthouse.');
      expect(context.history).toEqual([
        { role: 'assistant', content: 'Hello Zed.' },
        { role: 'user', content: 'I live in Lisbon.' },
        { role: 'assistant', content: 'Lisbon, lovely.' },
      ]);
      expect(context.memories[0]).toMatchObject({ content: 'They have a dog.', pinned: true });
      expect(context.memories).toHaveLength(1 + 2);
      expect(context.memories[1]!.content).toBe('They live in Lisbon.');
      expect(context.memories.map((memory) => memory.content)).not.toContain('They live in Lisbon, by the river.');
      expect(context).toMatchObject({ userMessage: { content: 'Do I live in Lisbon?' }, consumerName: 'Zed', personaId: persona, knowledge: [] });
      expect([...context.userEmbedding]).toEqual([...(await embed('Do I live in Lisbon?'))]);
    });

    it("uses the claim's recall only when it saw every memory, and embeds the stored text when the job's differs", async () => {
      const persona = await newPersona('Dora');
      const { id: conversationId } = await conversation(persona);
      await remember(persona, conversationId, 'They live in Lisbon.');
      const { turn } = await queuedTurn(conversationId, 'Where do I live?');
      const early = { text: 'Where do I live?', embedding: await embed('Where do I live?') };
      const claim = await claimed(turn.id, loader.recallInClaim(early.embedding, embedder.modelId));
      expect(claim.recalledMemories?.map((memory) => memory.content)).toEqual(['They live in Lisbon.']);
      // Written after the claim (the conversation's previous turn's memories, pending at claim time).
      await remember(persona, conversationId, 'They live by the sea in Lisbon.');

      const fromClaim = await loader.load(claim, embedder, { ...early, fresh: true });
      expect(fromClaim.memories.map((memory) => memory.content)).toEqual(['They live in Lisbon.']);
      expect(fromClaim.userEmbedding).toBe(early.embedding);
      const recalled = await loader.load(claim, embedder, { ...early, fresh: false });
      expect(recalled.memories.map((memory) => memory.content).sort()).toEqual(['They live by the sea in Lisbon.', 'They live in Lisbon.']);

      // The job carried the text before an edit: the stored message is what the prompt answers.
      const edited = await loader.load(claim, embedder, { text: 'Where do I work?', embedding: await embed('Where do I work?'), fresh: true });
      expect([...edited.userEmbedding]).toEqual([...early.embedding]);
      expect(edited.memories.map((memory) => memory.content).sort()).toEqual(['They live by the sea in Lisbon.', 'They live in Lisbon.']);
    });

    it("searches the persona's knowledge when it has chunks for the embedding model", async () => {
      const knowledge = m.get(KnowledgeRepository);
      const persona = await newPersona('Bea');
      const document = await knowledge.create(persona, { title: 'Tides', mediaType: 'text/plain', content: 'High tide at noon.' }, embedder.modelId);
      await knowledge.replaceChunks(document.id, document.revision, embedder.modelId, [{ content: 'High tide at noon.', embedding: await embed('High tide at noon.') }]);
      const { id: conversationId } = await conversation(persona);
      const { turn } = await queuedTurn(conversationId, 'When is high tide?');

      const claim = await claimed(turn.id);
      expect(claim.hasKnowledge).toBe(true);
      const context = await loader.load(claim, embedder);
      expect(context.knowledge.map((hit) => [hit.documentTitle, hit.content])).toEqual([['Tides', 'High tide at noon.']]);
    });
  });

  describe('TurnRunner', () => {
    it('records the reply, the finished turn and the conversation activity, and publishes done with what was stored', async () => {
      const { id: conversationId } = await conversation();
      const { turn, userMessageId } = await queuedTurn(conversationId, 'Hello Ada');
      expect(await runner.run(turn.id, new AbortController().signal, 'Hello Ada')).toBe('done');

      const stored = await m.db.selectFrom('turns').selectAll().where('id', '=', turn.id).executeTakeFirstOrThrow();
      expect(stored).toMatchObject({ status: 'done', worker_id: WORKER, attempts: 1, model_id: 'synthetic', embedding_model_id: embedder.modelId });
      expect(stored.finished_at).toBeInstanceOf(Date);
      const reply = await m.db.selectFrom('messages').selectAll().where('id', '=', stored.assistant_message_id!).executeTakeFirstOrThrow();
      expect(reply).toMatchObject({ role: 'assistant', reply_to: userMessageId, turn_id: turn.id, state: 'shown' });
      expect(reply.content.length).toBeGreaterThan(0);

      const events = await streamOf(turn.id);
      expect(events[0]).toEqual({ type: 'started', workerId: WORKER, attempt: 1 });
      expect(events.filter((event) => event.type === 'token').map((event) => event.text).join('')).toBe(reply.content);
      expect(events.at(-1)).toMatchObject({ type: 'done', messageId: reply.id, userMessageId, alternatives: 1, text: reply.content, verification: null });
    });

    it("counts a regenerated reply's alternatives, and publishes the stored done again for a turn already finished", async () => {
      const { id: conversationId } = await conversation();
      const first = await queuedTurn(conversationId, 'Tell me a story');
      await runner.run(first.turn.id, new AbortController().signal, 'Tell me a story');
      const again = await queuedTurn(conversationId, '', 'regenerate', first.userMessageId);
      await runner.run(again.turn.id, new AbortController().signal);
      const done = (await streamOf(again.turn.id)).at(-1);
      expect(done).toMatchObject({ type: 'done', userMessageId: first.userMessageId, alternatives: 2 });

      // The node died after storing the turn, before its done reached Redis: the job's retry stores nothing twice and
      // publishes the same done from what was stored.
      await m.redis.del(turnStreamKey(m.config.redis.prefix, again.turn.id));
      expect(await runner.run(again.turn.id, new AbortController().signal)).toBe('already-finished');
      expect(await streamOf(again.turn.id)).toEqual([done]);
      // And the gateway rebuilds the same event for a client that resumes after the stream expired.
      const { type, ...fields } = done as Extract<TurnStreamEvent, { type: 'done' }>;
      expect(await m.get(TurnLookup).finalEvent(again.turn.id)).toEqual({ type, event: { turnId: again.turn.id, ...fields } });
      expect(await m.db.selectFrom('messages').select('id').where('reply_to', '=', first.userMessageId).execute()).toHaveLength(2);
    });

    it('runs no turn that already failed (past its deadline): nothing stored, nothing published', async () => {
      const { id: conversationId } = await conversation();
      const { turn } = await queuedTurn(conversationId, 'Are you there?');
      await m.db.updateTable('turns').set({ queued_at: new Date(Date.now() - 10 * 60_000) }).where('id', '=', turn.id).execute();
      expect(await turns.failOverdue(60_000, ErrorCode.TurnDeadlineExceeded, 'past the deadline')).toContain(turn.id);

      expect(await runner.run(turn.id, new AbortController().signal, 'Are you there?')).toBe('already-finished');
      expect(await m.db.selectFrom('turns').select(['status', 'worker_id', 'attempts']).where('id', '=', turn.id).executeTakeFirstOrThrow()).toEqual({ status: 'failed', worker_id: null, attempts: 0 });
      expect(await repliesOf(turn.id)).toEqual([]);
      expect(await streamOf(turn.id)).toEqual([]);
    });

    it('stores nothing when another node took the turn over while this one generated', async () => {
      const { turn, outcome } = await turnBeingRun('Hello again');
      await turns.claim(turn.id, 'node-b', embedder.modelId, 20);

      const error = await outcome;
      expect(error).toBeInstanceOf(DoppelError);
      expect((error as DoppelError).code).toBe(ErrorCode.TurnFailed);
      expect(await repliesOf(turn.id)).toEqual([]);
      expect(await m.db.selectFrom('turns').select(['status', 'worker_id']).where('id', '=', turn.id).executeTakeFirstOrThrow()).toEqual({ status: 'running', worker_id: 'node-b' });
      expect((await streamOf(turn.id)).some((event) => event.type === 'done')).toBe(false);
    });

    it('retries an attempt whose claim a database crash lost (the turn queued again), where a takeover is final', async () => {
      const { turn, outcome } = await turnBeingRun('Hello once more');
      // What a crash leaves when the claim's commit had not reached the disk: the row as the intake wrote it.
      await m.db.updateTable('turns').set({ status: 'queued', worker_id: null }).where('id', '=', turn.id).execute();

      const error = await outcome;
      expect(error).toBeInstanceOf(ClaimLost);
      expect(error).not.toBeInstanceOf(DoppelError);
      expect(await repliesOf(turn.id)).toEqual([]);
      // The job's next attempt claims it again and records it.
      expect(await runner.run(turn.id, new AbortController().signal, 'Hello once more')).toBe('done');
      expect(await m.db.selectFrom('turns').select(['status', 'worker_id']).where('id', '=', turn.id).executeTakeFirstOrThrow()).toEqual({ status: 'done', worker_id: WORKER });
    });

    it('fails a turn once with an error event; a finished turn gets no error after its done', async () => {
      const { id: conversationId } = await conversation();
      const { turn } = await queuedTurn(conversationId, 'Hello');
      await runner.fail(turn.id, ErrorCode.ModelFailed, 'The model failed.');
      await runner.fail(turn.id, ErrorCode.TurnFailed, 'again');
      expect(await streamOf(turn.id)).toEqual([{ type: 'error', code: ErrorCode.ModelFailed, message: 'The model failed.' }]);

      const done = await queuedTurn(conversationId, 'Hello?');
      await runner.run(done.turn.id, new AbortController().signal, 'Hello?');
      await runner.fail(done.turn.id, ErrorCode.TurnFailed, 'too late');
      expect((await streamOf(done.turn.id)).map((event) => event.type)).not.toContain('error');
      expect(await m.db.selectFrom('turns').select('status').where('id', '=', done.turn.id).executeTakeFirstOrThrow()).toEqual({ status: 'done' });
    });
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
