// `npm run chat -- --via-relay <relay URL> [--via-relay <another>] [--pin <sha256>] [--anonymous] [message…]`:
// the same chat, sealed for the gateway with Oblivious HTTP and carried by a relay (one picked per request), so the
// gateway never sees this machine's address and the relay never sees the conversation. See docs/privacy.md.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { OhttpClient, privateChat } from '@doppel/ohttp';

export interface PrivateChatOptions {
  url: string;
  apiKey: string;
  personaId: string;
  message: string | null;
  relays: string[];
  pins: string[];
  keysSource: string | null;
  anonymous: boolean;
}

/** Pins come from --pin, DOPPEL_OHTTP_PINS (comma-separated) or .run/ohttp.json (written by scripts/up.sh). */
export async function defaultPins(): Promise<string[]> {
  if (process.env.DOPPEL_OHTTP_PINS) return process.env.DOPPEL_OHTTP_PINS.split(',').map((pin) => pin.trim()).filter(Boolean);
  try {
    const local = JSON.parse(await readFile(resolve(process.env.DOPPEL_OHTTP_FILE ?? '.run/ohttp.json'), 'utf8')) as { pins?: string[] };
    return local.pins ?? [];
  } catch {
    return [];
  }
}

async function keyConfigs(source: string): Promise<Uint8Array> {
  if (/^https?:\/\//.test(source)) {
    const response = await fetch(source);
    if (!response.ok) throw new Error(`GET ${source}: ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  return new Uint8Array(await readFile(source));
}

async function json<T>(client: OhttpClient, apiKey: string | null, method: string, path: string, body?: unknown): Promise<T> {
  const response = await client.request({
    method,
    path,
    headers: { ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = JSON.parse(new TextDecoder().decode(response.body)) as T & { code?: string; message?: string };
  if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${payload.code}: ${payload.message}`);
  return payload;
}

export async function runPrivateChat(options: PrivateChatOptions): Promise<void> {
  if (options.pins.length === 0) {
    throw new Error('No pinned OHTTP key hash: pass --pin <sha256> (from the gateway operator), set DOPPEL_OHTTP_PINS, or run scripts/up.sh (.run/ohttp.json).');
  }
  const client = new OhttpClient({
    relays: options.relays,
    // By default through the first relay (it fetches them from the gateway), so the gateway never sees who asks.
    keyConfigs: () => keyConfigs(options.keysSource ?? new URL('ohttp-keys', options.relays[0]).toString()),
    pinnedKeyConfigHashes: options.pins,
  });
  let apiKey = options.apiKey;
  if (options.anonymous) {
    // A fresh account made through the relay: nothing links it to this machine or to the usual key.
    apiKey = (await json<{ apiKey: string }>(client, null, 'POST', '/accounts', { displayName: 'anonymous' })).apiKey;
    console.log('(private mode: a new anonymous account for this session)');
  }
  const persona = await json<{ definition: { name: string } }>(client, apiKey, 'GET', `/personas/${options.personaId}`);
  const name = persona.definition.name;
  let conversationId: string | undefined;

  const turn = async (text: string) => {
    const startedAt = Date.now();
    let firstTokenAt: number | null = null;
    let relayUsed = '';
    process.stdout.write(`${name}: `);
    for await (const event of privateChat(client, { apiKey, personaId: options.personaId, conversationId, messages: [{ role: 'user', content: text }] })) {
      if (event.type === 'start') {
        conversationId ??= event.conversationId ?? undefined;
        relayUsed = event.relay;
      } else if (event.type === 'token') {
        firstTokenAt ??= Date.now();
        process.stdout.write(event.text);
      }
    }
    process.stdout.write(`\n  (first token ${firstTokenAt === null ? '-' : firstTokenAt - startedAt} ms, total ${Date.now() - startedAt} ms, via ${new URL(relayUsed).host})\n`);
  };

  if (options.message !== null) {
    console.log(`you: ${options.message}`);
    await turn(options.message);
    return;
  }
  const lines = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  console.log('(private mode through OHTTP; type a message and press Enter; Ctrl-D to quit)');
  for await (const line of lines) {
    if (line.trim()) await turn(line).catch((error: Error) => console.error(`\n${error.message}`));
  }
}
