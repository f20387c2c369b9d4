// Request and response encapsulation of Oblivious HTTP: RFC 9458 §4 (one sealed message each way) and the chunked
// variant of draft-ietf-ohai-chunked-ohttp (a sequence of sealed chunks, the last one marked "final" in its AAD).
import type { AeadEncryptionContext, KemInterface, RecipientContext, SenderContext } from '@hpke/core';
import { ByteReader, concatBytes, encodeVarint, peekVarint, toArrayBuffer, utf8 } from './bytes';
import { OhttpError, OhttpErrorCode } from './errors';
import { hkdfExpand, hkdfExtract } from './hkdf';
import type { KeyConfig } from './key-config';
import { suiteFor, X25519_KEY_BYTES, type Suite, type SymmetricSuite } from './suites';

export const MEDIA_TYPE = {
  request: 'message/ohttp-req',
  response: 'message/ohttp-res',
  chunkedRequest: 'message/ohttp-chunked-req',
  chunkedResponse: 'message/ohttp-chunked-res',
  keys: 'application/ohttp-keys',
} as const;

const LABEL = {
  request: 'message/bhttp request',
  response: 'message/bhttp response',
  chunkedRequest: 'message/bhttp chunked request',
  chunkedResponse: 'message/bhttp chunked response',
};
const FINAL_AAD = utf8.encode('final');
const EMPTY = new Uint8Array(0);
/** Header before the encapsulated key: key id (1), KEM (2), KDF (2), AEAD (2). */
export const REQUEST_HEADER_BYTES = 7;

function requestHeader(keyId: number, suite: Suite): Uint8Array {
  return Uint8Array.of(keyId, suite.kemId >> 8, suite.kemId & 0xff, suite.kdfId >> 8, suite.kdfId & 0xff, suite.aeadId >> 8, suite.aeadId & 0xff);
}

function info(label: string, header: Uint8Array): ArrayBuffer {
  return toArrayBuffer(concatBytes(utf8.encode(label), Uint8Array.of(0), header));
}

async function openOrThrow(open: () => Promise<ArrayBuffer>, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await open());
  } catch {
    throw new OhttpError(OhttpErrorCode.DecryptFailed, `${what} does not authenticate`);
  }
}

/** The response AEAD of RFC 9458 §4.4 (and its chunked twin): key and nonce from the request's HPKE context. */
class ResponseKeys {
  private constructor(private readonly aead: AeadEncryptionContext, private readonly baseNonce: Uint8Array) {}

  static async derive(suite: Suite, exporter: SenderContext | RecipientContext, enc: Uint8Array, responseNonce: Uint8Array, chunked: boolean): Promise<ResponseKeys> {
    const secret = await exporter.export(toArrayBuffer(utf8.encode(chunked ? LABEL.chunkedResponse : LABEL.response)), responseNonceBytes(suite));
    const prk = await hkdfExtract(concatBytes(enc, responseNonce), new Uint8Array(secret));
    const key = await hkdfExpand(prk, utf8.encode('key'), suite.keySize);
    const nonce = await hkdfExpand(prk, utf8.encode('nonce'), suite.nonceSize);
    return new ResponseKeys(suite.hpke.aead.createEncryptionContext(toArrayBuffer(key)), nonce);
  }

  private nonce(counter: number): ArrayBuffer {
    const nonce = this.baseNonce.slice();
    for (let i = nonce.length - 1, rest = counter; rest > 0 && i >= 0; i -= 1, rest = Math.floor(rest / 256)) nonce[i]! ^= rest % 256;
    return nonce.buffer as ArrayBuffer;
  }

  async seal(counter: number, plaintext: Uint8Array, final: boolean): Promise<Uint8Array> {
    return new Uint8Array(await this.aead.seal(this.nonce(counter), toArrayBuffer(plaintext), toArrayBuffer(final ? FINAL_AAD : EMPTY)));
  }

  open(counter: number, ciphertext: Uint8Array, final: boolean): Promise<Uint8Array> {
    return openOrThrow(() => this.aead.open(this.nonce(counter), toArrayBuffer(ciphertext), toArrayBuffer(final ? FINAL_AAD : EMPTY)), 'the response');
  }
}

function responseNonceBytes(suite: Suite): number {
  return Math.max(suite.keySize, suite.nonceSize);
}

function randomBytes(length: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

// ───────────────────────────── client side ─────────────────────────────

export interface EncapsulatedRequest {
  /** The body to POST to a relay. */
  body: Uint8Array;
  contentType: string;
  /** Opens the whole message/ohttp-res body. */
  openResponse(body: Uint8Array): Promise<Uint8Array>;
  /** Opens a message/ohttp-chunked-res body chunk by chunk as its bytes arrive. */
  chunkedResponseOpener(): ChunkedResponseOpener;
}

/** Seals one binary HTTP request to a gateway's public key. `chunked` uses the chunked format (for streamed replies). */
export async function encapsulateRequest(
  config: KeyConfig,
  symmetric: SymmetricSuite,
  message: Uint8Array,
  chunked: boolean,
  /** Test vectors only: a fixed ephemeral key pair instead of a fresh one. */
  vector?: { ephemeralKeyPair: Awaited<ReturnType<KemInterface['deriveKeyPair']>> },
): Promise<EncapsulatedRequest> {
  const suite = suiteFor(config.kemId, symmetric.kdfId, symmetric.aeadId);
  const header = requestHeader(config.keyId, suite);
  const recipientPublicKey = await suite.hpke.kem.deserializePublicKey(toArrayBuffer(config.publicKey));
  const sender = await suite.hpke.createSenderContext({ recipientPublicKey, info: info(chunked ? LABEL.chunkedRequest : LABEL.request, header), ekm: vector?.ephemeralKeyPair });
  const enc = new Uint8Array(sender.enc);
  const sealed = new Uint8Array(await sender.seal(toArrayBuffer(message), toArrayBuffer(chunked ? FINAL_AAD : EMPTY)));
  // A request small enough to send at once goes as a single final chunk.
  const body = chunked ? concatBytes(header, enc, encodeVarint(0), sealed) : concatBytes(header, enc, sealed);
  return {
    body,
    contentType: chunked ? MEDIA_TYPE.chunkedRequest : MEDIA_TYPE.request,
    async openResponse(response: Uint8Array): Promise<Uint8Array> {
      const reader = new ByteReader(response, 'the encapsulated response');
      const responseNonce = reader.take(responseNonceBytes(suite));
      if (reader.remaining < 16) throw new OhttpError(OhttpErrorCode.Truncated, 'the encapsulated response ends early');
      const keys = await ResponseKeys.derive(suite, sender, enc, responseNonce, false);
      return keys.open(0, reader.rest(), false);
    },
    chunkedResponseOpener: () => new ChunkedResponseOpener(suite, sender, enc),
  };
}

/** Reads a chunked encapsulated response incrementally: push() the bytes as they come, end() when the stream ends. */
export class ChunkedResponseOpener {
  private buffer: Uint8Array = new Uint8Array(0);
  private keys: ResponseKeys | null = null;
  private counter = 0;
  private finished = false;

  constructor(private readonly suite: Suite, private readonly sender: SenderContext, private readonly enc: Uint8Array) {}

  /** The plaintext of every non-final chunk that is now complete (the final one needs end()). */
  async push(bytes: Uint8Array): Promise<Uint8Array[]> {
    if (this.finished) throw new OhttpError(OhttpErrorCode.Malformed, 'bytes after the final chunk');
    this.buffer = concatBytes(this.buffer, bytes);
    const out: Uint8Array[] = [];
    if (!this.keys) {
      const nonceBytes = responseNonceBytes(this.suite);
      if (this.buffer.length < nonceBytes) return out;
      this.keys = await ResponseKeys.derive(this.suite, this.sender, this.enc, this.buffer.subarray(0, nonceBytes), true);
      this.buffer = this.buffer.subarray(nonceBytes);
    }
    for (;;) {
      const length = peekVarint(this.buffer, 0);
      if (!length || length.value === 0) break;
      if (this.buffer.length < length.length + length.value) break;
      const sealed = this.buffer.subarray(length.length, length.length + length.value);
      this.buffer = this.buffer.subarray(length.length + length.value);
      const plaintext = await this.keys.open(this.counter, sealed, false);
      this.counter += 1;
      if (plaintext.length === 0) throw new OhttpError(OhttpErrorCode.DecryptFailed, 'an empty non-final chunk');
      out.push(plaintext);
    }
    return out;
  }

  /** The final chunk's plaintext; throws Truncated if the stream ended without one. */
  async end(): Promise<Uint8Array> {
    if (this.finished) return EMPTY;
    const length = peekVarint(this.buffer, 0);
    if (!this.keys || !length || length.value !== 0) throw new OhttpError(OhttpErrorCode.Truncated, 'the chunked response ended without its final chunk');
    this.finished = true;
    return this.keys.open(this.counter, this.buffer.subarray(length.length), true);
  }
}

// ───────────────────────────── gateway side ─────────────────────────────

/** What a gateway needs of a key it holds. */
export interface GatewayKey {
  config: KeyConfig;
  keyPair: Awaited<ReturnType<KemInterface['deriveKeyPair']>>;
}

export interface DecapsulatedRequest {
  keyId: number;
  /** The encapsulated key: unique per request, so it is what replay protection remembers. */
  enc: Uint8Array;
  message: Uint8Array;
  chunked: boolean;
  /** Seals the whole response (message/ohttp-res). `responseNonce` is for test vectors only. */
  sealResponse(message: Uint8Array, responseNonce?: Uint8Array): Promise<Uint8Array>;
  /** Seals a response chunk by chunk (message/ohttp-chunked-res). */
  chunkedResponseSealer(): ChunkedResponseSealer;
}

/** Opens a message/ohttp-req or message/ohttp-chunked-req body (whole) with the key its header names. */
export async function decapsulateRequest(body: Uint8Array, chunked: boolean, findKey: (keyId: number) => GatewayKey | undefined): Promise<DecapsulatedRequest> {
  const reader = new ByteReader(body, 'the encapsulated request');
  const keyId = reader.uint8();
  const kemId = reader.uint16();
  const kdfId = reader.uint16();
  const aeadId = reader.uint16();
  const key = findKey(keyId);
  if (!key || key.config.kemId !== kemId || !key.config.symmetric.some((pair) => pair.kdfId === kdfId && pair.aeadId === aeadId)) {
    throw new OhttpError(OhttpErrorCode.KeyUnknown, `no key ${keyId} with this KEM, KDF and AEAD`);
  }
  const suite = suiteFor(kemId, kdfId, aeadId);
  const header = body.subarray(0, REQUEST_HEADER_BYTES);
  const enc = reader.take(X25519_KEY_BYTES).slice();
  let recipient: RecipientContext;
  try {
    recipient = await suite.hpke.createRecipientContext({
      recipientKey: key.keyPair,
      enc: toArrayBuffer(enc),
      info: info(chunked ? LABEL.chunkedRequest : LABEL.request, header),
    });
  } catch {
    throw new OhttpError(OhttpErrorCode.DecryptFailed, 'the encapsulated key is not valid');
  }
  const message = chunked ? await openRequestChunks(reader, recipient) : await openRequestWhole(reader, recipient);
  return {
    keyId,
    enc,
    message,
    chunked,
    async sealResponse(response: Uint8Array, fixedNonce?: Uint8Array): Promise<Uint8Array> {
      const responseNonce = fixedNonce ?? randomBytes(responseNonceBytes(suite));
      const keys = await ResponseKeys.derive(suite, recipient, enc, responseNonce, false);
      return concatBytes(responseNonce, await keys.seal(0, response, false));
    },
    chunkedResponseSealer: () => new ChunkedResponseSealer(suite, recipient, enc),
  };
}

async function openRequestWhole(reader: ByteReader, recipient: RecipientContext): Promise<Uint8Array> {
  if (reader.remaining < 16) throw new OhttpError(OhttpErrorCode.Truncated, 'the encapsulated request ends early');
  const sealed = reader.rest();
  return openOrThrow(() => recipient.open(toArrayBuffer(sealed)), 'the request');
}

async function openRequestChunks(reader: ByteReader, recipient: RecipientContext): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (;;) {
    if (reader.remaining === 0) throw new OhttpError(OhttpErrorCode.Truncated, 'the chunked request ended without its final chunk');
    const length = reader.varint();
    if (length === 0) {
      const sealed = reader.rest();
      if (sealed.length < 16) throw new OhttpError(OhttpErrorCode.Truncated, 'the final request chunk ends early');
      chunks.push(await openOrThrow(() => recipient.open(toArrayBuffer(sealed), toArrayBuffer(FINAL_AAD)), 'the final request chunk'));
      return concatBytes(...chunks);
    }
    const sealed = reader.take(length);
    const chunk = await openOrThrow(() => recipient.open(toArrayBuffer(sealed)), 'a request chunk');
    if (chunk.length === 0) throw new OhttpError(OhttpErrorCode.DecryptFailed, 'an empty non-final request chunk');
    chunks.push(chunk);
  }
}

/** Seals a streamed response: start() gives the nonce, chunk() each piece, final() the last (possibly empty) one. */
export class ChunkedResponseSealer {
  private keys: ResponseKeys | null = null;
  private counter = 0;

  constructor(private readonly suite: Suite, private readonly recipient: RecipientContext, private readonly enc: Uint8Array) {}

  async start(): Promise<Uint8Array> {
    const responseNonce = randomBytes(responseNonceBytes(this.suite));
    this.keys = await ResponseKeys.derive(this.suite, this.recipient, this.enc, responseNonce, true);
    return responseNonce;
  }

  async chunk(plaintext: Uint8Array): Promise<Uint8Array> {
    if (!this.keys) throw new Error('start() first');
    if (plaintext.length === 0) return EMPTY;
    const sealed = await this.keys.seal(this.counter++, plaintext, false);
    return concatBytes(encodeVarint(sealed.length), sealed);
  }

  async final(plaintext: Uint8Array): Promise<Uint8Array> {
    if (!this.keys) throw new Error('start() first');
    return concatBytes(encodeVarint(0), await this.keys.seal(this.counter++, plaintext, true));
  }
}
