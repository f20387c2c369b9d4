// Hostile input at every route and event: malformed JSON, wrong types, huge payloads, unicode edge cases, SQL-
// and template-looking strings. Each gets a 4xx (or an error ack) with a code, valid-but-nasty text is stored as
// plain data, and the service is healthy afterwards.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@doppel/db';
import { ErrorCode, type ChatClientToServerEvents } from '@doppel/protocol';
import { api, connectChat, sendRaw, sendTurn, signUp, type ChatClient } from './support/clients';
import { testDatabase } from './support/database';
import { MAX_MESSAGE_CHARS, startStack, waitFor, type Stack } from './support/processes';

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

/** Every client → server event; the type check fails when the protocol gains one this list lacks. */
const SOCKET_EVENTS = ['turn:send', 'turn:regenerate', 'turn:edit', 'turn:resume', 'message:choose', 'message:rate', 'memory:list', 'memory:pin', 'memory:delete'] as const;
const everyEventListed: Exclude<keyof ChatClientToServerEvents, (typeof SOCKET_EVENTS)[number]> extends never ? true : never = true;

const DEEP_ARRAYS = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
/** Raw bodies and headers that once gave 500s (or could): each must get a coded 4xx wherever it is sent. */
const HOSTILE_BODIES: { what: string; body: string | Buffer; headers?: Record<string, string> }[] = [
  { what: '10,000 nested arrays', body: DEEP_ARRAYS },
  { what: 'deep objects in a field', body: `{"name":"x","text":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}` },
  { what: 'an unpaired surrogate', body: '{"name":"\\ud800","displayName":"\\udfff","text":"\\ud800","title":"\\ud800","content":"\\ud800","clientTurnId":"\\ud800"}' },
  { what: 'a NUL', body: '{"name":"a\\u0000b","displayName":"\\u0000","text":"\\u0000","clientTurnId":"\\u0000"}' },
  { what: 'an unsupported charset', body: '{"name":"x"}', headers: { 'content-type': 'application/json; charset=ebcdic-xx' } },
  { what: 'an unsupported content encoding', body: '{"name":"x"}', headers: { 'content-encoding': 'x-squash' } },
  { what: 'gzip that is not gzip', body: 'not gzip at all', headers: { 'content-encoding': 'gzip' } },
  { what: 'UTF-16 with an unpaired surrogate', body: Buffer.from('{"name":"\ud800"}', 'utf16le'), headers: { 'content-type': 'application/json; charset=utf-16le' } },
  { what: 'malformed JSON', body: '{"name": ' },
  { what: 'a body over the limit', body: `{"name":"${'x'.repeat(70_000)}"}` },
  { what: 'a knowledge document in EBCDIC', body: 'text', headers: { 'content-type': 'text/plain; charset=ebcdic-xx' } },
];
const HOSTILE_SEGMENTS = ['%E0%A4%A', '%ED%A0%80', '%', '%00', '..%2F..%2Fetc', 'x'.repeat(2000)];
const HOSTILE_QUERIES = ['limit=%ED%A0%80&cursor=%FF', 'limit[]=1&limit[]=2', '__proto__[admin]=1&constructor[prototype][x]=1', `q=${'%5B'.repeat(2000)}`, 'before=%00&pinned=maybe'];

describe('hostile-input corpus over every route and socket event', () => {
  let stack: Stack;
  let db: Kysely<Database>;
  let fuzzer: { id: string; apiKey: string };
  let ids: Record<string, string>;

  beforeAll(async () => {
    stack = await startStack(['node-c']);
    db = testDatabase();
    fuzzer = await signUp(stack.url, 'Corpus');
    const call = api(stack.url, fuzzer.apiKey);
    const personaId = (await call('POST', '/personas', { name: 'Corpus target', greeting: 'Hello.' })).body.id;
    const conversationId = (await call('POST', '/conversations', { personaId })).body.id;
    const messageId = (await call('GET', `/conversations/${conversationId}/messages`)).body.items[0].id;
    ids = { personaId, conversationId, messageId };
  });

  afterAll(async () => {
    await db?.destroy();
    await stack?.stop();
  });

  const rowCounts = async () => {
    const counts: Record<string, number> = {};
    for (const table of ['accounts', 'personas', 'persona_versions', 'conversations', 'messages', 'turns', 'knowledge_documents'] as const) {
      const row = await db.selectFrom(table).select(sql<string>`count(*)::text`.as('count')).executeTakeFirstOrThrow();
      counts[table] = Number(row.count);
    }
    return counts;
  };

  /** A real id for each path parameter, so a request gets past the lookup to the body. */
  const fill = (path: string, segment?: string) =>
    path.replace(/\{(\w+)\}/g, (_, name: string, offset: number) => {
      if (segment !== undefined) return segment;
      const before = path.slice(0, offset);
      if (name === 'messageId') return ids.messageId!;
      if (name === 'address') return `0x${'0'.repeat(40)}`;
      if (name === 'id' && before.endsWith('/personas/')) return ids.personaId!;
      if (name === 'id' && before.endsWith('/conversations/')) return ids.conversationId!;
      return randomUUID();
    });

  it('answers every hostile body, path and query on every route with a coded 4xx (or success), never a 500, and writes nothing', async () => {
    const document = (await api(stack.url)('GET', '/docs/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    // Rotating would lock the corpus out of the routes after it; that route is covered by the access suite.
    const routes = Object.entries(document.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })))
      .filter((route) => route.path !== '/accounts/me/rotate-key');
    expect(routes.length).toBeGreaterThan(40);
    const before = await rowCounts();
    const failures: string[] = [];
    const send = async (method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) => {
      const response = await fetch(new URL(path, stack.url), {
        method,
        body: method === 'GET' || method === 'HEAD' ? undefined : body,
        headers: { authorization: `Bearer ${fuzzer.apiKey}`, 'content-type': 'application/json', ...headers },
      });
      const text = await response.text();
      const label = `${method} ${path.slice(0, 80)} → ${response.status}`;
      if (response.status >= 500) failures.push(`${label} ${text.slice(0, 120)}`);
      else if (response.status >= 400) {
        // Under /v1 errors come in OpenAI's shape, { error: { message, type, code, param } }.
        const body = JSON.parse(text) as { code?: unknown; message?: unknown; error?: { code?: unknown; message?: unknown } };
        const parsed = path.startsWith('/v1/') ? (body.error ?? {}) : body;
        if (typeof parsed.code !== 'string' || typeof parsed.message !== 'string') failures.push(`${label} without a code: ${text.slice(0, 120)}`);
      }
      return response.status;
    };
    for (const { method, path } of routes) {
      for (const { what, body, headers } of HOSTILE_BODIES) {
        const status = await send(method, fill(path), body, headers);
        // A route that reads a body must refuse every one of these.
        if (['POST', 'PUT', 'PATCH'].includes(method) && status < 400 && !['/personas/{id}/archive', '/conversations/{id}/move-to-latest-version', '/conversations/{id}/messages/{messageId}/choose', '/operator/accounts/{id}/rotate-key', '/operator/accounts/{id}/revoke-key', '/nodes/{address}/revoke'].includes(path)) {
          failures.push(`${method} ${path} accepted ${what} (${status})`);
        }
      }
      if (path.includes('{')) for (const segment of HOSTILE_SEGMENTS) await send(method, fill(path, segment), '{}');
      for (const query of HOSTILE_QUERIES) await send(method, `${fill(path)}?${query}`, '{}');
    }
    expect(failures).toEqual([]);
    // Nothing was created by any of it (deleting and archiving the corpus's own rows is fair).
    const after = await rowCounts();
    for (const [table, count] of Object.entries(after)) expect(count, table).toBeLessThanOrEqual(before[table]!);
    expect((await api(stack.url)('GET', '/health/ready')).status).toBe(200);
  });

  it('answers every hostile payload of every socket event with a coded error ack, and keeps the socket and worker serving', async () => {
    expect(everyEventListed).toBe(true);
    // The REST corpus may have archived or deleted the first ones: fresh ones for the socket.
    const call = api(stack.url, fuzzer.apiKey);
    const personaId = (await call('POST', '/personas', { name: 'Socket target', greeting: 'Hello.' })).body.id;
    const conversationId = (await call('POST', '/conversations', { personaId })).body.id;
    ids = { personaId, conversationId, messageId: (await call('GET', `/conversations/${conversationId}/messages`)).body.items[0].id };
    const socket = await connectChat(stack.url, fuzzer.apiKey);
    // socket.io-client's encoder recurses (it looks for binary), so 1,000 levels is what a JS client can send.
    const deep = JSON.parse(`${'['.repeat(1000)}${']'.repeat(1000)}`) as unknown;
    const payloads = (base: Record<string, unknown>) => [
      deep,
      { ...base, nested: deep },
      ...Object.keys(base).flatMap((field) => [{ ...base, [field]: 'x\uD800' }, { ...base, [field]: 'a\u0000b' }, { ...base, [field]: deep }, { ...base, [field]: null }]),
      null,
      42,
      'text',
      [],
    ];
    const bases: Record<(typeof SOCKET_EVENTS)[number], Record<string, unknown>> = {
      'turn:send': { conversationId: ids.conversationId, text: 'hi', clientTurnId: 'c1' },
      'turn:regenerate': { conversationId: ids.conversationId, clientTurnId: 'c2' },
      'turn:edit': { conversationId: ids.conversationId, messageId: ids.messageId, text: 'hi', clientTurnId: 'c3' },
      'turn:resume': { turnId: randomUUID(), afterSeq: 0 },
      'message:choose': { conversationId: ids.conversationId, messageId: ids.messageId },
      'message:rate': { conversationId: ids.conversationId, messageId: ids.messageId, score: 3 },
      'memory:list': { personaId: ids.personaId },
      'memory:pin': { memoryId: randomUUID(), pinned: true },
      'memory:delete': { memoryId: randomUUID() },
    };
    const failures: string[] = [];
    for (const event of SOCKET_EVENTS) {
      for (const payload of payloads(bases[event])) {
        const ack = await new Promise<{ ok: boolean; error?: { code?: unknown } } | 'no answer'>((resolve) => {
          const timer = setTimeout(() => resolve('no answer'), 5000);
          (socket.emit as (...args: unknown[]) => void)(event, payload, (answer: { ok: boolean }) => {
            clearTimeout(timer);
            resolve(answer);
          });
        });
        const label = `${event} ${JSON.stringify(payload)?.slice(0, 60)}`;
        if (ack === 'no answer' || ack.ok !== false || typeof ack.error?.code !== 'string' || ack.error.code === ErrorCode.Internal) failures.push(`${label} → ${JSON.stringify(ack)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(socket.connected).toBe(true);
    const turn = await sendTurn(socket, { conversationId: ids.conversationId!, text: 'still there?' });
    expect(turn.done).not.toBeNull();
    socket.close();
    await waitFor(async () => (await api(stack.url)('GET', '/health/ready')).status === 200, 'the stack to be ready');
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
