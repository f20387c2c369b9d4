// Hostile input at every route and event: malformed JSON, wrong types, huge payloads, unicode edge cases, SQL-
// and template-looking strings. Each gets a 4xx (or an error ack) with a code, valid-but-nasty text is stored as
// plain data, and the service is healthy afterwards.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@doppel/db';
import { ErrorCode } from '@doppel/protocol';
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

describe('regex lorebook keys', () => {
  let stack: Stack;
  let creator: { id: string; apiKey: string };

  beforeAll(async () => {
    stack = await startStack(['node-r']);
    creator = await signUp(stack.url, 'Regex creator');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const regexEntry = (keys: string[], index: number) => ({ keys, content: `Lore ${index}.`, useRegex: true, insertionOrder: index });

  it('refuses keys RE2 cannot run, and too many regex keys, with LOREBOOK_KEY_INVALID naming the entry (create, edit, preview)', async () => {
    const call = api(stack.url, creator.apiKey);
    const lorebook = { entries: [{ keys: ['harbour'], content: 'Plain.' }, regexEntry(['ships?', '(\\w+) and \\1'], 1)] };
    const created = await call('POST', '/personas', { name: 'Backref', lorebook });
    expect(created).toMatchObject({ status: 400, body: { code: ErrorCode.LorebookKeyInvalid } });
    expect(created.body.message).toContain('lorebook.entries.1.keys.1');
    expect(created.body.message).toMatch(/no backreferences or lookaround/);
    const preview = await call('POST', '/personas/preview-prompt', { persona: { name: 'Backref', lorebook }, sampleMessage: 'ships' });
    expect(preview).toMatchObject({ status: 400, body: { code: ErrorCode.LorebookKeyInvalid } });
    const personaId = (await call('POST', '/personas', { name: 'Fine' })).body.id;
    const edited = await call('PATCH', `/personas/${personaId}`, { lorebook: { entries: [regexEntry(['(?<!un)happy'], 0)] } });
    expect(edited).toMatchObject({ status: 400, body: { code: ErrorCode.LorebookKeyInvalid } });
    expect(edited.body.message).toContain('lorebook.entries.0.keys.0');
    const tooMany = await call('POST', '/personas', { name: 'Many', lorebook: { entries: Array.from({ length: 2 }, (_, index) => regexEntry(Array.from({ length: 32 }, (_, key) => `k${index}_${key}`), index)) } });
    expect(tooMany).toMatchObject({ status: 400, body: { code: ErrorCode.LorebookKeyInvalid } });
    expect(tooMany.body.message).toMatch(/lorebook.entries.1.keys.0: a lorebook has at most 32 regex keys/);
  });

  // A hostile preview costs the gateway ~15 ms of CPU; on a machine whose cores other work saturates, scheduling alone
  // can hold a request past 100 ms once, so one retry. A regex that backtracks fails every attempt (it never returns).
  it('keeps the gateway and the worker responsive while a preview and a turn run hostile regex keys', { retry: 1 }, async () => {
    const call = api(stack.url, creator.apiKey);
    // The probe's key, then keys whose DFA explodes on a/b text ([ab]*a[ab]{n} has 2^n states), all distinct, so
    // every preview compiles and checks 32 new keys and nothing is cached.
    const hostileEntries = (variant: number) => [
      regexEntry([`(a+)+$|never${variant}`], 0),
      ...Array.from({ length: 31 }, (_, index) => regexEntry([`(?:[ab]*a[ab]{${20 + 2 * index}}Q|never${variant}_${index})$`], index + 1)),
    ];
    const entries = hostileEntries(0);
    const created = await call('POST', '/personas', { name: 'Hostile lore', lorebook: { scanDepth: 50, entries } });
    expect(created.status).toBe(201);
    let seed = 11;
    const ab = (length: number) => Array.from({ length }, (_, index) => (index % 97 === 96 ? 'Q' : (seed = (seed * 48271) % 2147483647) % 2 ? 'a' : 'b')).join('');

    const conversationId = (await call('POST', '/conversations', { personaId: created.body.id })).body.id;
    const socket = await connectChat(stack.url, creator.apiKey);
    // A process's first preview and first turn also pay V8's compiling of that code (tens of ms, once): measured after.
    const warmUp = { persona: { name: 'Hostile draft', lorebook: { scanDepth: 50, entries: hostileEntries(99) } }, sampleMessage: ab(4000) };
    expect((await call('POST', '/personas/preview-prompt', warmUp)).status).toBe(200);
    expect((await sendTurn(socket, { conversationId, text: 'hello' })).done).not.toBeNull();

    const healthLatencies: number[] = [];
    let hostileRunning = true;
    const pollHealth = (async () => {
      while (hostileRunning) {
        const started = performance.now();
        const response = await fetch(`${stack.url}/health/live`);
        await response.text();
        healthLatencies.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();

    const previews = (async () => {
      for (const [variant, sampleMessage] of [`${'a'.repeat(3999)}!`, ab(4000), ab(4000), `${'a'.repeat(3999)}!`, ab(4000)].entries()) {
        const persona = { name: 'Hostile draft', lorebook: { scanDepth: 50, entries: hostileEntries(variant + 1) } };
        const preview = await call('POST', '/personas/preview-prompt', { persona, sampleMessage });
        expect(preview.status).toBe(200);
      }
    })();
    const turns = (async () => {
      const results = [];
      for (const text of [`${'a'.repeat(MAX_MESSAGE_CHARS - 1)}!`, ab(MAX_MESSAGE_CHARS), ab(MAX_MESSAGE_CHARS)]) results.push(await sendTurn(socket, { conversationId, text }));
      return results;
    })();
    const [, finishedTurns] = await Promise.all([previews, turns]);
    hostileRunning = false;
    await pollHealth;
    socket.close();

    for (const turn of finishedTurns) {
      expect(turn.done, JSON.stringify(turn.error)).not.toBeNull();
      // JavaScript's RegExp spent 1.3 s here on 27 characters of the probe's input (this one has 500).
      expect(turn.done!.timings.retrievalMs).toBeLessThan(500);
    }
    expect(healthLatencies.length).toBeGreaterThan(5);
    expect(Math.max(...healthLatencies), healthLatencies.map((ms) => ms.toFixed(0)).join(' ')).toBeLessThan(100);
  });
});
