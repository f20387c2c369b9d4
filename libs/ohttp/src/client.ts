// A client of Doppel's Oblivious HTTP gateway, for Node and browsers: it seals each request to a pinned gateway key,
// posts it to one of several relays, and opens the reply (whole, or chunk by chunk for a streamed one).
import { decodeResponse, encodeRequest, ResponseDecoder, type HeaderList } from './bhttp';
import { toArrayBuffer } from './bytes';
import { encapsulateRequest } from './encapsulation';
import { decodeKeyConfigList, keyConfigHash, pickSymmetric, type KeyConfig } from './key-config';
import { OhttpError, OhttpErrorCode } from './errors';

export interface OhttpClientOptions {
  /** Relay URLs, ideally run by different parties; each request goes through one of them. */
  relays: string[];
  /** The gateway's application/ohttp-keys body, or a function that fetches it (e.g. from the gateway's /ohttp-keys). */
  keyConfigs: Uint8Array | (() => Promise<Uint8Array>);
  /** SHA-256 (hex) of the key configurations this client accepts, given out of band (README, operator, app build). */
  pinnedKeyConfigHashes: string[];
  /** Picks the relay for a request; random by default. */
  pickRelay?: (relays: string[]) => string;
  /** Preferred AEAD id (0x0001 AES-128-GCM, 0x0003 ChaCha20-Poly1305) where the key offers it. */
  aeadId?: number;
  fetch?: typeof fetch;
}

export interface InnerRequest {
  method: string;
  /** Path and query on the gateway, e.g. `/v1/chat/completions`. */
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
}

export interface InnerResponse {
  status: number;
  headers: HeaderList;
  body: Uint8Array;
  relay: string;
}

export interface StreamedInnerResponse {
  status: number;
  headers: HeaderList;
  /** Content pieces as the gateway produced them. */
  body: AsyncIterable<Uint8Array>;
  relay: string;
}

/** The relay or the gateway refused the encapsulated request itself (the outer HTTP exchange). */
export class OhttpTransportError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly relay: string) {
    super(message);
    this.name = 'OhttpTransportError';
  }
}

export function header(headers: HeaderList, name: string): string | undefined {
  return headers.find(([key]) => key === name)?.[1];
}

export class OhttpClient {
  private keyConfig: Promise<KeyConfig> | null = null;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: OhttpClientOptions) {
    if (options.relays.length === 0) throw new Error('an OHTTP client needs at least one relay');
    if (options.pinnedKeyConfigHashes.length === 0) throw new Error('an OHTTP client needs the pinned key configuration hash(es)');
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** The gateway key this client uses: the publisher's first configuration whose hash is pinned. */
  keyConfiguration(): Promise<KeyConfig> {
    this.keyConfig ??= this.loadKeyConfig().catch((error: unknown) => {
      this.keyConfig = null;
      throw error;
    });
    return this.keyConfig;
  }

  /** Forgets the key configuration (after the gateway said it no longer holds the key). */
  refreshKeys(): void {
    this.keyConfig = null;
  }

  async request(request: InnerRequest): Promise<InnerResponse> {
    const { encapsulated, response, relay } = await this.send(request, false);
    const body = await encapsulated.openResponse(new Uint8Array(await response.arrayBuffer()));
    return { ...decodeResponse(body), relay };
  }

  /** Sends with chunked OHTTP: the reply's head, then its content as the gateway writes it (e.g. SSE events). */
  async stream(request: InnerRequest, signal?: AbortSignal): Promise<StreamedInnerResponse> {
    const { encapsulated, response, relay } = await this.send(request, true, signal);
    if (!response.body) throw new OhttpError(OhttpErrorCode.Truncated, 'the relay sent no body');
    const opener = encapsulated.chunkedResponseOpener();
    const decoder = new ResponseDecoder();
    const reader = response.body.getReader();
    const pending: Uint8Array[] = [];
    let head: { status: number; headers: HeaderList } | null = null;
    let done = false;
    const pull = async (): Promise<void> => {
      const read = await reader.read();
      const plaintexts = read.done ? [await opener.end()] : await opener.push(read.value);
      for (const plaintext of plaintexts) {
        for (const event of decoder.push(plaintext)) {
          if (event.type === 'head') head = { status: event.status, headers: event.headers };
          else if (event.type === 'data') pending.push(event.bytes);
        }
      }
      if (read.done) {
        decoder.end();
        done = true;
      }
    };
    while (!head && !done) await pull();
    if (!head) throw new OhttpError(OhttpErrorCode.Truncated, 'the response ended before its head');
    const { status, headers } = head as { status: number; headers: HeaderList };
    async function* body(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          while (pending.length > 0) yield pending.shift()!;
          if (done) return;
          await pull();
        }
      } finally {
        if (!done) await reader.cancel().catch(() => undefined);
      }
    }
    return { status, headers, body: body(), relay };
  }

  private async loadKeyConfig(): Promise<KeyConfig> {
    const list = typeof this.options.keyConfigs === 'function' ? await this.options.keyConfigs() : this.options.keyConfigs;
    const pinned = new Set(this.options.pinnedKeyConfigHashes.map((hash) => hash.toLowerCase()));
    const offered = decodeKeyConfigList(list);
    for (const { config, encoded } of offered) {
      if (pinned.has(await keyConfigHash(encoded))) return config;
    }
    throw new OhttpError(
      OhttpErrorCode.KeyConfigNotPinned,
      `none of the gateway's ${offered.length} key configuration(s) has a pinned hash; refusing to use a key that was not given out of band`,
    );
  }

  private async send(request: InnerRequest, chunked: boolean, signal?: AbortSignal) {
    const config = await this.keyConfiguration();
    const headers: HeaderList = Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]);
    // The gateway bounds replays by the inner Date (docs/privacy.md).
    if (!headers.some(([name]) => name === 'date')) headers.push(['date', new Date().toUTCString()]);
    const body = typeof request.body === 'string' ? new TextEncoder().encode(request.body) : (request.body ?? new Uint8Array(0));
    const message = encodeRequest({ method: request.method.toUpperCase(), scheme: 'https', authority: 'doppel', path: request.path, headers, body });
    const encapsulated = await encapsulateRequest(config, pickSymmetric(config, this.options.aeadId), message, chunked);
    const relay = (this.options.pickRelay ?? pickRandom)(this.options.relays);
    const response = await this.fetchImpl(relay, {
      method: 'POST',
      headers: { 'content-type': encapsulated.contentType, ...(chunked ? { incremental: '?1' } : {}) },
      body: toArrayBuffer(encapsulated.body),
      signal,
    });
    if (response.status !== 200) {
      const text = await response.text();
      let parsed: { code?: string; message?: string } = {};
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        // not JSON: the relay or something in front of it
      }
      if (parsed.code === OhttpErrorCode.KeyUnknown) this.refreshKeys();
      throw new OhttpTransportError(response.status, parsed.code ?? 'HTTP_ERROR', parsed.message ?? (text.slice(0, 200) || `status ${response.status}`), relay);
    }
    return { encapsulated, response, relay };
  }
}

function pickRandom(relays: string[]): string {
  return relays[Math.floor(Math.random() * relays.length)]!;
}
