import { describe, expect, it } from 'vitest';
import {
  AEAD_AES_128_GCM,
  AEAD_CHACHA20_POLY1305,
  decapsulateRequest,
  decodeKeyConfigList,
  decodeRequest,
  decodeResponse,
  encapsulateRequest,
  encodeKeyConfig,
  encodeRequest,
  encodeResponse,
  generateKeySecret,
  indeterminateResponse,
  keyConfigHash,
  OhttpClient,
  OhttpErrorCode,
  OhttpKeyRing,
  parseKeySecrets,
  ResponseDecoder,
  type BinaryRequest,
} from './index';
import { concatBytes, encodeVarint, peekVarint, utf8 } from './bytes';

const request: BinaryRequest = {
  method: 'POST',
  scheme: 'https',
  authority: 'doppel',
  path: '/v1/chat/completions?x=1',
  headers: [
    ['authorization', 'Bearer dpl_abc'],
    ['content-type', 'application/json'],
  ],
  body: utf8.encode('{"model":"persona:1"}'),
};

async function ring(spec = `2:${'22'.repeat(32)},1:${'11'.repeat(32)}`) {
  return OhttpKeyRing.create(parseKeySecrets(spec));
}

describe('binary HTTP (RFC 9292)', () => {
  it('round-trips known-length requests and responses', () => {
    expect(decodeRequest(encodeRequest(request))).toEqual(request);
    const response = { status: 201, headers: [['content-type', 'text/plain']] as [string, string][], body: utf8.encode('hi') };
    expect(decodeResponse(encodeResponse(response))).toEqual(response);
  });

  it('matches the RFC 9292 known-length request example layout', () => {
    const bytes = encodeRequest({ method: 'GET', scheme: 'https', authority: '', path: '/hello.txt', headers: [['user-agent', 'x']], body: new Uint8Array(0) });
    // framing 0, "GET", "https", "", "/hello.txt", field section of 13 bytes, empty content, empty trailers
    expect(Array.from(bytes.subarray(0, 5))).toEqual([0x00, 0x03, 0x47, 0x45, 0x54]);
    expect(bytes.at(-2)).toBe(0);
    expect(bytes.at(-1)).toBe(0);
  });

  it('accepts a request cut off after its headers, padding, and refuses garbage', () => {
    const full = encodeRequest({ ...request, body: new Uint8Array(0) });
    expect(decodeRequest(full.subarray(0, full.length - 2)).body).toEqual(new Uint8Array(0));
    expect(decodeRequest(concatBytes(full, new Uint8Array(5))).path).toBe(request.path);
    expect(() => decodeRequest(concatBytes(full, Uint8Array.of(1)))).toThrow(expect.objectContaining({ code: OhttpErrorCode.Malformed }));
    expect(() => decodeRequest(full.subarray(0, 10))).toThrow(expect.objectContaining({ code: OhttpErrorCode.Truncated }));
  });

  it('decodes an indeterminate-length response incrementally, byte by byte', () => {
    const bytes = concatBytes(
      indeterminateResponse.head({ status: 200, headers: [['content-type', 'text/event-stream']] }),
      indeterminateResponse.content(utf8.encode('data: one\n\n')),
      indeterminateResponse.content(utf8.encode('data: two\n\n')),
      indeterminateResponse.end(),
    );
    const decoder = new ResponseDecoder();
    const events = [...Array.from(bytes).flatMap((byte) => decoder.push(Uint8Array.of(byte))), ...decoder.end()];
    expect(events.map((event) => event.type)).toEqual(['head', 'data', 'data', 'end']);
    expect(decodeResponse(bytes).body).toEqual(utf8.encode('data: one\n\ndata: two\n\n'));
    const cut = new ResponseDecoder();
    cut.push(bytes.subarray(0, bytes.length - 3));
    expect(() => cut.end()).toThrow(expect.objectContaining({ code: OhttpErrorCode.Truncated }));
  });

  it('encodes QUIC varints at every width', () => {
    for (const value of [0, 63, 64, 16383, 16384, 1073741823, 1073741824, 2 ** 40]) {
      expect(peekVarint(encodeVarint(value), 0)).toEqual({ value, length: encodeVarint(value).length });
    }
  });
});

describe('key configurations (RFC 9458 §3)', () => {
  it('publishes every key newest first with both AEADs, and round-trips the list', async () => {
    const keys = await ring();
    const list = decodeKeyConfigList(keys.keyConfigList);
    expect(list.map(({ config }) => config.keyId)).toEqual([2, 1]);
    expect(list[0]!.config.symmetric.map((pair) => pair.aeadId)).toEqual([AEAD_AES_128_GCM, AEAD_CHACHA20_POLY1305]);
    expect(list[0]!.encoded).toEqual(encodeKeyConfig(list[0]!.config));
    expect(list[0]!.encoded.length).toBe(1 + 2 + 32 + 2 + 8);
    expect(keys.published.map((key) => key.hash)).toEqual(await Promise.all(list.map(({ encoded }) => keyConfigHash(encoded))));
    // Derived from the seed: the same secret publishes the same configuration.
    expect((await ring()).keyConfigList).toEqual(keys.keyConfigList);
  });

  it('refuses malformed key secrets without echoing them', () => {
    expect(() => parseKeySecrets('1:abc')).toThrow(/entry 1/);
    expect(() => parseKeySecrets(`1:${'aa'.repeat(32)},1:${'bb'.repeat(32)}`)).toThrow(/appears twice/);
    expect(() => parseKeySecrets(`300:${'aa'.repeat(32)}`)).toThrow(/0-255/);
    expect(parseKeySecrets(generateKeySecret(7))[0]!.keyId).toBe(7);
  });
});

describe('encapsulation (RFC 9458 §4 and chunked OHTTP)', () => {
  for (const aeadId of [AEAD_AES_128_GCM, AEAD_CHACHA20_POLY1305]) {
    it(`round-trips a request and response with AEAD 0x${aeadId.toString(16)}`, async () => {
      const keys = await ring();
      const config = decodeKeyConfigList(keys.keyConfigList)[1]!.config;
      const message = encodeRequest(request);
      const sealed = await encapsulateRequest(config, { kdfId: 1, aeadId }, message, false);
      const opened = await decapsulateRequest(sealed.body, false, (id) => keys.key(id));
      expect(opened.keyId).toBe(1);
      expect(opened.message).toEqual(message);
      const reply = encodeResponse({ status: 200, headers: [], body: utf8.encode('ok') });
      expect(await sealed.openResponse(await opened.sealResponse(reply))).toEqual(reply);
    });
  }

  it('streams a chunked response that opens chunk by chunk, and detects truncation and reordering', async () => {
    const keys = await ring();
    const config = decodeKeyConfigList(keys.keyConfigList)[0]!.config;
    const sealed = await encapsulateRequest(config, { kdfId: 1, aeadId: AEAD_CHACHA20_POLY1305 }, encodeRequest(request), true);
    const opened = await decapsulateRequest(sealed.body, true, (id) => keys.key(id));
    expect(opened.chunked).toBe(true);
    const sealer = opened.chunkedResponseSealer();
    const parts = [await sealer.start(), await sealer.chunk(utf8.encode('one')), await sealer.chunk(utf8.encode('two')), await sealer.final(utf8.encode('three'))];

    const opener = sealed.chunkedResponseOpener();
    expect(await opener.push(parts[0]!)).toEqual([]);
    expect(await opener.push(parts[1]!)).toEqual([utf8.encode('one')]);
    expect(await opener.push(concatBytes(parts[2]!, parts[3]!))).toEqual([utf8.encode('two')]);
    expect(await opener.end()).toEqual(utf8.encode('three'));

    const truncated = sealed.chunkedResponseOpener();
    await truncated.push(concatBytes(parts[0]!, parts[1]!, parts[2]!));
    await expect(truncated.end()).rejects.toMatchObject({ code: OhttpErrorCode.Truncated });

    const reordered = sealed.chunkedResponseOpener();
    await expect(reordered.push(concatBytes(parts[0]!, parts[2]!))).rejects.toMatchObject({ code: OhttpErrorCode.DecryptFailed });

    // A non-final chunk passed off as the final one fails its "final" AAD.
    const cutAtChunk = sealed.chunkedResponseOpener();
    await cutAtChunk.push(parts[0]!);
    await cutAtChunk.push(concatBytes(encodeVarint(0), parts[1]!.subarray(1)));
    await expect(cutAtChunk.end()).rejects.toMatchObject({ code: OhttpErrorCode.DecryptFailed });
  });

  it('refuses tampered, truncated and unknown-key requests with their own codes', async () => {
    const keys = await ring();
    const config = decodeKeyConfigList(keys.keyConfigList)[0]!.config;
    const sealed = await encapsulateRequest(config, { kdfId: 1, aeadId: AEAD_AES_128_GCM }, encodeRequest(request), false);
    const find = (id: number) => keys.key(id);
    const tampered = sealed.body.slice();
    tampered[tampered.length - 5]! ^= 1;
    await expect(decapsulateRequest(tampered, false, find)).rejects.toMatchObject({ code: OhttpErrorCode.DecryptFailed });
    const wrongHeader = sealed.body.slice();
    wrongHeader[6] = 3; // claims ChaCha20 while sealed with AES: the header is bound into HPKE's info
    await expect(decapsulateRequest(wrongHeader, false, find)).rejects.toMatchObject({ code: OhttpErrorCode.DecryptFailed });
    await expect(decapsulateRequest(sealed.body.subarray(0, 20), false, find)).rejects.toMatchObject({ code: OhttpErrorCode.Truncated });
    const unknown = sealed.body.slice();
    unknown[0] = 9;
    await expect(decapsulateRequest(unknown, false, find)).rejects.toMatchObject({ code: OhttpErrorCode.KeyUnknown });
    // A whole-message body read as chunked: refused, whichever way its bytes happen to parse.
    await expect(decapsulateRequest(sealed.body, true, find)).rejects.toMatchObject({ name: 'OhttpError' });
  });
});

describe('OhttpClient key pinning', () => {
  it('uses the first pinned configuration and refuses a list with none pinned', async () => {
    const keys = await ring();
    const fetchNever = (() => Promise.reject(new Error('no network in this test'))) as unknown as typeof fetch;
    const pinnedOld = new OhttpClient({ relays: ['http://relay'], keyConfigs: keys.keyConfigList, pinnedKeyConfigHashes: [keys.published[1]!.hash], fetch: fetchNever });
    expect((await pinnedOld.keyConfiguration()).keyId).toBe(1);
    const pinnedBoth = new OhttpClient({ relays: ['http://relay'], keyConfigs: keys.keyConfigList, pinnedKeyConfigHashes: keys.published.map((key) => key.hash), fetch: fetchNever });
    expect((await pinnedBoth.keyConfiguration()).keyId).toBe(2);
    const other = await ring(`2:${'33'.repeat(32)}`);
    const swapped = new OhttpClient({ relays: ['http://relay'], keyConfigs: other.keyConfigList, pinnedKeyConfigHashes: [keys.published[0]!.hash], fetch: fetchNever });
    await expect(swapped.keyConfiguration()).rejects.toMatchObject({ code: OhttpErrorCode.KeyConfigNotPinned });
  });
});

describe('RFC 9458 Appendix A (the published example)', () => {
  // The RFC's values: gateway key, key configuration, the client's ephemeral key, request, response and nonce.
  const A = {
    skR: '3c168975674b2fa8e465970b79c8dcf09f1c741626480bd4c6162fc5b6a98e1a',
    keyConfig: '01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e79815500080001000100010003',
    skE: 'bc51d5e930bda26589890ac7032f70ad12e4ecb37abb1b65b1256c9c48999c73',
    pkE: '4b28f881333e7c164ffc499ad9796f877f4e1051ee6d31bad19dec96c208b472',
    request: '00034745540568747470730b6578616d706c652e636f6d012f',
    encRequest:
      '010020000100014b28f881333e7c164ffc499ad9796f877f4e1051ee6d31bad19dec96c208b4726374e469135906992e1268c594d2a10c695d858c40a026e7965e7d86b83dd440b2c0185204b4d63525',
    response: '0140c8',
    responseNonce: 'c789e7151fcba46158ca84b04464910d',
    encResponse: 'c789e7151fcba46158ca84b04464910d86f9013e404feea014e7be4a441f234f857fbd',
  };
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
  const unhex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));

  async function keyPair(sk: string, pk: Uint8Array) {
    const kem = new (await import('@hpke/core')).DhkemX25519HkdfSha256();
    return { privateKey: await kem.deserializePrivateKey(unhex(sk)), publicKey: await kem.deserializePublicKey(pk) };
  }

  it('encodes the key configuration, seals the request and opens the response exactly as published', async () => {
    const config = decodeKeyConfigList(Uint8Array.from([0, 45, ...unhex(A.keyConfig)]))[0]!.config;
    expect(hex(encodeKeyConfig(config))).toBe(A.keyConfig);
    const sealed = await encapsulateRequest(config, { kdfId: 1, aeadId: AEAD_AES_128_GCM }, unhex(A.request), false, { ephemeralKeyPair: await keyPair(A.skE, unhex(A.pkE)) });
    expect(hex(sealed.body)).toBe(A.encRequest);
    expect(hex(await sealed.openResponse(unhex(A.encResponse)))).toBe(A.response);
  });

  it('opens the published request with the published key and seals the published response', async () => {
    const config = decodeKeyConfigList(Uint8Array.from([0, 45, ...unhex(A.keyConfig)]))[0]!.config;
    const gatewayKey = { config, keyPair: await keyPair(A.skR, config.publicKey) };
    const opened = await decapsulateRequest(unhex(A.encRequest), false, (id) => (id === 1 ? gatewayKey : undefined));
    expect(hex(opened.message)).toBe(A.request);
    expect(decodeRequest(opened.message)).toMatchObject({ method: 'GET', scheme: 'https', authority: 'example.com', path: '/', headers: [] });
    expect(hex(await opened.sealResponse(unhex(A.response), unhex(A.responseNonce)))).toBe(A.encResponse);
    expect(decodeResponse(unhex(A.response)).status).toBe(200);
  });
});
