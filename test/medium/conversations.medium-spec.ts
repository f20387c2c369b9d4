// ConversationsService against the real database: opening, paging, rating, alternatives, moving and deleting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationsModule, ConversationsService } from '@doppel/conversations';
import { toVectorParam } from '@doppel/db';
import { PersonasService } from '@doppel/personas';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { mediumTest, seedAccount, type Medium } from '../support/medium';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => null, (thrown: unknown) => thrown);
  if (!(error instanceof DoppelError)) throw new Error(`expected a DoppelError, got ${String(error)}`);
  return error.code;
}

describe('ConversationsService', () => {
  let m: Medium;
  let conversations: ConversationsService;
  let personas: PersonasService;
  let consumerId: string;
  let personaId: string;

  beforeAll(async () => {
    m = await mediumTest({ name: 'conversations', imports: [ConversationsModule] });
    conversations = m.get(ConversationsService);
    personas = m.get(PersonasService);
    consumerId = await seedAccount(m.db, 'Zed');
    personaId = (await personas.create(consumerId, { name: 'Ada', greeting: 'Evening, {{user}}.', alternateGreetings: ['Morning, {{user}}.'] })).id;
  });
  afterAll(async () => m?.close());

  /** A user message and a reply to it, as a finished turn leaves them. */
  async function exchange(conversationId: string, userText: string, replies: string[]) {
    const user = await m.db.insertInto('messages').values({ conversation_id: conversationId, role: 'user', content: userText }).returning('id').executeTakeFirstOrThrow();
    const replyIds: string[] = [];
    for (const [index, content] of replies.entries()) {
      const state = index === replies.length - 1 ? 'shown' : 'alternative';
      const reply = await m.db.insertInto('messages').values({ conversation_id: conversationId, role: 'assistant', content, reply_to: user.id, state }).returning('id').executeTakeFirstOrThrow();
      replyIds.push(reply.id);
    }
    return { userId: user.id, replyIds };
  }

  it('opens a conversation with the chosen greeting, placeholders filled', async () => {
    const conversation = await conversations.create(consumerId, personaId, 1);
    expect(conversation).toMatchObject({ personaId, personaName: 'Ada' });
    const page = await conversations.listMessages(conversation.id, consumerId, { limit: 10 });
    expect(page.items.map((message) => [message.role, message.content])).toEqual([['assistant', 'Morning, Zed.']]);
    expect(await codeOf(conversations.create(consumerId, personaId, 5))).toBe(ErrorCode.ValidationFailed);
  });

  it('opens a conversation from a client history once per id', async () => {
    const id = '6f1a2b3c-0000-4000-8000-000000000001';
    const history = [
      { role: 'user' as const, content: 'Hi' },
      { role: 'assistant' as const, content: 'Hello' },
    ];
    const first = await conversations.createFromHistory(consumerId, personaId, history, id);
    expect(first).toMatchObject({ created: true, conversation: { id } });
    const again = await conversations.createFromHistory(consumerId, personaId, [...history, { role: 'user', content: 'more' }], id);
    expect(again.created).toBe(false);
    const page = await conversations.listMessages(id, consumerId, { limit: 10 });
    expect(page.items.map((message) => message.content)).toEqual(['Hi', 'Hello']);
  });

  it('pages messages newest first by cursor, each page oldest first', async () => {
    const { id } = await conversations.create(consumerId, personaId);
    for (let index = 1; index <= 4; index += 1) await exchange(id, `q${index}`, [`a${index}`]);
    const first = await conversations.listMessages(id, consumerId, { limit: 4 });
    expect(first.items.map((message) => message.content)).toEqual(['q3', 'a3', 'q4', 'a4']);
    const second = await conversations.listMessages(id, consumerId, { limit: 4, before: first.nextCursor! });
    expect(second.items.map((message) => message.content)).toEqual(['q1', 'a1', 'q2', 'a2']);
    const last = await conversations.listMessages(id, consumerId, { limit: 4, before: second.nextCursor! });
    expect(last.items.map((message) => message.content)).toEqual(['Evening, Zed.']);
    expect(last.nextCursor).toBeNull();
  });

  it("lists the consumer's conversations by last activity, and nobody else's", async () => {
    const consumer = await seedAccount(m.db, 'Kim');
    const older = await conversations.create(consumer, personaId);
    const newer = await conversations.create(consumer, personaId);
    await m.db.updateTable('conversations').set({ last_message_at: new Date(Date.now() - 60_000) }).where('id', '=', older.id).execute();
    const first = await conversations.listMine(consumer, { limit: 1 });
    expect(first.items.map((item) => item.id)).toEqual([newer.id]);
    const second = await conversations.listMine(consumer, { limit: 1, cursor: first.nextCursor! });
    expect(second.items.map((item) => item.id)).toEqual([older.id]);
    expect(second.nextCursor).toBeNull();
    expect(await codeOf(conversations.getOwned(older.id, consumerId))).toBe(ErrorCode.ConversationNotFound);
  });

  it("rates the persona's replies only, and sums ratings for the persona's creator", async () => {
    const { id } = await conversations.create(consumerId, personaId);
    const { userId, replyIds } = await exchange(id, 'Hi', ['Hello there']);
    await conversations.rate(id, replyIds[0]!, consumerId, 2);
    await conversations.rate(id, replyIds[0]!, consumerId, 5);
    expect(await codeOf(conversations.rate(id, userId, consumerId, 3))).toBe(ErrorCode.ValidationFailed);
    const summary = await conversations.ratingsSummary(personaId, consumerId);
    expect(summary.distribution['5']).toBeGreaterThanOrEqual(1);
    expect(summary.distribution['2']).toBe(0);
    const stranger = await seedAccount(m.db, 'Eve');
    expect(await codeOf(conversations.ratingsSummary(personaId, stranger))).toBe(ErrorCode.PersonaNotFound);
  });

  it('chooses an alternative: it is shown, its siblings hidden, and their memories leave the context', async () => {
    const { id } = await conversations.create(consumerId, personaId);
    const { replyIds } = await exchange(id, 'Tell me a story', ['Once upon a time.', 'Long ago.']);
    const [first, second] = replyIds as [string, string];
    await m.db
      .insertInto('memories')
      .values([first, second].map((source, index) => ({
        persona_id: personaId,
        consumer_id: consumerId,
        conversation_id: id,
        source_message_id: source,
        kind: 'assistant_reply' as const,
        content: `reply ${index}`,
        content_hash: 'a'.repeat(64),
        embedding_model: 'doppel-embed-small',
        embedding_dims: 3,
        embedding: toVectorParam([1, 0, 0]),
        in_context: source === second,
      })))
      .execute();

    const listed = await conversations.listAlternatives(id, first, consumerId);
    expect(listed.map((alternative) => [alternative.id, alternative.chosen])).toEqual([[first, false], [second, true]]);
    await conversations.chooseAlternative(id, first, consumerId);
    const states = await m.db.selectFrom('messages').select(['id', 'state']).where('id', 'in', [first, second]).execute();
    expect(Object.fromEntries(states.map((row) => [row.id, row.state]))).toEqual({ [first]: 'shown', [second]: 'alternative' });
    const memories = await m.db.selectFrom('memories').select(['source_message_id', 'in_context']).where('conversation_id', '=', id).execute();
    expect(Object.fromEntries(memories.map((row) => [row.source_message_id, row.in_context]))).toEqual({ [first]: true, [second]: false });
    const shown = await conversations.listMessages(id, consumerId, { limit: 10 });
    expect(shown.items.at(-1)).toMatchObject({ id: first, alternatives: 2 });
  });

  it('moves a conversation to the persona’s latest version and deletes it with its messages', async () => {
    const { id, personaVersionId } = await conversations.create(consumerId, personaId);
    const edited = await personas.update(personaId, consumerId, { description: 'Keeps a lighthouse.' });
    expect(edited.versionId).not.toBe(personaVersionId);
    expect((await conversations.moveToLatestVersion(id, consumerId)).personaVersionId).toBe(edited.versionId);

    const stranger = await seedAccount(m.db, 'Eve');
    expect(await codeOf(conversations.delete(id, stranger))).toBe(ErrorCode.ConversationNotFound);
    await conversations.delete(id, consumerId);
    expect(await m.db.selectFrom('messages').select('id').where('conversation_id', '=', id).execute()).toEqual([]);
    expect(await codeOf(conversations.getOwned(id, consumerId))).toBe(ErrorCode.ConversationNotFound);
  });
});
