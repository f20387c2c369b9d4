// Hostile input at every route and event: malformed JSON, wrong types, huge payloads, unicode edge cases, SQL-
// and template-looking strings. Each gets a 4xx (or an error ack) with a code, valid-but-nasty text is stored as
// plain data, and the service is healthy afterwards.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@doppel/db';
import { api, connectChat, sendRaw, sendTurn, signUp, type ChatClient } from './support/clients';
import { testDatabase } from './support/database';
import { MAX_MESSAGE_CHARS, startStack, type Stack } from './support/processes';

const NASTY_STRINGS = [
  "'; DROP TABLE personas; --",
  '" OR 1=1 --',
  '{{constructor.constructor("return process")()}}',
  '${process.env.DATABASE_URL}',
  '<script>alert(1)</script>',
  '\u202Egnp.exe',
  'zero\u200Bwidth\uFEFF',
  '👩‍👩‍👧‍👦🏳️‍🌈',
  'a\u0000b',
  '\uD800 lone surrogate',
  '../../../../etc/passwd',
];

const WRONG_TYPES = [null, 42, true, [], ['a'], { nested: { deeper: [1, 2, 3] } }, 'x'.repeat(10_000)];

describe('hostile input', () => {
  let stack: Stack;
  let db: Kysely<Database>;
  let user: { id: string; apiKey: string };
  let socket: ChatClient;
  let personaId: string;
  let conversationId: string;

  beforeAll(async () => {
    stack = await startStack(['node-h']);
    db = testDatabase();
    user = await signUp(stack.url, 'Fuzzer');
    personaId = (await api(stack.url, user.apiKey)('POST', '/personas', { name: 'Target' })).body.id;
    conversationId = (await api(stack.url, user.apiKey)('POST', '/conversations', { personaId })).body.id;
    socket = await connectChat(stack.url, user.apiKey);
  });

  afterAll(async () => {
    socket?.close();
    await db?.destroy();
    await stack?.stop();
  });

  const expectClientError = (response: { status: number; body: any }, context: string) => {
    expect(response.status, context).toBeGreaterThanOrEqual(400);
    expect(response.status, context).toBeLessThan(500);
    expect(typeof response.body?.code, context).toBe('string');
    expect(typeof response.body?.message, context).toBe('string');
  };

  it('answers malformed JSON, wrong types and oversized bodies on every body-taking route with a coded 4xx', async () => {
    const call = api(stack.url, user.apiKey);
    const bodyRoutes: [string, string][] = [
      ['POST', '/accounts'],
      ['POST', '/personas'],
      ['PATCH', `/personas/${personaId}`],
      ['POST', '/conversations'],
      ['POST', '/models'],
      ['POST', '/receipts/verify'],
    ];
    for (const [method, path] of bodyRoutes) {
      for (const raw of ['{', '{"a":', 'null', '[]', '"string"', '{"__proto__": {"admin": true}}', 'x'.repeat(70_000)]) {
        expectClientError(await call(method, path, undefined, { rawBody: raw }), `${method} ${path} ${raw.slice(0, 20)}`);
      }
      for (const value of WRONG_TYPES) {
        expectClientError(await call(method, path, { name: value, id: value, personaId: value, displayName: value, receipt: value }), `${method} ${path} ${JSON.stringify(value)?.slice(0, 20)}`);
      }
    }
  });

  it('answers hostile path parameters and query strings with a coded 4xx', async () => {
    const call = api(stack.url, user.apiKey);
    for (const nasty of NASTY_STRINGS.filter((text) => !text.includes('\uD800'))) {
      const segment = encodeURIComponent(nasty);
      for (const path of [`/personas/${segment}`, `/conversations/${segment}`, `/conversations/${segment}/messages`, `/receipts/${segment}`, `/personas/${segment}/memories`]) {
        expectClientError(await call('GET', path), `GET ${path}`);
      }
      expectClientError(await call('DELETE', `/memories/${segment}`), `DELETE memory ${nasty}`);
      expectClientError(await call('GET', `/personas?limit=${segment}`), `limit ${nasty}`);
      expectClientError(await call('GET', `/personas?cursor=${segment}`), `cursor ${nasty}`);
      expectClientError(await call('GET', `/conversations/${conversationId}/messages?before=${segment}`), `before ${nasty}`);
    }
  });

  it('stores SQL- and template-looking persona text verbatim, as data', async () => {
    const call = api(stack.url, user.apiKey);
    const printable = NASTY_STRINGS.filter((text) => !text.includes('\u0000') && !text.includes('\uD800'));
    for (const text of printable) {
      const created = await call('POST', '/personas', { name: text.slice(0, 80), systemPrompt: `${text} {{user}} {{char}}`, description: text });
      expect(created.status, text).toBe(201);
      expect(created.body.definition.systemPrompt).toBe(`${text} {{user}} {{char}}`);
    }
    // NUL and lone surrogates cannot be stored as PostgreSQL text: refused cleanly, not a 500.
    for (const body of [{ name: 'a\u0000b' }, { name: 'ok', tags: ['x\u0000'] }]) expectClientError(await call('POST', '/personas', body), 'NUL');
    expect(await sendRaw(socket, { conversationId, text: 'nul \u0000 inside', clientTurnId: randomUUID() })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect((await call('GET', '/health/ready')).status).toBe(200);
  });

  it('answers hostile socket payloads with coded error acks, and chats with nasty-but-valid text', async () => {
    for (const payload of [...WRONG_TYPES, { conversationId, text: 1, clientTurnId: 'x' }, { conversationId: NASTY_STRINGS[0], text: 'hi', clientTurnId: 'x' }, { conversationId, text: 'hi', clientTurnId: NASTY_STRINGS[2], verification: 'maximum' }]) {
      const ack = await sendRaw(socket, payload);
      expect(ack.ok, JSON.stringify(payload)?.slice(0, 40)).toBe(false);
      expect(typeof (ack as { error: { code: string } }).error.code).toBe('string');
    }
    const huge = await sendRaw(socket, { conversationId, text: 'y'.repeat(MAX_MESSAGE_CHARS * 10), clientTurnId: randomUUID() });
    expect(huge).toMatchObject({ ok: false, error: { code: 'MESSAGE_TOO_LONG' } });
    for (const bad of [{ turnId: NASTY_STRINGS[0], afterSeq: 0 }, { turnId: randomUUID(), afterSeq: 'x' }, null]) {
      const ack = await new Promise<{ ok: boolean; error?: { code: string } }>((resolve) => (socket.emit as (...args: unknown[]) => void)('turn:resume', bad, resolve));
      expect(ack.ok).toBe(false);
      expect(typeof ack.error?.code).toBe('string');
    }

    const text = `${NASTY_STRINGS[0]} ${NASTY_STRINGS[2]} ${NASTY_STRINGS[7]}`;
    const turn = await sendTurn(socket, { conversationId, text });
    expect(turn.done).not.toBeNull();
    const stored = await db.selectFrom('messages').select('content').where('turn_id', '=', (turn.ack as { turnId: string }).turnId).where('role', '=', 'user').executeTakeFirstOrThrow();
    expect(stored.content).toBe(text);
    expect((await api(stack.url)('GET', '/health/ready')).status).toBe(200);
  });
});
