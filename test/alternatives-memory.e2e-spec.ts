// Consumers' chat controls and visible memory, end to end: regenerate (alternatives), choose, edit and re-run,
// pinning, fact extraction, and that what is hidden or deleted never reaches a later prompt.
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@doppel/db';
import { ErrorCode } from '@doppel/protocol';
import { api, connectChat, editTurn, regenerateTurn, sendTurn, signUp, type ChatClient, type TurnResult } from './support/clients';
import { memoriesSettled, testDatabase } from './support/database';
import { startStack, waitFor, type Stack } from './support/processes';

const MAX_PINNED = 2;

describe('regenerate, choose, edit, pin and facts', () => {
  let stack: Stack;
  let db: Kysely<Database>;
  let consumer: { id: string; apiKey: string };
  let call: ReturnType<typeof api>;
  let socket: ChatClient;
  let personaId: string;

  const turnIdOf = (result: TurnResult) => {
    if (!result.ack.ok) throw new Error(`turn refused: ${JSON.stringify(result.ack.error)}`);
    expect(result.done, 'turn finished').not.toBeNull();
    return result.ack.turnId;
  };
  const storedPrompt = async (turnId: string) =>
    JSON.stringify((await db.selectFrom('turns').select('prompt').where('id', '=', turnId).executeTakeFirstOrThrow()).prompt);
  const newConversation = async () => (await call('POST', '/conversations', { personaId })).body.id as string;
  const messagesOf = async (conversationId: string) => (await call('GET', `/conversations/${conversationId}/messages`)).body.items as any[];
  // Memories are made after turn:done, batched across turns: wait for them before reading what is remembered.
  const memories = async (query = '') => (await memoriesSettled(db), await call('GET', `/personas/${personaId}/memories?limit=200${query}`)).body.items as any[];

  beforeAll(async () => {
    // Top-1 retrieval makes "this memory is in the prompt because it is pinned" unambiguous.
    stack = await startStack(['node-alt'], { MEMORY_TOP_K: '1', MEMORY_MAX_PINNED: String(MAX_PINNED) });
    db = testDatabase();
    consumer = await signUp(stack.url, 'Swiper');
    call = api(stack.url, consumer.apiKey);
    personaId = (await call('POST', '/personas', { name: 'Echo', greeting: 'Hello there.' })).body.id;
    socket = await connectChat(stack.url, consumer.apiKey);
  });

  afterAll(async () => {
    socket?.close();
    await db?.destroy();
    await stack?.stop();
  });

  it('regenerates over the socket and REST, keeps every alternative, and only the chosen one is in later context', async () => {
    const conversationId = await newConversation();
    const first = await sendTurn(socket, { conversationId, text: 'Tell me about the sea.' });
    turnIdOf(first);
    const second = await regenerateTurn(socket, { conversationId });
    turnIdOf(second);
    expect(second.tokens.length).toBeGreaterThan(0);
    expect(second.done!.text).not.toBe(first.done!.text);

    const shown = await messagesOf(conversationId);
    expect(shown.map((message) => message.content)).toEqual(['Hello there.', 'Tell me about the sea.', second.done!.text]);
    expect(shown[2]).toMatchObject({ id: second.done!.messageId, alternatives: 2, replyTo: shown[1].id });
    // turn:done already said so: which message each reply answers and how many replies it has.
    expect(first.done).toMatchObject({ userMessageId: shown[1].id, alternatives: 1 });
    expect(second.done).toMatchObject({ userMessageId: shown[1].id, alternatives: 2 });

    // REST regenerate: accepted now, finished later (followed here through GET /turns/:id).
    const accepted = await call('POST', `/conversations/${conversationId}/regenerate`, { clientTurnId: 'rest-regenerate-1' });
    expect(accepted).toMatchObject({ status: 202, body: { conversationId, duplicate: false } });
    const third = await waitFor(async () => {
      const turn = await call('GET', `/turns/${accepted.body.turnId}`);
      return turn.body.status === 'done' ? turn.body.done : null;
    }, 'the REST regenerate to finish');
    const alternatives = (await call('GET', `/conversations/${conversationId}/messages/${third.messageId}/alternatives`)).body;
    expect(alternatives.map((alternative: any) => [alternative.id, alternative.chosen])).toEqual([
      [first.done!.messageId, false],
      [second.done!.messageId, false],
      [third.messageId, true],
    ]);
    // The user message is remembered once, however many replies it got.
    const userMemories = await db.selectFrom('memories').select('id').where('source_message_id', '=', shown[1].id).where('kind', '=', 'user_message').execute();
    expect(userMemories).toHaveLength(1);

    const afterThird = turnIdOf(await sendTurn(socket, { conversationId, text: 'And what lives there?' }));
    expect(await storedPrompt(afterThird)).toContain(third.text);
    expect(await storedPrompt(afterThird)).not.toContain(first.done!.text);

    // Choose an earlier exchange's alternative (over the socket): it replaces the shown one in history and memory.
    const ack = await new Promise<any>((resolve) => socket.emit('message:choose', { conversationId, messageId: first.done!.messageId }, resolve));
    expect(ack.ok).toBe(true);
    expect(ack.alternatives.find((alternative: any) => alternative.chosen).id).toBe(first.done!.messageId);
    expect((await messagesOf(conversationId)).map((message) => message.id)).toContain(first.done!.messageId);
    expect((await memories()).map((memory) => memory.content)).not.toContain(third.text);
    const afterChoice = turnIdOf(await sendTurn(socket, { conversationId, text: 'Tell me more.' }));
    const prompt = await storedPrompt(afterChoice);
    expect(prompt).toContain(first.done!.text);
    expect(prompt).not.toContain(third.text);
    expect(prompt).not.toContain(second.done!.text);

    // REST choose answers the same way; regenerating a conversation without a user message is refused.
    const chosen = await call('POST', `/conversations/${conversationId}/messages/${third.messageId}/choose`);
    expect(chosen.status).toBe(200);
    expect(chosen.body.find((alternative: any) => alternative.chosen).id).toBe(third.messageId);
    const empty = await newConversation();
    expect(await call('POST', `/conversations/${empty}/regenerate`, { clientTurnId: 'nothing' })).toMatchObject({
      status: 409,
      body: { code: ErrorCode.NothingToRegenerate },
    });
    const refused = await regenerateTurn(socket, { conversationId: empty });
    expect(refused.ack).toMatchObject({ ok: false, error: { code: ErrorCode.NothingToRegenerate } });
  });

  it('edits the last message and re-runs it: the old text and its reply leave the conversation, the prompt and memory', async () => {
    const conversationId = await newConversation();
    const original = await sendTurn(socket, { conversationId, text: 'I like cats.' });
    turnIdOf(original);
    const [, userMessage] = await messagesOf(conversationId);
    expect((await memories()).map((memory) => memory.content)).toContain('They like cats.');

    const edited = await editTurn(socket, { conversationId, messageId: userMessage.id, text: 'I like dogs.' });
    const editedTurn = turnIdOf(edited);
    const prompt = await storedPrompt(editedTurn);
    expect(prompt).toContain('I like dogs.');
    expect(prompt).not.toContain('cats');

    const shown = await messagesOf(conversationId);
    expect(shown.map((message) => message.content)).toEqual(['Hello there.', 'I like dogs.', edited.done!.text]);
    expect(shown[1].id).toBe(userMessage.id);
    expect(shown[1].editedAt).not.toBeNull();
    expect(shown[2].alternatives).toBe(1);
    expect(edited.done).toMatchObject({ messageId: shown[2].id, userMessageId: userMessage.id, alternatives: 1 });
    const remembered = (await memories()).map((memory) => memory.content);
    expect(remembered).toEqual(expect.arrayContaining(['I like dogs.', 'They like dogs.', edited.done!.text]));
    expect(remembered.filter((content) => content.includes('cats') || content === original.done!.text)).toEqual([]);

    // REST edit; then only the last message is editable.
    const rest = await call('PUT', `/conversations/${conversationId}/messages/${userMessage.id}`, { clientTurnId: 'rest-edit-1', text: 'I like birds.' });
    expect(rest.status).toBe(202);
    await waitFor(async () => ((await call('GET', `/turns/${rest.body.turnId}`)).body.status === 'done' ? true : null), 'the REST edit to finish');
    expect((await messagesOf(conversationId))[1].content).toBe('I like birds.');
    turnIdOf(await sendTurn(socket, { conversationId, text: 'Anything else?' }));
    const stale = await editTurn(socket, { conversationId, messageId: userMessage.id, text: 'I like fish.' });
    expect(stale.ack).toMatchObject({ ok: false, error: { code: ErrorCode.MessageNotEditable } });
    expect((await call('PUT', `/conversations/${conversationId}/messages/${userMessage.id}`, { clientTurnId: 'late', text: 'x' })).body.code).toBe(
      ErrorCode.MessageNotEditable,
    );
  });

  it('extracts facts once, pins a memory into every prompt, and never lets a deleted one back in', async () => {
    const talk = await newConversation();
    turnIdOf(await sendTurn(socket, { conversationId: talk, text: 'My name is Zed.' }));
    turnIdOf(await sendTurn(socket, { conversationId: talk, text: 'Please, my name is Zed. Remember it.' }));
    turnIdOf(await sendTurn(socket, { conversationId: talk, text: 'Quarks gluons lattice chromodynamics.' }));
    const facts = (await memories()).filter((memory) => memory.kind === 'fact' && memory.content === 'Their name is Zed.');
    expect(facts).toHaveLength(1);
    // A new value in a one-value slot replaces the old one (keeping its pin); within a message, the last one wins.
    const colors = async () => (await memories()).filter((memory) => memory.kind === 'fact' && memory.content.startsWith('Their favorite color'));
    turnIdOf(await sendTurn(socket, { conversationId: talk, text: 'My favorite color is green.' }));
    const green = (await colors())[0];
    expect(green.content).toBe('Their favorite color is green.');
    expect((await call('PATCH', `/memories/${green.id}`, { pinned: true })).status).toBe(200);
    turnIdOf(await sendTurn(socket, { conversationId: talk, text: 'My favorite color is red. No wait, my favorite color is blue.' }));
    expect((await colors()).map((memory) => [memory.content, memory.pinned])).toEqual([['Their favorite color is blue.', true]]);
    // Facts outside the slots accumulate.
    turnIdOf(await sendTurn(socket, { conversationId: talk, text: 'I like cats. I like dogs.' }));
    expect((await memories()).filter((memory) => ['They like cats.', 'They like dogs.'].includes(memory.content))).toHaveLength(2);
    expect((await call('PATCH', `/memories/${(await colors())[0].id}`, { pinned: false })).status).toBe(200);

    // Unpinned, a fact unrelated to the question does not make the top-1 cut in a fresh conversation.
    const before = turnIdOf(await sendTurn(socket, { conversationId: await newConversation(), text: 'gluons lattice chromodynamics quarks' }));
    expect(await storedPrompt(before)).not.toContain('Zed');

    const pinned = await call('PATCH', `/memories/${facts[0].id}`, { pinned: true });
    expect(pinned).toMatchObject({ status: 200, body: { id: facts[0].id, pinned: true } });
    expect((await memories('&pinned=true')).map((memory) => memory.id)).toEqual([facts[0].id]);
    const whilePinned = turnIdOf(await sendTurn(socket, { conversationId: await newConversation(), text: 'gluons lattice chromodynamics quarks' }));
    expect(await storedPrompt(whilePinned)).toContain('Their name is Zed.');
    const row = await db.selectFrom('turns').select('retrieved_memory_ids').where('id', '=', whilePinned).executeTakeFirstOrThrow();
    expect(row.retrieved_memory_ids).toContain(facts[0].id);

    // The cap on pins, with a clear error.
    const others = (await memories('&pinned=false')).slice(0, MAX_PINNED);
    expect((await call('PATCH', `/memories/${others[0].id}`, { pinned: true })).status).toBe(200);
    expect(await call('PATCH', `/memories/${others[1].id}`, { pinned: true })).toMatchObject({ status: 409, body: { code: ErrorCode.PinLimitReached } });
    expect(await call('PATCH', `/memories/${facts[0].id}`, { pinned: 'yes' })).toMatchObject({ status: 400, body: { code: ErrorCode.ValidationFailed } });

    expect((await call('DELETE', `/memories/${facts[0].id}`)).status).toBe(204);
    const afterDelete = turnIdOf(await sendTurn(socket, { conversationId: await newConversation(), text: 'gluons lattice chromodynamics quarks' }));
    expect(await storedPrompt(afterDelete)).not.toContain('Their name is Zed.');
  });

  it('offers rating and memory list, pin and delete as socket events too, with the same errors', async () => {
    const ask = (event: string, payload: unknown) => new Promise<any>((resolve) => (socket.emit as (...args: unknown[]) => void)(event, payload, resolve));
    const conversationId = await newConversation();
    const turn = await sendTurn(socket, { conversationId, text: 'I work at a lighthouse.' });
    turnIdOf(turn);

    expect(await ask('message:rate', { conversationId, messageId: turn.done!.messageId, score: 4 })).toEqual({ ok: true, messageId: turn.done!.messageId, score: 4 });
    expect(await ask('message:rate', { conversationId, messageId: turn.done!.messageId, score: 9 })).toMatchObject({ ok: false, error: { code: ErrorCode.ValidationFailed } });
    expect((await call('GET', `/personas/${personaId}/ratings`)).body.distribution['4']).toBeGreaterThanOrEqual(1);

    await memoriesSettled(db);
    const listed = await ask('memory:list', { personaId, limit: 5 });
    expect(listed.ok).toBe(true);
    const fact = listed.items.find((memory: any) => memory.content === 'They work at a lighthouse.');
    expect(fact).toMatchObject({ kind: 'fact', pinned: false, conversationId });

    expect(await ask('memory:pin', { memoryId: fact.id, pinned: true })).toMatchObject({ ok: true, memory: { id: fact.id, pinned: true } });
    const pinnedTurn = turnIdOf(await sendTurn(socket, { conversationId: await newConversation(), text: 'gluons lattice chromodynamics quarks' }));
    expect(await storedPrompt(pinnedTurn)).toContain('They work at a lighthouse.');

    expect(await ask('memory:delete', { memoryId: fact.id })).toEqual({ ok: true, deleted: true });
    expect(await ask('memory:delete', { memoryId: fact.id })).toMatchObject({ ok: false, error: { code: ErrorCode.MemoryNotFound } });
    expect(await ask('memory:pin', { memoryId: fact.id, pinned: true })).toMatchObject({ ok: false, error: { code: ErrorCode.MemoryNotFound } });
    expect(await ask('memory:list', { personaId: '00000000-0000-0000-0000-000000000000' })).toMatchObject({ ok: false, error: { code: ErrorCode.PersonaNotFound } });
    const afterDelete = turnIdOf(await sendTurn(socket, { conversationId: await newConversation(), text: 'gluons lattice chromodynamics quarks' }));
    expect(await storedPrompt(afterDelete)).not.toContain('lighthouse');
  });
});
