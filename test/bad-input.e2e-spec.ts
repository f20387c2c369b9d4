// Bad input and failures: each gets a stable error code, nothing half-written remains, and the server keeps serving.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@doppel/db';
import { ErrorCode } from '@doppel/protocol';
import { api, connectChat, sendRaw, sendTurn, signUp, type ChatClient } from './support/clients';
import { testDatabase } from './support/database';
import { FAULT_TRIGGER, MAX_MESSAGE_CHARS, startStack, type Stack } from './support/processes';

describe('bad input and failures', () => {
  let stack: Stack;
  let db: Kysely<Database>;
  let alice: { id: string; apiKey: string };
  let mallory: { id: string; apiKey: string };
  let personaId: string;
  let aliceConversation: string;
  let socket: ChatClient;

  beforeAll(async () => {
    stack = await startStack(['node-x']);
    db = testDatabase();
    alice = await signUp(stack.url, 'Alice');
    mallory = await signUp(stack.url, 'Mallory');
    personaId = (await api(stack.url, alice.apiKey)('POST', '/personas', { name: 'Brin', greeting: 'Hi.' })).body.id;
    aliceConversation = (await api(stack.url, alice.apiKey)('POST', '/conversations', { personaId })).body.id;
    socket = await connectChat(stack.url, alice.apiKey);
  });

  afterAll(async () => {
    socket?.close();
    await db?.destroy();
    await stack?.stop();
  });

  describe('socket handshake', () => {
    it.each([
      ['no token', undefined],
      ['a malformed token', 'not-a-key'],
      ['a well-formed but unknown key', 'dpl_0123456789_abcdefghijklmnopqrstuvwxyzABCDEF'],
    ])('refuses %s with UNAUTHENTICATED', async (_, token) => {
      const error = (await connectChat(stack.url, token).then(
        () => null,
        (failure: Error & { data?: { code: string } }) => failure,
      ))!;
      expect(error).not.toBeNull();
      expect(error.data?.code).toBe(ErrorCode.Unauthenticated);
      expect(error.message).toMatch(/API key/);
    });
  });

  describe('turn:send', () => {
    it.each([
      ['a string', 'hello'],
      ['missing text', { conversationId: randomUUID(), clientTurnId: 'a' }],
      ['text as a number', { conversationId: randomUUID(), text: 42, clientTurnId: 'a' }],
      ['an unknown field', { conversationId: randomUUID(), text: 'hi', clientTurnId: 'a', admin: true }],
      ['an over-long clientTurnId', { conversationId: randomUUID(), text: 'hi', clientTurnId: 'x'.repeat(65) }],
    ])('rejects a payload with %s as VALIDATION_FAILED', async (_, payload) => {
      const ack = await sendRaw(socket, payload);
      expect(ack).toMatchObject({ ok: false, error: { code: ErrorCode.ValidationFailed } });
    });

    it('rejects empty and whitespace-only text as MESSAGE_EMPTY', async () => {
      for (const text of ['', '   \n ']) {
        const ack = await sendRaw(socket, { conversationId: aliceConversation, text, clientTurnId: randomUUID() });
        expect(ack).toMatchObject({ ok: false, error: { code: ErrorCode.MessageEmpty } });
      }
    });

    it(`rejects text over the ${MAX_MESSAGE_CHARS}-character limit as MESSAGE_TOO_LONG`, async () => {
      const ack = await sendRaw(socket, { conversationId: aliceConversation, text: 'a'.repeat(MAX_MESSAGE_CHARS + 1), clientTurnId: randomUUID() });
      expect(ack).toMatchObject({ ok: false, error: { code: ErrorCode.MessageTooLong } });
      const exactly = await sendTurn(socket, { conversationId: aliceConversation, text: 'a'.repeat(MAX_MESSAGE_CHARS) });
      expect(exactly.done).not.toBeNull();
    });

    it('tells clients the limit before they send (GET /limits, public)', async () => {
      const limits = await api(stack.url)('GET', '/limits');
      expect(limits).toMatchObject({ status: 200, body: { maxMessageChars: MAX_MESSAGE_CHARS, maxSampleMessageChars: 4000 } });
    });

    it("answers unknown, malformed and someone else's conversation ids alike: CONVERSATION_NOT_FOUND", async () => {
      const malloryConversation = (await api(stack.url, mallory.apiKey)('POST', '/conversations', { personaId })).body.id;
      for (const conversationId of [randomUUID(), 'not-a-uuid', malloryConversation]) {
        const ack = await sendRaw(socket, { conversationId, text: 'hello', clientTurnId: randomUUID() });
        expect(ack).toMatchObject({ ok: false, error: { code: ErrorCode.ConversationNotFound } });
      }
      const stored = await db.selectFrom('messages').select(sql<string>`count(*)::text`.as('count')).where('conversation_id', '=', malloryConversation).executeTakeFirstOrThrow();
      expect(stored.count).toBe('1');
    });

    it('turns a model that throws mid-stream into turn:error, leaves no reply or memory behind, and keeps serving', async () => {
      const failed = await sendTurn(socket, { conversationId: aliceConversation, text: `please ${FAULT_TRIGGER} now` });
      expect(failed.ack.ok).toBe(true);
      expect(failed.error).toMatchObject({ code: ErrorCode.ModelFailed });
      expect(failed.done).toBeNull();

      const turnId = (failed.ack as { turnId: string }).turnId;
      const turn = await db.selectFrom('turns').selectAll().where('id', '=', turnId).executeTakeFirstOrThrow();
      expect(turn).toMatchObject({ status: 'failed', error_code: ErrorCode.ModelFailed, assistant_message_id: null });
      const replies = await db.selectFrom('messages').select('id').where('turn_id', '=', turnId).where('role', '=', 'assistant').execute();
      expect(replies).toEqual([]);
      const memories = await db.selectFrom('memories').select('id').where('source_message_id', '=', turn.user_message_id).execute();
      expect(memories).toEqual([]);

      const next = await sendTurn(socket, { conversationId: aliceConversation, text: 'are you still there?' });
      expect(next.done).not.toBeNull();
    });

    it('never leaves an assistant message without a finished turn', async () => {
      const orphans = await db
        .selectFrom('messages')
        .leftJoin('turns', 'turns.id', 'messages.turn_id')
        .select('messages.id')
        .where('messages.role', '=', 'assistant')
        .where('messages.turn_id', 'is not', null)
        .where((eb) => eb.or([eb('turns.status', '!=', 'done'), eb('turns.id', 'is', null)]))
        .execute();
      expect(orphans).toEqual([]);
    });
  });

  describe('REST', () => {
    it('requires an API key (401 UNAUTHENTICATED)', async () => {
      for (const key of [undefined, 'dpl_0123456789_abcdefghijklmnopqrstuvwxyzABCDEF']) {
        const response = await api(stack.url, key)('GET', '/personas');
        expect(response.status).toBe(401);
        expect(response.body.code).toBe(ErrorCode.Unauthenticated);
      }
    });

    it('validates persona bodies (400 VALIDATION_FAILED) and names the field', async () => {
      const call = api(stack.url, alice.apiKey);
      const missingName = await call('POST', '/personas', { description: 'no name' });
      expect(missingName.status).toBe(400);
      expect(missingName.body).toMatchObject({ code: ErrorCode.ValidationFailed });
      expect(missingName.body.message).toContain('name');
      const unknownField = await call('POST', '/personas', { name: 'X', isAdmin: true });
      expect(unknownField.status).toBe(400);
      const badParams = await call('POST', '/personas', { name: 'X', generation: { temperature: 9 } });
      expect(badParams.status).toBe(400);
      expect(badParams.body.message).toContain('generation.temperature');
    });

    it('rejects invalid JSON (400) and oversized bodies (413) with codes', async () => {
      const call = api(stack.url, alice.apiKey);
      const invalid = await call('POST', '/personas', undefined, { rawBody: '{"name": ' });
      expect(invalid).toMatchObject({ status: 400, body: { code: ErrorCode.ValidationFailed } });
      const huge = await call('POST', '/conversations', { personaId: 'x'.repeat(70_000) });
      expect(huge).toMatchObject({ status: 413, body: { code: ErrorCode.PayloadTooLarge } });
      // Persona definitions hold up to 64k characters a field, so their routes take up to PERSONA_MAX_BODY_BYTES.
      const long = await call('POST', '/personas', { name: 'Long', description: 'x'.repeat(60_000), personality: 'y'.repeat(60_000) });
      expect(long.status).toBe(201);
      const hugePersona = await call('POST', '/personas', { name: 'Big', description: 'x'.repeat(5 * 1024 * 1024) });
      expect(hugePersona).toMatchObject({ status: 413, body: { code: ErrorCode.PayloadTooLarge } });
    });

    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(new URL(path, stack.url), { method: 'POST', body, headers: { authorization: `Bearer ${alice.apiKey}`, 'content-type': 'application/json', ...headers } }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as { code: string; message: string; details?: { path?: string } },
      }));

    it('refuses deeply nested JSON with 400 PAYLOAD_TOO_COMPLEX before anything walks it', async () => {
      // 20 KB: 10,000 nested arrays (a recursive walk overflows the stack on them).
      const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
      for (const body of [deep, `{"name":"Deep","tags":${deep}}`, `{"persona":{"name":"x","lorebook":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}`]) {
        const response = await post('/personas', body);
        expect(response).toMatchObject({ status: 400, body: { code: ErrorCode.PayloadTooComplex } });
        expect(response.body.message).toMatch(/nested more than 64 levels/);
      }
      expect(await post('/personas/preview-prompt', deep)).toMatchObject({ status: 400, body: { code: ErrorCode.PayloadTooComplex } });
      expect((await api(stack.url)('GET', '/health/live')).status).toBe(200);
    });

    it('refuses unpaired surrogates with 400 naming the field, directly and in an import', async () => {
      // Written as JSON escapes: JSON.stringify would escape a lone surrogate the same way.
      const direct = await post('/personas', '{"name":"Broken","description":"half an emoji \\ud83d"}');
      expect(direct).toMatchObject({ status: 400, body: { code: ErrorCode.ValidationFailed, details: { path: 'description' } } });
      expect(direct.body.message).toMatch(/description contains an unpaired UTF-16 surrogate \(\\uD83D at index 14\)/);
      const edited = await api(stack.url, alice.apiKey)('PATCH', `/personas/${personaId}`, { lorebook: { entries: [{ keys: ['k'], content: 'x\udfff' }] } });
      expect(edited).toMatchObject({ status: 400, body: { code: ErrorCode.ValidationFailed, details: { path: 'lorebook.entries[0].content' } } });
      const card = JSON.stringify({ spec: 'chara_card_v2', data: { name: 'Imported', description: 'ok', personality: 'bad \udc00' } });
      const imported = await api(stack.url, alice.apiKey)('POST', '/personas/import', { contentBase64: Buffer.from(card).toString('base64') });
      expect(imported).toMatchObject({ status: 400, body: { code: ErrorCode.ImportInvalid } });
      expect(imported.body.message).toMatch(/personality contains an unpaired UTF-16 surrogate/);
      // A well-formed pair is text like any other.
      const emoji = await post('/personas', '{"name":"Fine","description":"a whole emoji \\ud83d\\ude00"}');
      expect(emoji.status).toBe(201);
      const ack = await sendRaw(socket, { conversationId: aliceConversation, text: 'lone \ud800 surrogate', clientTurnId: randomUUID() });
      expect(ack).toMatchObject({ ok: false, error: { code: ErrorCode.ValidationFailed, message: expect.stringMatching(/text contains an unpaired UTF-16 surrogate/) } });
    });

    it('answers an unsupported charset or content encoding with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      expect(await post('/personas', '{"name":"x"}', { 'content-type': 'application/json; charset=ebcdic-xx' })).toMatchObject({
        status: 415,
        body: { code: ErrorCode.UnsupportedMediaType, message: expect.stringContaining('ebcdic-xx') },
      });
      expect(await post('/personas', '{"name":"x"}', { 'content-encoding': 'x-squash' })).toMatchObject({ status: 415, body: { code: ErrorCode.UnsupportedMediaType } });
      expect((await post(`/personas/${personaId}/knowledge?title=x`, 'text', { 'content-type': 'text/plain; charset=ebcdic-xx' })).status).toBe(415);
      // A charset body-parser knows is decoded, then checked like any body.
      const utf16 = await fetch(new URL('/personas', stack.url), {
        method: 'POST',
        body: Buffer.from('{"name":"UTF-16"}', 'utf16le'),
        headers: { authorization: `Bearer ${alice.apiKey}`, 'content-type': 'application/json; charset=utf-16le' },
      });
      expect(utf16.status).toBe(201);
    });

    it('answers malformed percent-encoding in a path with 400, not 500', async () => {
      for (const segment of ['%E0%A4%A', '%', '%ED%A0%80', '%FF']) {
        const response = await api(stack.url, alice.apiKey)('GET', `/personas/${segment}`);
        expect(response.status, segment).toBeGreaterThanOrEqual(400);
        expect(response.status, segment).toBeLessThan(500);
        expect(typeof response.body.code).toBe('string');
      }
    });

    it('answers unknown and private personas alike: 404 PERSONA_NOT_FOUND', async () => {
      const secret = (await api(stack.url, alice.apiKey)('POST', '/personas', { name: 'Secret', visibility: 'private' })).body.id;
      const asMallory = api(stack.url, mallory.apiKey);
      for (const id of [randomUUID(), 'nope', secret]) {
        const response = await asMallory('GET', `/personas/${id}`);
        expect(response).toMatchObject({ status: 404, body: { code: ErrorCode.PersonaNotFound } });
      }
      const conversation = await asMallory('POST', '/conversations', { personaId: secret });
      expect(conversation).toMatchObject({ status: 404, body: { code: ErrorCode.PersonaNotFound } });
      const edit = await asMallory('PATCH', `/personas/${personaId}`, { name: 'Hijacked' });
      expect(edit).toMatchObject({ status: 404, body: { code: ErrorCode.PersonaNotFound } });
      const list = await asMallory('GET', '/personas?limit=100');
      expect(list.body.items.map((persona: { id: string }) => persona.id)).not.toContain(secret);
    });

    it('refuses new conversations and turns on an archived persona (409 PERSONA_ARCHIVED)', async () => {
      const call = api(stack.url, alice.apiKey);
      const doomed = (await call('POST', '/personas', { name: 'Doomed' })).body.id;
      const conversationId = (await call('POST', '/conversations', { personaId: doomed })).body.id;
      expect((await call('POST', `/personas/${doomed}/archive`)).body.status).toBe('archived');
      expect(await call('POST', '/conversations', { personaId: doomed })).toMatchObject({ status: 409, body: { code: ErrorCode.PersonaArchived } });
      const ack = await sendRaw(socket, { conversationId, text: 'hello?', clientTurnId: randomUUID() });
      expect(ack).toMatchObject({ ok: false, error: { code: ErrorCode.PersonaArchived } });
    });

    it('rejects bad pagination (limits and foreign cursors)', async () => {
      const call = api(stack.url, alice.apiKey);
      expect((await call('GET', '/personas?limit=1000')).status).toBe(400);
      expect(await call('GET', '/personas?cursor=garbage')).toMatchObject({ status: 400, body: { code: ErrorCode.ValidationFailed } });
      expect((await call('GET', `/conversations/${aliceConversation}/messages?before=${Buffer.from('["1; drop"]').toString('base64url')}`)).status).toBe(400);
    });

    it('pages through personas and messages with cursors, without gaps or repeats', async () => {
      const call = api(stack.url, mallory.apiKey);
      const mine = await Promise.all(Array.from({ length: 5 }, (_, index) => call('POST', '/personas', { name: `Page ${index}`, visibility: 'private' })));
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await call('GET', `/personas?mine=true&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...page.body.items.map((persona) => persona.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen.sort()).toEqual(mine.map((response) => response.body.id).sort());

      const all = (await api(stack.url, alice.apiKey)('GET', `/conversations/${aliceConversation}/messages?limit=200`)).body.items;
      const pagedIds: string[] = [];
      let before: string | null = null;
      do {
        const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await api(stack.url, alice.apiKey)(
          'GET',
          `/conversations/${aliceConversation}/messages?limit=2${before ? `&before=${before}` : ''}`,
        );
        pagedIds.unshift(...page.body.items.map((message) => message.id));
        before = page.body.nextCursor;
      } while (before);
      expect(pagedIds).toEqual(all.map((message: { id: string }) => message.id));
    });

    it('serves the OpenAPI document at /docs', async () => {
      const response = await api(stack.url)('GET', '/docs/openapi.json');
      expect(response.status).toBe(200);
      expect(Object.keys(response.body.paths)).toEqual(expect.arrayContaining(['/personas', '/conversations/{id}/messages', '/health/ready']));
    });
  });
});
