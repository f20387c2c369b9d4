// Walks every REST route in the OpenAPI document, and every socket event, as the wrong caller: no key, another
// user of the same role, a non-operator. A route added without an entry here fails the test.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountsRepository, AccountsService } from '@doppel/accounts';
import type { Database } from '@doppel/db';
import { ErrorCode, type TurnResumeAck } from '@doppel/protocol';
import { api, connectChat, sendRaw, sendTurn, signUp, type ChatClient } from './support/clients';
import { testDatabase } from './support/database';
import { startGateway, startStack, startWorker, testEnv, waitFor, type RunningProcess, type Stack } from './support/processes';

interface Fixture {
  aliceId: string;
  personaId: string;
  conversationId: string;
  memoryId: string;
  receiptId: string;
  turnId: string;
  nodeAddress: string;
  lorebookId: string;
}

const aLorebook = () => ({ name: 'Bob’s book', entries: [{ keys: ['k'], content: 'c' }] });

/** 'public': no key needed. 'self': acts only on the caller's own account (tested in "API keys" below). */
type Expectation = { status: number; code?: ErrorCode } | 'public' | 'self';

/** For each route: what a user of the same role who does not own the resource gets, and whether it needs a key. */
const ROUTES: Record<string, { path: (f: Fixture) => string; body?: (f: Fixture) => unknown; stranger: Expectation | ((body: any, f: Fixture) => void); needsKey: boolean }> = {
  'POST /accounts': { path: () => '/accounts', body: () => ({ displayName: 'x' }), stranger: 'public', needsKey: false },
  'GET /accounts/me': { path: () => '/accounts/me', stranger: (body, _f) => expect(body.displayName).toBe('Bob'), needsKey: true },
  'POST /accounts/me/rotate-key': { path: () => '/accounts/me/rotate-key', stranger: 'self', needsKey: true },
  'POST /operator/accounts': { path: () => '/operator/accounts', body: () => ({ displayName: 'x', roles: ['operator'] }), stranger: { status: 403, code: ErrorCode.Forbidden }, needsKey: true },
  'POST /operator/accounts/{id}/revoke-key': { path: (f) => `/operator/accounts/${f.aliceId}/revoke-key`, stranger: { status: 403, code: ErrorCode.Forbidden }, needsKey: true },
  'POST /operator/accounts/{id}/rotate-key': { path: (f) => `/operator/accounts/${f.aliceId}/rotate-key`, stranger: { status: 403, code: ErrorCode.Forbidden }, needsKey: true },
  'GET /turns/{id}': { path: (f) => `/turns/${f.turnId}`, stranger: { status: 404, code: ErrorCode.TurnNotFound }, needsKey: true },
  'POST /personas': { path: () => '/personas', body: () => ({ name: 'Bob’s own' }), stranger: { status: 201 }, needsKey: true },
  'GET /personas': {
    path: () => '/personas?limit=100',
    stranger: (body, f) => expect(body.items.map((p: { id: string }) => p.id)).not.toContain(f.personaId),
    needsKey: true,
  },
  'GET /personas/{id}': { path: (f) => `/personas/${f.personaId}`, stranger: { status: 404, code: ErrorCode.PersonaNotFound }, needsKey: true },
  'GET /personas/{id}/versions': { path: (f) => `/personas/${f.personaId}/versions`, stranger: { status: 404, code: ErrorCode.PersonaNotFound }, needsKey: true },
  'GET /personas/{id}/versions/diff': { path: (f) => `/personas/${f.personaId}/versions/diff?from=1&to=1`, stranger: { status: 404, code: ErrorCode.PersonaNotFound }, needsKey: true },
  'GET /personas/{id}/ratings': { path: (f) => `/personas/${f.personaId}/ratings`, stranger: { status: 404, code: ErrorCode.PersonaNotFound }, needsKey: true },
  'POST /conversations/{id}/messages/{messageId}/rating': {
    path: (f) => `/conversations/${f.conversationId}/messages/${f.memoryId}/rating`,
    body: () => ({ score: 5 }),
    stranger: { status: 404, code: ErrorCode.ConversationNotFound },
    needsKey: true,
  },
  'POST /conversations/{id}/move-to-latest-version': {
    path: (f) => `/conversations/${f.conversationId}/move-to-latest-version`,
    stranger: { status: 404, code: ErrorCode.ConversationNotFound },
    needsKey: true,
  },
  'PATCH /personas/{id}': { path: (f) => `/personas/${f.personaId}`, body: () => ({ name: 'Hijacked' }), stranger: { status: 404, code: ErrorCode.PersonaNotFound }, needsKey: true },
  'POST /personas/{id}/archive': { path: (f) => `/personas/${f.personaId}/archive`, stranger: { status: 404, code: ErrorCode.PersonaNotFound }, needsKey: true },
  'POST /personas/import': {
    path: () => '/personas/import',
    body: () => ({ contentBase64: Buffer.from(JSON.stringify({ spec: 'chara_card_v2', data: { name: 'Bob’s import' } })).toString('base64') }),
    stranger: { status: 201 },
    needsKey: true,
  },
  'POST /personas/preview-prompt': {
    path: () => '/personas/preview-prompt',
    body: () => ({ persona: { name: 'Bob’s draft', systemPrompt: 'Draft only.' }, sampleMessage: 'hi' }),
    stranger: (body) => expect(body.messages[0]).toEqual({ role: 'system', content: 'Draft only.' }),
    needsKey: true,
  },
  'GET /personas/{id}/export': { path: (f) => `/personas/${f.personaId}/export?format=ccv3`, stranger: { status: 404, code: ErrorCode.PersonaNotFound }, needsKey: true },
  'POST /personas/{id}/knowledge': {
    path: (f) => `/personas/${f.personaId}/knowledge`,
    body: () => ({ title: 'Bob’s notes', mediaType: 'text/plain', content: 'planted by Bob' }),
    stranger: { status: 404, code: ErrorCode.PersonaNotFound },
    needsKey: true,
  },
  'GET /personas/{id}/knowledge': { path: (f) => `/personas/${f.personaId}/knowledge`, stranger: { status: 404, code: ErrorCode.PersonaNotFound }, needsKey: true },
  'GET /personas/{id}/knowledge/{documentId}': {
    path: (f) => `/personas/${f.personaId}/knowledge/00000000-0000-4000-8000-000000000000`,
    stranger: { status: 404, code: ErrorCode.PersonaNotFound },
    needsKey: true,
  },
  'PUT /personas/{id}/knowledge/{documentId}': {
    path: (f) => `/personas/${f.personaId}/knowledge/00000000-0000-4000-8000-000000000000`,
    body: () => ({ title: 'Bob’s notes', mediaType: 'text/plain', content: 'planted by Bob' }),
    stranger: { status: 404, code: ErrorCode.PersonaNotFound },
    needsKey: true,
  },
  'DELETE /personas/{id}/knowledge/{documentId}': {
    path: (f) => `/personas/${f.personaId}/knowledge/00000000-0000-4000-8000-000000000000`,
    stranger: { status: 404, code: ErrorCode.PersonaNotFound },
    needsKey: true,
  },
  'GET /personas/{id}/memories': {
    path: (f) => `/personas/${f.personaId}/memories`,
    stranger: { status: 404, code: ErrorCode.PersonaNotFound },
    needsKey: true,
  },
  'DELETE /personas/{id}/memories': { path: (f) => `/personas/${f.personaId}/memories`, stranger: { status: 404, code: ErrorCode.PersonaNotFound }, needsKey: true },
  'POST /conversations': { path: () => '/conversations', body: (f) => ({ personaId: f.personaId }), stranger: { status: 404, code: ErrorCode.PersonaNotFound }, needsKey: true },
  'GET /conversations': {
    path: () => '/conversations?limit=100',
    stranger: (body, f) => expect(body.items.map((c: { id: string }) => c.id)).not.toContain(f.conversationId),
    needsKey: true,
  },
  'GET /conversations/{id}': { path: (f) => `/conversations/${f.conversationId}`, stranger: { status: 404, code: ErrorCode.ConversationNotFound }, needsKey: true },
  'DELETE /conversations/{id}': { path: (f) => `/conversations/${f.conversationId}`, stranger: { status: 404, code: ErrorCode.ConversationNotFound }, needsKey: true },
  'GET /conversations/{id}/messages': {
    path: (f) => `/conversations/${f.conversationId}/messages`,
    stranger: { status: 404, code: ErrorCode.ConversationNotFound },
    needsKey: true,
  },
  'POST /conversations/{id}/regenerate': {
    path: (f) => `/conversations/${f.conversationId}/regenerate`,
    body: () => ({ clientTurnId: 'bob-regenerates' }),
    stranger: { status: 404, code: ErrorCode.ConversationNotFound },
    needsKey: true,
  },
  'PUT /conversations/{id}/messages/{messageId}': {
    path: (f) => `/conversations/${f.conversationId}/messages/${f.memoryId}`,
    body: () => ({ clientTurnId: 'bob-edits', text: 'rewritten by Bob' }),
    stranger: { status: 404, code: ErrorCode.ConversationNotFound },
    needsKey: true,
  },
  'GET /conversations/{id}/messages/{messageId}/alternatives': {
    path: (f) => `/conversations/${f.conversationId}/messages/${f.memoryId}/alternatives`,
    stranger: { status: 404, code: ErrorCode.ConversationNotFound },
    needsKey: true,
  },
  'POST /conversations/{id}/messages/{messageId}/choose': {
    path: (f) => `/conversations/${f.conversationId}/messages/${f.memoryId}/choose`,
    stranger: { status: 404, code: ErrorCode.ConversationNotFound },
    needsKey: true,
  },
  'PATCH /memories/{id}': { path: (f) => `/memories/${f.memoryId}`, body: () => ({ pinned: true }), stranger: { status: 404, code: ErrorCode.MemoryNotFound }, needsKey: true },
  'DELETE /memories/{id}': { path: (f) => `/memories/${f.memoryId}`, stranger: { status: 404, code: ErrorCode.MemoryNotFound }, needsKey: true },
  'GET /receipts/{id}': { path: (f) => `/receipts/${f.receiptId}`, stranger: { status: 404, code: ErrorCode.ReceiptNotFound }, needsKey: true },
  'POST /receipts/verify': { path: () => '/receipts/verify', body: () => ({ receipt: {} }), stranger: { status: 400, code: ErrorCode.ValidationFailed }, needsKey: true },
  'GET /models': { path: () => '/models', stranger: { status: 200 }, needsKey: true },
  'GET /models/{id}': { path: () => '/models/synthetic', stranger: { status: 200 }, needsKey: true },
  'POST /models': {
    path: () => '/models',
    body: () => ({ id: 'x-model', kind: 'chat', backend: 'openai', location: 'http://127.0.0.1:1/v1', parameters: { upstreamModel: 'x' } }),
    stranger: { status: 403, code: ErrorCode.Forbidden },
    needsKey: true,
  },
  'GET /nodes': { path: () => '/nodes', stranger: { status: 403, code: ErrorCode.Forbidden }, needsKey: true },
  'POST /nodes/{address}/revoke': { path: (f) => `/nodes/${f.nodeAddress}/revoke`, body: () => ({ reason: 'x' }), stranger: { status: 403, code: ErrorCode.Forbidden }, needsKey: true },
  'GET /operator/admission': { path: () => '/operator/admission', stranger: { status: 403, code: ErrorCode.Forbidden }, needsKey: true },
  'GET /operator/verification': { path: () => '/operator/verification', stranger: { status: 403, code: ErrorCode.Forbidden }, needsKey: true },
  'GET /operator/economics': { path: () => '/operator/economics', stranger: { status: 403, code: ErrorCode.Forbidden }, needsKey: true },
  'GET /tee/measurements': { path: () => '/tee/measurements', stranger: { status: 403, code: ErrorCode.Forbidden }, needsKey: true },
  'POST /tee/measurements': {
    path: () => '/tee/measurements',
    body: () => ({ modelId: 'synthetic', platform: 'nitro', measurement: '00'.repeat(48) }),
    stranger: { status: 403, code: ErrorCode.Forbidden },
    needsKey: true,
  },
  'POST /tee/measurements/{id}/revoke': {
    path: () => '/tee/measurements/00000000-0000-4000-8000-000000000000/revoke',
    stranger: { status: 403, code: ErrorCode.Forbidden },
    needsKey: true,
  },
  'GET /receipts/{id}/inclusion': { path: (f) => `/receipts/${f.receiptId}/inclusion`, stranger: { status: 404, code: ErrorCode.ReceiptNotFound }, needsKey: true },
  // Public keys of the deployment's zk models, the same for every account; an unknown model hash is a coded 404.
  'GET /receipts/zk-keys/{modelHash}': { path: () => `/receipts/zk-keys/${'0'.repeat(64)}`, stranger: { status: 404, code: ErrorCode.ModelNotFound }, needsKey: true },
  'POST /wallets/challenge': { path: () => '/wallets/challenge', body: () => ({ address: '0x' + '11'.repeat(20) }), stranger: { status: 201 }, needsKey: true },
  // A challenge issued to Alice is not Bob's to redeem; an unknown one is refused the same way.
  'POST /wallets/link': { path: () => '/wallets/link', body: () => ({ message: 'Nonce: 0123456789abcdef', signature: '0x' + '00'.repeat(65) }), stranger: { status: 400, code: ErrorCode.WalletLinkInvalid }, needsKey: true },
  'GET /wallets/me': { path: () => '/wallets/me', stranger: (body) => expect(body).toEqual({ address: null }), needsKey: true },
  'DELETE /wallets/me': { path: () => '/wallets/me', stranger: 'self', needsKey: true },
  // This suite's gateway has no chain: market reads fail closed.
  'GET /twins/{twinId}/market': { path: () => `/twins/0x${'ab'.repeat(32)}/market`, stranger: { status: 503, code: ErrorCode.ChainUnavailable }, needsKey: true },
  'POST /avatars': { path: () => '/avatars', body: () => ({ not: 'an image' }), stranger: { status: 400, code: ErrorCode.AvatarInvalid }, needsKey: true },
  'GET /avatars/{hash}': { path: () => `/avatars/${'0'.repeat(64)}`, stranger: 'public', needsKey: false },
  'GET /avatars/{hash}/thumbnail': { path: () => `/avatars/${'0'.repeat(64)}/thumbnail`, stranger: 'public', needsKey: false },
  'GET /lorebooks': { path: () => '/lorebooks', stranger: (body, f) => expect(body.map((book: { id: string }) => book.id)).not.toContain(f.lorebookId), needsKey: true },
  'POST /lorebooks': { path: () => '/lorebooks', body: aLorebook, stranger: { status: 201 }, needsKey: true },
  'GET /lorebooks/{id}': { path: (f) => `/lorebooks/${f.lorebookId}`, stranger: { status: 404, code: ErrorCode.LorebookNotFound }, needsKey: true },
  'PUT /lorebooks/{id}': { path: (f) => `/lorebooks/${f.lorebookId}`, body: aLorebook, stranger: { status: 404, code: ErrorCode.LorebookNotFound }, needsKey: true },
  'DELETE /lorebooks/{id}': { path: (f) => `/lorebooks/${f.lorebookId}`, stranger: { status: 404, code: ErrorCode.LorebookNotFound }, needsKey: true },
  'GET /lorebooks/{id}/export': { path: (f) => `/lorebooks/${f.lorebookId}/export`, stranger: { status: 404, code: ErrorCode.LorebookNotFound }, needsKey: true },
  'POST /lorebooks/{id}/personas/{personaId}': {
    path: (f) => `/lorebooks/${f.lorebookId}/personas/${f.personaId}`,
    stranger: { status: 404, code: ErrorCode.LorebookNotFound },
    needsKey: true,
  },
  'DELETE /lorebooks/{id}/personas/{personaId}': {
    path: (f) => `/lorebooks/${f.lorebookId}/personas/${f.personaId}`,
    stranger: { status: 404, code: ErrorCode.LorebookNotFound },
    needsKey: true,
  },
  'GET /metrics': { path: () => '/metrics', stranger: { status: 403, code: ErrorCode.Forbidden }, needsKey: true },
  'GET /hub/models': { path: () => '/hub/models?q=chat', stranger: 'public', needsKey: false },
  'GET /hub/models/{ref}': { path: () => '/hub/models/never-published@1', stranger: 'public', needsKey: false },
  'GET /hub/blobs/{sha256}': { path: () => `/hub/blobs/${'0'.repeat(64)}`, stranger: 'public', needsKey: false },
  'POST /hub/models': {
    path: () => '/hub/models',
    body: () => ({ card: '---\nid: bobs-listing\nname: Bob’s listing\ntask: chat\n---\n\nA card.\n' }),
    stranger: { status: 201 },
    needsKey: true,
  },
  'GET /health/live': { path: () => '/health/live', stranger: 'public', needsKey: false },
  'GET /health/ready': { path: () => '/health/ready', stranger: 'public', needsKey: false },
  'GET /limits': { path: () => '/limits', stranger: 'public', needsKey: false },
  'POST /v1/chat/completions': {
    path: () => '/v1/chat/completions',
    body: (f) => ({ model: f.personaId, messages: [{ role: 'user', content: 'hi' }], conversation_id: f.conversationId }),
    stranger: { status: 404, code: ErrorCode.ModelNotFound },
    needsKey: true,
  },
  'GET /v1/models': { path: () => '/v1/models', stranger: (body, f) => expect(body.data.map((m: { id: string }) => m.id)).not.toContain(f.personaId), needsKey: true },
  'GET /v1/models/{model}': { path: (f) => `/v1/models/${f.personaId}`, stranger: { status: 404, code: ErrorCode.ModelNotFound }, needsKey: true },
};

/** The error code of a REST answer, or of an OpenAI-shaped one (under /v1). */
const codeOf = (body: { code?: string; error?: { code?: string } } | null) => body?.code ?? body?.error?.code;

describe('access control walk', () => {
  let stack: Stack;
  let db: Kysely<Database>;
  let alice: { id: string; apiKey: string };
  let bob: { id: string; apiKey: string };
  let fixture: Fixture;
  let aliceSocket: ChatClient;
  let bobSocket: ChatClient;

  beforeAll(async () => {
    stack = await startStack(['node-w']);
    db = testDatabase();
    alice = await signUp(stack.url, 'Alice');
    bob = await signUp(stack.url, 'Bob');
    const call = api(stack.url, alice.apiKey);
    const personaId = (await call('POST', '/personas', { name: 'Private Alice', visibility: 'private' })).body.id;
    const conversationId = (await call('POST', '/conversations', { personaId })).body.id;
    aliceSocket = await connectChat(stack.url, alice.apiKey);
    bobSocket = await connectChat(stack.url, bob.apiKey);
    const turn = await sendTurn(aliceSocket, { conversationId, text: 'a secret about me', verification: 'signed' });
    // Memories are written after turn:done, off the turn's path.
    const memories = await waitFor(async () => {
      const items = (await call('GET', `/personas/${personaId}/memories`)).body.items as { id: string }[];
      return items.length === 2 && items;
    }, "the turn's memories");
    const memoryId = memories[0]!.id;
    const operatorKey = (await new AccountsService(new AccountsRepository(db)).create('Ops', ['consumer', 'creator', 'operator'])).apiKey;
    const nodeAddress = (await api(stack.url, operatorKey)('GET', '/nodes')).body[0].address;
    const lorebookId = (await call('POST', '/lorebooks', { name: 'Alice’s book', entries: [{ keys: ['secret'], content: 'Alice’s lore.' }] })).body.id;
    fixture = { aliceId: alice.id, personaId, conversationId, memoryId, receiptId: turn.done!.verification!.receiptId, turnId: (turn.ack as { turnId: string }).turnId, nodeAddress, lorebookId };
  });

  afterAll(async () => {
    aliceSocket?.close();
    bobSocket?.close();
    await db?.destroy();
    await stack?.stop();
  });

  it('has an expectation for every route the gateway serves', async () => {
    const document = (await api(stack.url)('GET', '/docs/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const served = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    expect(served.sort()).toEqual(Object.keys(ROUTES).sort());
  });

  it('answers 401 UNAUTHENTICATED without a key on every private route', async () => {
    for (const [route, spec] of Object.entries(ROUTES)) {
      if (!spec.needsKey) continue;
      const [method] = route.split(' ');
      const response = await api(stack.url)(method!, spec.path(fixture), spec.body?.(fixture));
      expect(response.status, route).toBe(401);
      expect(codeOf(response.body), route).toBe(ErrorCode.Unauthenticated);
    }
  });

  it("never shows or changes Alice's resources to Bob (same role), and keeps operator routes to operators", async () => {
    for (const [route, spec] of Object.entries(ROUTES)) {
      if (spec.stranger === 'public' || spec.stranger === 'self') continue;
      const [method] = route.split(' ');
      const response = await api(stack.url, bob.apiKey)(method!, spec.path(fixture), spec.body?.(fixture));
      if (typeof spec.stranger === 'function') {
        expect(response.status, route).toBe(200);
        spec.stranger(response.body, fixture);
      } else {
        expect(response.status, route).toBe(spec.stranger.status);
        if (spec.stranger.code) expect(codeOf(response.body), route).toBe(spec.stranger.code);
      }
    }
    // Nothing of Alice's changed or disappeared.
    const persona = await api(stack.url, alice.apiKey)('GET', `/personas/${fixture.personaId}`);
    expect(persona.body).toMatchObject({ status: 'active', version: 1 });
    expect((await api(stack.url, alice.apiKey)('GET', `/personas/${fixture.personaId}/memories`)).body.items.length).toBe(2);
    expect((await api(stack.url, alice.apiKey)('GET', `/receipts/${fixture.receiptId}`)).status).toBe(200);
    expect((await api(stack.url, alice.apiKey)('GET', `/lorebooks/${fixture.lorebookId}`)).body).toMatchObject({ book: { name: 'Alice’s book' }, attachedTo: [] });
    const node = await db.selectFrom('nodes').select('revoked_at').where('address', '=', fixture.nodeAddress).executeTakeFirstOrThrow();
    expect(node.revoked_at).toBeNull();
  });

  it("refuses Alice's conversation and turn to Bob over the socket", async () => {
    expect(await sendRaw(bobSocket, { conversationId: fixture.conversationId, text: 'hi', clientTurnId: randomUUID() })).toMatchObject({
      ok: false,
      error: { code: ErrorCode.ConversationNotFound },
    });
    const resume = await new Promise<TurnResumeAck>((resolve) => bobSocket.emit('turn:resume', { turnId: fixture.turnId, afterSeq: -1 }, resolve));
    expect(resume).toMatchObject({ ok: false, error: { code: ErrorCode.TurnNotFound } });
  });
});

describe('API keys', () => {
  let stack: Stack;
  let db: Kysely<Database>;

  beforeAll(async () => {
    stack = await startStack(['node-k']);
    db = testDatabase();
  });

  afterAll(async () => {
    await db?.destroy();
    await stack?.stop();
  });

  it('are stored only as a hash, can be rotated, and stop working when an operator revokes them', async () => {
    const user = await signUp(stack.url, 'Keyholder');
    const row = await db.selectFrom('accounts').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(user.apiKey);
    expect(user.apiKey.startsWith(`dpl_${row.api_key_prefix}_`)).toBe(true);

    const rotated = await api(stack.url, user.apiKey)('POST', '/accounts/me/rotate-key');
    expect(rotated.status).toBe(200);
    expect((await api(stack.url, user.apiKey)('GET', '/accounts/me')).status).toBe(401);
    expect((await api(stack.url, rotated.body.apiKey)('GET', '/accounts/me')).body.id).toBe(user.id);

    const operatorKey = (await new AccountsService(new AccountsRepository(db)).create('Ops', ['consumer', 'creator', 'operator'])).apiKey;
    const made = await api(stack.url, operatorKey)('POST', '/operator/accounts', { displayName: 'Made by ops', roles: ['consumer'] });
    expect(made.body.roles).toEqual(['consumer']);
    expect((await api(stack.url, operatorKey)('POST', `/operator/accounts/${user.id}/revoke-key`)).status).toBe(204);
    expect(await api(stack.url, rotated.body.apiKey)('GET', '/accounts/me')).toMatchObject({ status: 401, body: { code: ErrorCode.Unauthenticated } });
    const socketError = await connectChat(stack.url, rotated.body.apiKey).then(
      () => null,
      (error: Error & { data?: { code: string } }) => error.data?.code,
    );
    expect(socketError).toBe(ErrorCode.Unauthenticated);
    const fresh = await api(stack.url, operatorKey)('POST', `/operator/accounts/${user.id}/rotate-key`);
    expect((await api(stack.url, fresh.body.apiKey)('GET', '/accounts/me')).status).toBe(200);
  });

  it('lets a consumer fetch a finished turn over REST, and no one else', async () => {
    const user = await signUp(stack.url, 'Fetcher');
    const personaId = (await api(stack.url, user.apiKey)('POST', '/personas', { name: 'Quick' })).body.id;
    const conversationId = (await api(stack.url, user.apiKey)('POST', '/conversations', { personaId })).body.id;
    const socket = await connectChat(stack.url, user.apiKey);
    const turn = await sendTurn(socket, { conversationId, text: 'fetch me later' });
    socket.close();
    const turnId = (turn.ack as { turnId: string }).turnId;
    const fetched = await api(stack.url, user.apiKey)('GET', `/turns/${turnId}`);
    expect(fetched.body).toMatchObject({ status: 'done', done: { messageId: turn.done!.messageId, text: turn.done!.text } });
    const other = await signUp(stack.url, 'Other');
    expect((await api(stack.url, other.apiKey)('GET', `/turns/${turnId}`)).status).toBe(404);
  });
});

describe('rotating and revoking a key across two gateways', () => {
  // Long enough that only the pub/sub message can explain a refusal inside it, short enough to test the fallback.
  const CACHE_TTL_MS = 3000;
  let gateways: (RunningProcess & { url: string })[];
  let worker: RunningProcess;
  let db: Kysely<Database>;
  let operatorKey: string;

  beforeAll(async () => {
    const env = testEnv({ API_KEY_CACHE_TTL_MS: String(CACHE_TTL_MS) });
    [worker, ...gateways] = await Promise.all([startWorker('node-g', env), startGateway(env), startGateway(env)]);
    db = testDatabase();
    operatorKey = (await new AccountsService(new AccountsRepository(db)).create('Ops', ['consumer', 'creator', 'operator'])).apiKey;
    await waitFor(async () => (await api(gateways[0]!.url)('GET', '/health/ready')).status === 200, 'the worker to be ready');
  });

  afterAll(async () => {
    await db?.destroy();
    await Promise.all([...(gateways ?? []).map((gateway) => gateway.stop()), worker?.stop()]);
  });

  const closed = (socket: ChatClient) => new Promise<number>((resolve) => {
    const started = performance.now();
    socket.once('disconnect', () => resolve(performance.now() - started));
  });
  const refusedWithin = async (url: string, apiKey: string) => {
    const started = performance.now();
    await waitFor(async () => (await api(url, apiKey)('GET', '/accounts/me')).status === 401, 'the key to be refused', CACHE_TTL_MS * 3);
    return performance.now() - started;
  };

  it('closes the old key\'s sockets on every gateway and refuses it at once, keeping the new key working', async () => {
    const [a, b] = gateways;
    const user = await signUp(a!.url, 'Rotator');
    const personaId = (await api(a!.url, user.apiKey)('POST', '/personas', { name: 'Mine' })).body.id;
    const conversationId = (await api(a!.url, user.apiKey)('POST', '/conversations', { personaId })).body.id;
    // B knows the key (cached) and holds a socket with it; so does A.
    expect((await api(b!.url, user.apiKey)('GET', '/accounts/me')).status).toBe(200);
    const onB = await connectChat(b!.url, user.apiKey);
    const onA = await connectChat(a!.url, user.apiKey);
    expect((await sendTurn(onB, { conversationId, text: 'before rotating' })).done).not.toBeNull();

    const bClosed = closed(onB);
    const aClosed = closed(onA);
    const rotated = await api(a!.url, user.apiKey)('POST', '/accounts/me/rotate-key');
    expect(rotated.status).toBe(200);
    // Well inside the cache TTL: the pub/sub message did it.
    expect(await bClosed).toBeLessThan(CACHE_TTL_MS / 2);
    expect(await aClosed).toBeLessThan(CACHE_TTL_MS / 2);
    expect(await refusedWithin(b!.url, user.apiKey)).toBeLessThan(CACHE_TTL_MS / 2);
    expect(await connectChat(b!.url, user.apiKey).then(() => 'connected', (error: Error & { data?: { code: string } }) => error.data?.code)).toBe(ErrorCode.Unauthenticated);

    // The new key works on both gateways, and its socket outlives the old key's revocation.
    const newKey = rotated.body.apiKey as string;
    expect((await api(b!.url, newKey)('GET', '/accounts/me')).body.id).toBe(user.id);
    const fresh = await connectChat(b!.url, newKey);
    const memories = await new Promise<{ ok: boolean }>((resolve) => (fresh.emit as (...args: unknown[]) => void)('memory:list', { personaId }, resolve));
    expect(memories.ok).toBe(true);

    // An operator revokes the new key through A: B closes its socket and refuses it the same way.
    const freshClosed = closed(fresh);
    expect((await api(a!.url, operatorKey)('POST', `/operator/accounts/${user.id}/revoke-key`)).status).toBe(204);
    expect(await freshClosed).toBeLessThan(CACHE_TTL_MS / 2);
    expect(await refusedWithin(b!.url, newKey)).toBeLessThan(CACHE_TTL_MS / 2);
    // Nothing was stored through the old sockets after the rotation.
    const turns = await db.selectFrom('turns').select('id').where('conversation_id', '=', conversationId).execute();
    expect(turns).toHaveLength(1);
  });

  it('still closes the sockets and refuses the key within the cache TTL when the message is missed', async () => {
    const [, b] = gateways;
    const user = await signUp(b!.url, 'Missed');
    expect((await api(b!.url, user.apiKey)('GET', '/accounts/me')).status).toBe(200);
    const socket = await connectChat(b!.url, user.apiKey);
    const socketClosed = closed(socket);
    // Revoked in the database with no message, as if every gateway's subscriber had been reconnecting.
    await db.updateTable('accounts').set({ key_revoked_at: new Date() }).where('id', '=', user.id).execute();
    // The cache entry lasts one TTL; the keys of open sockets are re-checked every TTL.
    const [restRefusedAfter, socketClosedAfter] = await Promise.all([refusedWithin(b!.url, user.apiKey), socketClosed]);
    expect(restRefusedAfter).toBeLessThan(CACHE_TTL_MS + 1000);
    expect(socketClosedAfter).toBeLessThan(CACHE_TTL_MS * 2 + 1000);
  });
});
