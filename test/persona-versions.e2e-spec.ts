// Persona versions: listed, diffed field by field; a conversation stays on its version until moved to the latest.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@doppel/db';
import { ErrorCode } from '@doppel/protocol';
import { api, connectChat, sendTurn, signUp } from './support/clients';
import { testDatabase } from './support/database';
import { startStack, type Stack } from './support/processes';

describe('persona versions', () => {
  let stack: Stack;
  let db: Kysely<Database>;

  beforeAll(async () => {
    stack = await startStack(['node-v']);
    db = testDatabase();
  });

  afterAll(async () => {
    await db?.destroy();
    await stack?.stop();
  });

  it('searches the gallery on the server: name, description or tag, an exact tag, and never others\' private personas', async () => {
    // Other suites share the database: every searched word here is this test's own.
    const unique = randomUUID().slice(0, 8);
    const creator = await signUp(stack.url, 'Searcher');
    const other = await signUp(stack.url, 'Other');
    const call = api(stack.url, creator.apiKey);
    const quill = (await call('POST', '/personas', { name: `Quillon ${unique}`, description: `Copies manuscripts-${unique}.`, tags: [`medieval-${unique}`] })).body.id;
    const harbor = (await call('POST', '/personas', { name: `Harbormaster ${unique}`, description: `Counts ships, 100% of them (${unique}).`, tags: [`sea-${unique}`] })).body.id;
    const hidden = (await api(stack.url, other.apiKey)('POST', '/personas', { name: `Quillon ${unique} in private`, visibility: 'private' })).body.id;
    const search = async (query: Record<string, string>) =>
      ((await call('GET', `/personas?limit=100&${new URLSearchParams(query)}`)).body.items as { id: string }[]).map((persona) => persona.id);

    expect(await search({ q: `QUILLON ${unique}` })).toEqual([quill]);
    expect(await search({ q: `manuscripts-${unique}` })).toEqual([quill]);
    expect(await search({ q: `medieval-${unique.slice(0, 6)}` })).toEqual([quill]);
    expect(await search({ tag: `sea-${unique}` })).toEqual([harbor]);
    expect(await search({ tag: `sea-${unique.slice(0, 6)}` })).toEqual([]);
    // LIKE wildcards in the query are plain characters.
    expect(await search({ q: `100% of them (${unique})` })).toEqual([harbor]);
    expect(await search({ q: `Harbor%${unique}` })).toEqual([]);
    expect(await search({ q: `Harbor_aster ${unique}` })).toEqual([]);
    expect(await search({ q: unique })).toEqual([harbor, quill]);
    expect(await search({ q: unique })).not.toContain(hidden);
    expect(await call('GET', `/personas?q=${'x'.repeat(101)}`)).toMatchObject({ status: 400, body: { code: ErrorCode.ValidationFailed } });
  });

  it('lists versions, diffs two of them, and moves a conversation to the latest only when asked', async () => {
    const user = await signUp(stack.url, 'Editor');
    const call = api(stack.url, user.apiKey);
    const persona = (await call('POST', '/personas', { name: 'Shifty', personality: 'calm', generation: { temperature: 0.5 } })).body;
    const conversationId = (await call('POST', '/conversations', { personaId: persona.id })).body.id;
    await call('PATCH', `/personas/${persona.id}`, { personality: 'restless', generation: { temperature: 1.2 } });
    const versions = (await call('GET', `/personas/${persona.id}/versions`)).body;
    expect(versions.map((version: { version: number }) => version.version)).toEqual([1, 2]);
    expect(versions[0].contentHash).toBe(persona.contentHash);

    const diff = (await call('GET', `/personas/${persona.id}/versions/diff?from=1&to=2`)).body;
    expect(diff.changes).toEqual([
      { field: 'generation.temperature', from: 0.5, to: 1.2 },
      { field: 'personality', from: 'calm', to: 'restless' },
    ]);
    expect(await call('GET', `/personas/${persona.id}/versions/diff?from=1&to=9`)).toMatchObject({ status: 400, body: { code: ErrorCode.ValidationFailed } });

    const socket = await connectChat(stack.url, user.apiKey);
    const turnOnOld = await sendTurn(socket, { conversationId, text: 'still the old me?' });
    const oldRow = await db.selectFrom('turns').select('persona_version_id').where('id', '=', (turnOnOld.ack as { turnId: string }).turnId).executeTakeFirstOrThrow();
    expect(oldRow.persona_version_id).toBe(versions[0].id);

    const moved = (await call('POST', `/conversations/${conversationId}/move-to-latest-version`)).body;
    expect(moved.personaVersionId).toBe(versions[1].id);
    const turnOnNew = await sendTurn(socket, { conversationId, text: 'and now?' });
    const newRow = await db.selectFrom('turns').select(['persona_version_id', 'prompt']).where('id', '=', (turnOnNew.ack as { turnId: string }).turnId).executeTakeFirstOrThrow();
    expect(newRow.persona_version_id).toBe(versions[1].id);
    expect(JSON.stringify(newRow.prompt)).toContain('restless');
    socket.close();
  });

  it('puts a lorebook entry into the prompt exactly when its key is in the scanned messages', async () => {
    const user = await signUp(stack.url, 'Lorekeeper');
    const call = api(stack.url, user.apiKey);
    const created = await call('POST', '/personas', {
      name: 'Keeper of Lore',
      lorebook: { scanDepth: 1, entries: [{ keys: ['lighthouse'], content: 'The lighthouse has 212 steps.' }] },
    });
    expect(created.status).toBe(201);
    const conversationId = (await call('POST', '/conversations', { personaId: created.body.id })).body.id;
    const socket = await connectChat(stack.url, user.apiKey);
    const promptOf = async (text: string) => {
      const turn = await sendTurn(socket, { conversationId, text });
      const row = await db.selectFrom('turns').select('prompt').where('id', '=', (turn.ack as { turnId: string }).turnId).executeTakeFirstOrThrow();
      return JSON.stringify(row.prompt);
    };
    expect(await promptOf('Tell me about the lighthouse')).toContain('The lighthouse has 212 steps.');
    // scanDepth 1: the earlier message with the key is no longer scanned.
    expect(await promptOf('And the weather?')).not.toContain('The lighthouse has 212 steps.');
    socket.close();
    expect(await call('POST', '/personas', { name: 'Bad lore', lorebook: { entries: [{ keys: [], content: 'x' }] } })).toMatchObject({ status: 400 });
  });

  it('opens a conversation with a chosen alternate greeting, and lets consumers rate replies that creators see in aggregate', async () => {
    const creator = await signUp(stack.url, 'Creator');
    const consumer = await signUp(stack.url, 'Consumer');
    const personaId = (await api(stack.url, creator.apiKey)('POST', '/personas', { name: 'Greeter', greeting: 'Hello.', alternateGreetings: ['Ahoy!', 'Well met.'] })).body.id;
    const call = api(stack.url, consumer.apiKey);
    const conversationId = (await call('POST', '/conversations', { personaId, greetingIndex: 2 })).body.id;
    expect((await call('GET', `/conversations/${conversationId}/messages`)).body.items.map((message: { content: string }) => message.content)).toEqual(['Well met.']);
    expect(await call('POST', '/conversations', { personaId, greetingIndex: 3 })).toMatchObject({ status: 400, body: { code: ErrorCode.ValidationFailed } });

    const socket = await connectChat(stack.url, consumer.apiKey);
    const turn = await sendTurn(socket, { conversationId, text: 'hi there' });
    socket.close();
    const replyId = turn.done!.messageId;
    expect((await call('POST', `/conversations/${conversationId}/messages/${replyId}/rating`, { score: 4 })).body).toEqual({ messageId: replyId, score: 4 });
    expect((await call('POST', `/conversations/${conversationId}/messages/${replyId}/rating`, { score: 5 })).body.score).toBe(5);
    const userMessage = (await call('GET', `/conversations/${conversationId}/messages`)).body.items.find((message: { role: string }) => message.role === 'user');
    expect(await call('POST', `/conversations/${conversationId}/messages/${userMessage.id}/rating`, { score: 5 })).toMatchObject({ status: 400 });
    expect(await call('POST', `/conversations/${conversationId}/messages/${replyId}/rating`, { score: 6 })).toMatchObject({ status: 400, body: { code: ErrorCode.ValidationFailed } });
    const otherConversation = (await call('POST', '/conversations', { personaId })).body.id;
    expect(await call('POST', `/conversations/${otherConversation}/messages/${replyId}/rating`, { score: 3 })).toMatchObject({ status: 404, body: { code: ErrorCode.MessageNotFound } });

    expect((await api(stack.url, creator.apiKey)('GET', `/personas/${personaId}/ratings`)).body).toEqual({ count: 1, average: 5, distribution: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 1 } });
    expect(await call('GET', `/personas/${personaId}/ratings`)).toMatchObject({ status: 404, body: { code: ErrorCode.PersonaNotFound } });
  });
});
