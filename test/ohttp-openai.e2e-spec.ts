// Private chat end to end: the OpenAI-compatible streaming endpoint, sealed with chunked OHTTP and carried by a relay,
// client on 127.0.0.2, relay on 127.0.0.3, gateway on 127.0.0.4. Tokens must arrive as they are made (not when the
// reply is complete), the relay's traffic must hold neither prompt nor reply, and the turn must be authenticated and
// rate limited exactly like a direct one (one key, one budget, whichever path).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeySecret, OhttpClient, OhttpKeyRing, parseKeySecrets, privateChat, PrivateChatError } from '@doppel/ohttp';
import { api, signUp } from './support/clients';
import { fetchFrom, startRelay, startTap, type Tap } from './support/ohttp';
import { testDatabase } from './support/database';
import { startStack, type RunningProcess, type Stack } from './support/processes';
import { withinOneRateWindow } from './support/rate-window';

const ROOT = resolve(__dirname, '..');
const run = promisify(execFile);

const CLIENT = '127.0.0.2';
const RELAY = '127.0.0.3';
const GATEWAY = '127.0.0.4';
const TURNS_PER_MINUTE = 6;

describe('private chat through an OHTTP relay (POST /v1/chat/completions, stream: true)', () => {
  const keys = generateKeySecret(1);
  let stack: Stack;
  let tap: Tap;
  let relay: RunningProcess & { url: string };
  let client: OhttpClient;
  let user: { id: string; apiKey: string };
  let personaId: string;
  let db: ReturnType<typeof testDatabase> | null = null;
  const testDb = () => (db ??= testDatabase());

  beforeAll(async () => {
    const ring = await OhttpKeyRing.create(parseKeySecrets(keys));
    // 25 tokens/s: a reply takes about a second to generate, so arrival times show whether it streamed.
    stack = await startStack(['node-ohttp-chat'], { GATEWAY_HOST: GATEWAY, OHTTP_KEYS: keys, LOG_LEVEL: 'verbose', SYNTHETIC_TOKENS_PER_SECOND: '25', STREAM_CHUNK_INTERVAL_MS: '0', RATE_TURNS_PER_MINUTE: String(TURNS_PER_MINUTE) });
    tap = await startTap(RELAY, new URL(stack.url));
    relay = await startRelay({ RELAY_GATEWAY_URL: `${tap.url}/ohttp`, RELAY_HOST: RELAY, RELAY_PORT: '0', RELAY_LOCAL_ADDRESS: RELAY });
    client = new OhttpClient({ relays: [relay.url], keyConfigs: ring.keyConfigList, pinnedKeyConfigHashes: [ring.published[0]!.hash], fetch: fetchFrom(CLIENT) });
    user = await signUp(stack.url, 'Private');
    personaId = (await api(stack.url, user.apiKey)('POST', '/personas', { name: 'Quiet', generation: { maxTokens: 24 } })).body.id;
  });

  afterAll(async () => {
    await db?.destroy();
    await relay?.stop();
    await tap?.close();
    await stack?.stop();
  });

  it('streams tokens through the relay as they are generated, and the relay sees no plaintext', async () => {
    const prompt = `Tell me about the orchard ${randomUUID()}`;
    const startedAt = Date.now();
    const arrivals: { at: number; text: string }[] = [];
    let conversationId: string | null = null;
    let doppel = null as { turnId?: string; conversationId?: string } | null;
    for await (const event of privateChat(client, { apiKey: user.apiKey, personaId, messages: [{ role: 'user', content: prompt }] })) {
      if (event.type === 'start') conversationId = event.conversationId;
      else if (event.type === 'token') arrivals.push({ at: Date.now() - startedAt, text: event.text });
      else doppel = event.doppel as typeof doppel;
    }
    const reply = arrivals.map((arrival) => arrival.text).join('');
    expect(arrivals.length).toBeGreaterThanOrEqual(5);
    // Incremental: the first tokens were in hand long before the last (at 25 tokens/s, ~0.9 s apart for 24 tokens).
    expect(arrivals.at(-1)!.at - arrivals[0]!.at).toBeGreaterThan(400);
    expect(doppel?.conversationId).toBe(conversationId);

    const stored = await api(stack.url, user.apiKey)('GET', `/conversations/${conversationId}/messages`);
    expect(stored.body.items.map((message: { content: string }) => message.content)).toEqual(expect.arrayContaining([prompt, reply]));

    const wire = Buffer.concat([tap.toGateway(), tap.fromGateway()]).toString('latin1');
    expect(wire).toContain('message/ohttp-chunked-req');
    expect(wire).toContain('message/ohttp-chunked-res');
    for (const plaintext of [prompt, 'orchard', user.apiKey, personaId, '/v1/chat/completions', 'chat.completion.chunk', 'data: ', reply.trim().slice(0, 24)]) {
      expect(wire, plaintext).not.toContain(plaintext);
    }
    for (const word of reply.split(/\W+/).filter((w) => w.length >= 6)) expect(wire, word).not.toContain(word);
    expect(stack.gateway.output()).not.toContain(CLIENT);
  });

  it('chats privately from the CLI: npm run chat -- --via-relay URL (and --anonymous makes a fresh account through the relay)', async () => {
    const pin = (await OhttpKeyRing.create(parseKeySecrets(keys))).published[0]!.hash;
    const env = { PATH: process.env.PATH ?? '', DOPPEL_API_KEY: user.apiKey, DOPPEL_DEMO_FILE: '/nonexistent', DOPPEL_OHTTP_FILE: '/nonexistent' };
    const args = ['dist/apps/cli/main.js', 'chat', '--url', stack.url, '--persona', personaId, '--via-relay', relay.url, '--pin', pin];
    const { stdout } = await run(process.execPath, [...args, 'Hello from the terminal'], { cwd: ROOT, env, timeout: 20_000 });
    expect(stdout).toContain('you: Hello from the terminal');
    expect(stdout).toMatch(/Quiet: .+\n  \(first token \d+ ms, total \d+ ms, via 127\.0\.0\.3:\d+\)/);
    const accountsBefore = (await testDb().selectFrom('accounts').select('id').execute()).length;
    const anonymous = await run(process.execPath, [...args, '--anonymous', 'Who am I?'], { cwd: ROOT, env, timeout: 20_000 });
    expect(anonymous.stdout).toContain('a new anonymous account');
    expect((await testDb().selectFrom('accounts').select('id').execute()).length).toBe(accountsBefore + 1);
    const wrongPin = await run(process.execPath, [...args.slice(0, -1), 'ab'.repeat(32), 'hi'], { cwd: ROOT, env, timeout: 20_000 }).catch((error: { stderr: string }) => error);
    expect((wrongPin as { stderr: string }).stderr).toContain('refusing to use a key that was not given out of band');
  });

  it('is rate limited exactly like a direct request: one key, one budget, either path', async () => {
    await withinOneRateWindow();
    const other = await signUp(stack.url, 'Budget');
    const ownPersona = (await api(stack.url, other.apiKey)('POST', '/personas', { name: 'Brief', generation: { maxTokens: 2 } })).body.id;
    const direct = () =>
      fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${other.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: ownPersona, messages: [{ role: 'user', content: 'hi' }] }),
      }).then(async (response) => (await response.text(), response.status));
    const statuses: number[] = [];
    for (let i = 0; i < TURNS_PER_MINUTE; i += 1) statuses.push(await direct());
    expect(statuses.every((status) => status === 200)).toBe(true);
    const sealed = privateChat(client, { apiKey: other.apiKey, personaId: ownPersona, messages: [{ role: 'user', content: 'one more' }] });
    await expect(sealed.next()).rejects.toMatchObject({ status: 429 });
    await expect(privateChat(client, { apiKey: 'dpl_not_a_key', personaId, messages: [{ role: 'user', content: 'hi' }] }).next()).rejects.toBeInstanceOf(PrivateChatError);
  }, 60_000);
});
