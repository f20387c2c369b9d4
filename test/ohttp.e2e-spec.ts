// Oblivious HTTP end to end: client (127.0.0.2) → relay (127.0.0.3) → gateway (127.0.0.4), each from its own
// address. What each party can see is checked from its own traffic and logs: the relay's bytes to and from the
// gateway hold no plaintext, the gateway never learns the client's address, and broken encapsulations are refused.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AEAD_CHACHA20_POLY1305,
  decodeKeyConfigList,
  encapsulateRequest,
  encodeRequest,
  generateKeySecret,
  header,
  OhttpClient,
  OhttpErrorCode,
  OhttpKeyRing,
  parseKeySecrets,
  type KeyConfig,
} from '@doppel/ohttp';
import { ErrorCode } from '@doppel/protocol';
import { signUp } from './support/clients';
import { fetchFrom, startRelay, startTap, type Tap } from './support/ohttp';
import { startStack, type RunningProcess, type Stack } from './support/processes';

const CLIENT = '127.0.0.2';
const RELAY = '127.0.0.3';
const GATEWAY = '127.0.0.4';
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('Oblivious HTTP: client, relay and gateway on their own addresses', () => {
  const newKey = generateKeySecret(2);
  const oldKey = generateKeySecret(1);
  let ring: OhttpKeyRing;
  let stack: Stack;
  let tap: Tap;
  let relay: RunningProcess & { url: string };
  let user: { id: string; apiKey: string };
  let client: OhttpClient;
  let keysUrl: string;

  const clientFor = (pins: string[], extraHeaders: Record<string, string> = {}) =>
    new OhttpClient({
      relays: [relay.url],
      // Through the relay: the gateway must not learn who fetches its keys either.
      keyConfigs: async () => new Uint8Array(await (await fetchFrom(CLIENT)(`${relay.url}ohttp-keys`)).arrayBuffer()),
      pinnedKeyConfigHashes: pins,
      fetch: fetchFrom(CLIENT, extraHeaders),
    });

  beforeAll(async () => {
    ring = await OhttpKeyRing.create(parseKeySecrets(`${newKey},${oldKey}`));
    stack = await startStack(['node-ohttp'], { GATEWAY_HOST: GATEWAY, OHTTP_KEYS: `${newKey},${oldKey}`, LOG_LEVEL: 'verbose', SYNTHETIC_TOKENS_PER_SECOND: '40' });
    expect(new URL(stack.url).hostname).toBe(GATEWAY);
    keysUrl = `${stack.url}/ohttp-keys`;
    tap = await startTap(RELAY, new URL(stack.url));
    relay = await startRelay({ RELAY_GATEWAY_URL: `${tap.url}/ohttp`, RELAY_HOST: RELAY, RELAY_PORT: '0', RELAY_LOCAL_ADDRESS: RELAY, RELAY_MAX_BODY_BYTES: '65536', LOG_LEVEL: 'verbose' });
    user = await signUp(stack.url, 'Oblivious');
    client = clientFor([ring.published[0]!.hash], { 'user-agent': 'ClientBrowser/1.0 (fingerprint)', cookie: 'session=client-cookie', 'x-forwarded-for': CLIENT, 'accept-language': 'pt-PT' });
  });

  afterAll(async () => {
    await relay?.stop();
    await tap?.close();
    await stack?.stop();
  });

  it('publishes the key configurations newest first in application/ohttp-keys, with their hashes', async () => {
    const response = await fetch(keysUrl);
    expect(response.headers.get('content-type')).toBe('application/ohttp-keys');
    const list = decodeKeyConfigList(new Uint8Array(await response.arrayBuffer()));
    expect(list.map(({ config }) => config.keyId)).toEqual([2, 1]);
    expect(new Uint8Array(await (await fetch(keysUrl)).arrayBuffer())).toEqual(ring.keyConfigList);
    // The relay hands out the same list (fetched from the gateway, cached), so clients need not ask the gateway.
    const viaRelay = await fetchFrom(CLIENT)(`${relay.url}ohttp-keys`);
    expect(viaRelay.headers.get('content-type')).toBe('application/ohttp-keys');
    expect(new Uint8Array(await viaRelay.arrayBuffer())).toEqual(ring.keyConfigList);
    const json = (await (await fetch(`${keysUrl}?format=json`)).json()) as { keys: { sha256: string }[] };
    expect(json.keys.map((key: { sha256: string }) => key.sha256)).toEqual(ring.published.map((key) => key.hash));
    // The key material itself is never logged; the public hashes are.
    for (const secret of [newKey, oldKey]) expect(stack.gateway.output()).not.toContain(secret.split(':')[1]);
    expect(stack.gateway.output()).toContain(ring.published[0]!.hash);
  });

  it('serves the REST API through the relay, authenticated like a direct request, and the relay carries only ciphertext', async () => {
    const secretName = `Zephyrine-${randomUUID().slice(0, 8)}`;
    const secretDescription = `keeps bees behind the lighthouse ${randomUUID()}`;
    const auth = { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' };
    const before = tap.toGateway().length;
    const created = await client.request({ method: 'POST', path: '/personas', headers: auth, body: JSON.stringify({ name: secretName, description: secretDescription }) });
    expect(created.status).toBe(201);
    const personaId = JSON.parse(text(created.body)).id as string;
    const read = await client.request({ method: 'GET', path: `/personas/${personaId}`, headers: auth });
    expect(read.status).toBe(200);
    expect(JSON.parse(text(read.body)).definition).toMatchObject({ name: secretName, description: secretDescription });
    expect(header(read.headers, 'content-type')).toMatch(/application\/json/);

    const anonymous = await client.request({ method: 'GET', path: `/personas/${personaId}` });
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(text(anonymous.body)).code).toBe(ErrorCode.Unauthenticated);

    const toGateway = tap.toGateway().subarray(before).toString('latin1');
    const fromGateway = tap.fromGateway().toString('latin1');
    expect(toGateway).toContain('content-type: message/ohttp-req');
    for (const plaintext of [secretName, secretDescription, user.apiKey, user.apiKey.slice(4, 20), personaId, '/personas', 'authorization', 'Bearer']) {
      expect(toGateway, `request plaintext ${plaintext}`).not.toContain(plaintext);
      expect(fromGateway, `reply plaintext ${plaintext}`).not.toContain(plaintext);
    }
    // What the client's browser would have added stays at the relay.
    for (const identifying of ['ClientBrowser', 'client-cookie', CLIENT, 'pt-PT', 'x-forwarded-for', 'cookie', 'user-agent']) {
      expect(toGateway.toLowerCase(), identifying).not.toContain(identifying.toLowerCase());
    }
    expect(relay.output()).not.toContain(secretName);
  });

  it('never lets the client address reach the gateway: its requests come from the relay, inner ones from itself', async () => {
    await client.request({ method: 'GET', path: '/health/live' });
    const log = stack.gateway.output();
    expect(log).toMatch(new RegExp(`POST /ohttp 200 \\S+ms peer=${RELAY.replace(/\./g, '\\.')}`));
    expect(log).toMatch(new RegExp(`GET /health/live 200 \\S+ms peer=${GATEWAY.replace(/\./g, '\\.')} via=ohttp`));
    expect(log).not.toContain(CLIENT);
    expect(relay.output()).not.toContain(CLIENT);
  });

  it('refuses tampered, truncated, unknown-key and replayed encapsulations with their codes, and keeps serving', async () => {
    const config = (await client.keyConfiguration()) as KeyConfig;
    const post = async (body: Uint8Array, contentType = 'message/ohttp-req') => {
      const response = await fetchFrom(CLIENT)(relay.url, { method: 'POST', headers: { 'content-type': contentType }, body });
      return { status: response.status, body: (response.headers.get('content-type') ?? '').includes('json') ? await response.json() : await response.arrayBuffer() };
    };
    const fresh = async () =>
      encapsulateRequest(config, { kdfId: 1, aeadId: AEAD_CHACHA20_POLY1305 }, encodeRequest({ method: 'GET', scheme: 'https', authority: 'doppel', path: '/health/live', headers: [['date', new Date().toUTCString()]], body: new Uint8Array(0) }), false);

    const tampered = (await fresh()).body.slice();
    tampered[tampered.length - 3]! ^= 0x40;
    expect(await post(tampered)).toMatchObject({ status: 400, body: { code: ErrorCode.OhttpDecryptFailed } });
    const encTampered = (await fresh()).body.slice();
    encTampered[10]! ^= 0x01;
    expect(await post(encTampered)).toMatchObject({ status: 400, body: { code: ErrorCode.OhttpDecryptFailed } });

    const whole = (await fresh()).body;
    expect(await post(whole.subarray(0, 30))).toMatchObject({ status: 400, body: { code: ErrorCode.OhttpTruncated } });
    expect(await post(whole.subarray(0, whole.length - 1))).toMatchObject({ status: 400, body: { code: ErrorCode.OhttpDecryptFailed } });

    const chunked = await encapsulateRequest(config, { kdfId: 1, aeadId: AEAD_CHACHA20_POLY1305 }, encodeRequest({ method: 'GET', scheme: 'https', authority: 'doppel', path: '/health/live', headers: [['date', new Date().toUTCString()]], body: new Uint8Array(0) }), true);
    expect(await post(chunked.body.subarray(0, 40), 'message/ohttp-chunked-req')).toMatchObject({ status: 400, body: { code: ErrorCode.OhttpTruncated } });

    const unknownKey = (await fresh()).body.slice();
    unknownKey[0] = 77;
    expect(await post(unknownKey)).toMatchObject({ status: 400, body: { code: ErrorCode.OhttpKeyUnknown } });

    const once = await fresh();
    const first = await post(once.body);
    expect(first.status).toBe(200);
    expect(text(await once.openResponse(new Uint8Array(first.body as ArrayBuffer)))).toContain('"status":"ok"');
    expect(await post(once.body)).toMatchObject({ status: 400, body: { code: ErrorCode.OhttpReplayed } });

    // A Date outside the window is answered inside the encapsulation, so only the client learns it.
    const stale = await client.request({ method: 'GET', path: '/health/live', headers: { date: new Date(Date.now() - 10 * 60_000).toUTCString() } });
    expect(stale.status).toBe(400);
    expect(JSON.parse(text(stale.body)).code).toBe(ErrorCode.OhttpStale);

    const nested = await client.request({ method: 'POST', path: '/ohttp' });
    expect(nested.status).toBe(400);

    expect((await client.request({ method: 'GET', path: '/health/live' })).status).toBe(200);
  });

  it('has the relay refuse what it does not forward, with clear errors', async () => {
    const call = (init: RequestInit) => fetchFrom(CLIENT)(relay.url, init);
    const codeOf = async (response: Response) => ((await response.json()) as { code: string }).code;
    expect(await codeOf(await call({ method: 'GET' }))).toBe('RELAY_METHOD_NOT_ALLOWED');
    const wrongType = await call({ method: 'POST', headers: { 'content-type': 'application/json' }, body: new TextEncoder().encode('{}') });
    expect([wrongType.status, await codeOf(wrongType)]).toEqual([415, 'RELAY_UNSUPPORTED_MEDIA_TYPE']);
    const huge = await call({ method: 'POST', headers: { 'content-type': 'message/ohttp-req' }, body: new Uint8Array(70_000) });
    expect([huge.status, await codeOf(huge)]).toEqual([413, 'RELAY_PAYLOAD_TOO_LARGE']);
    const orphan = await startRelay({ RELAY_GATEWAY_URL: 'http://127.0.0.3:9/ohttp', RELAY_HOST: RELAY, RELAY_PORT: '0' });
    try {
      const unreachable = await fetchFrom(CLIENT)(orphan.url, { method: 'POST', headers: { 'content-type': 'message/ohttp-req' }, body: new Uint8Array(64) });
      expect([unreachable.status, await codeOf(unreachable)]).toEqual([502, 'RELAY_GATEWAY_UNREACHABLE']);
    } finally {
      await orphan.stop();
    }
    expect((await client.request({ method: 'GET', path: '/health/live' })).status).toBe(200);
  });

  it('rotates keys with overlap: a client pinned to the older key still works; an unpinned key is refused before anything is sent', async () => {
    const older = clientFor([ring.published[1]!.hash]);
    expect((await older.keyConfiguration()).keyId).toBe(1);
    expect((await older.request({ method: 'GET', path: '/health/live' })).status).toBe(200);

    const sentBefore = tap.toGateway().length;
    const other = await OhttpKeyRing.create(parseKeySecrets(generateKeySecret(2)));
    const wrongPin = clientFor([other.published[0]!.hash]);
    await expect(wrongPin.request({ method: 'GET', path: '/health/live' })).rejects.toMatchObject({ code: OhttpErrorCode.KeyConfigNotPinned });
    expect(tap.toGateway().length).toBe(sentBefore);
  });

  it('spreads requests over several relays, one per request', async () => {
    const second = await startRelay({ RELAY_GATEWAY_URL: `${tap.url}/ohttp`, RELAY_HOST: RELAY, RELAY_PORT: '0', RELAY_LOCAL_ADDRESS: RELAY });
    try {
      let turn = 0;
      const spread = new OhttpClient({
        relays: [relay.url, second.url],
        keyConfigs: ring.keyConfigList,
        pinnedKeyConfigHashes: [ring.published[0]!.hash],
        pickRelay: (relays) => relays[turn++ % relays.length]!,
        fetch: fetchFrom(CLIENT),
      });
      const used = [];
      for (let i = 0; i < 4; i += 1) used.push((await spread.request({ method: 'GET', path: '/health/live' })).relay);
      expect(used).toEqual([relay.url, second.url, relay.url, second.url]);
    } finally {
      await second.stop();
    }
  });

  it('streams a chunked reply through the relay as it is produced', async () => {
    // Any inner response can travel chunked; the OpenAI-compatible SSE stream is checked in ohttp-openai.e2e-spec.ts.
    const streamed = await client.stream({ method: 'GET', path: '/health/live' });
    expect(streamed.status).toBe(200);
    const pieces: Uint8Array[] = [];
    for await (const piece of streamed.body) pieces.push(piece);
    expect(JSON.parse(text(Buffer.concat(pieces)))).toMatchObject({ status: 'ok' });
  });
});
