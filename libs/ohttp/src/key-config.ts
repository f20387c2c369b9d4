// Key configurations (RFC 9458 §3): how a gateway publishes its HPKE public keys, and the list format of
// application/ohttp-keys (§3.2). A client pins a configuration by the SHA-256 of its encoded bytes.
import { ByteReader, concatBytes, toArrayBuffer, toHex } from './bytes';
import { OhttpError, OhttpErrorCode } from './errors';
import { isSupported, KEM_X25519_HKDF_SHA256, X25519_KEY_BYTES, type SymmetricSuite } from './suites';

export interface KeyConfig {
  keyId: number;
  kemId: number;
  publicKey: Uint8Array;
  symmetric: SymmetricSuite[];
}

export function encodeKeyConfig(config: KeyConfig): Uint8Array {
  if (!Number.isInteger(config.keyId) || config.keyId < 0 || config.keyId > 255) throw new RangeError('key id must be 0..255');
  if (config.symmetric.length === 0) throw new RangeError('a key config needs at least one KDF/AEAD pair');
  const out = new Uint8Array(1 + 2 + config.publicKey.length + 2 + 4 * config.symmetric.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, config.keyId);
  view.setUint16(1, config.kemId);
  out.set(config.publicKey, 3);
  let offset = 3 + config.publicKey.length;
  view.setUint16(offset, 4 * config.symmetric.length);
  offset += 2;
  for (const { kdfId, aeadId } of config.symmetric) {
    view.setUint16(offset, kdfId);
    view.setUint16(offset + 2, aeadId);
    offset += 4;
  }
  return out;
}

function readKeyConfig(reader: ByteReader): KeyConfig {
  const keyId = reader.uint8();
  const kemId = reader.uint16();
  if (kemId !== KEM_X25519_HKDF_SHA256) throw new OhttpError(OhttpErrorCode.KeyConfigInvalid, `KEM 0x${kemId.toString(16)} is not supported`);
  const publicKey = reader.take(X25519_KEY_BYTES).slice();
  const symmetricLength = reader.uint16();
  if (symmetricLength < 4 || symmetricLength % 4 !== 0) throw new OhttpError(OhttpErrorCode.KeyConfigInvalid, 'bad symmetric algorithms length');
  const symmetric: SymmetricSuite[] = [];
  for (let i = 0; i < symmetricLength / 4; i += 1) symmetric.push({ kdfId: reader.uint16(), aeadId: reader.uint16() });
  return { keyId, kemId, publicKey, symmetric };
}

export function decodeKeyConfig(bytes: Uint8Array): KeyConfig {
  const reader = new ByteReader(bytes, 'the key configuration');
  const config = readKeyConfig(reader);
  if (reader.remaining !== 0) throw new OhttpError(OhttpErrorCode.KeyConfigInvalid, 'bytes after the key configuration');
  return config;
}

/** application/ohttp-keys: each configuration prefixed with its 2-byte length, in the publisher's order of preference. */
export function encodeKeyConfigList(configs: KeyConfig[]): Uint8Array {
  return concatBytes(
    ...configs.map((config) => {
      const encoded = encodeKeyConfig(config);
      return concatBytes(Uint8Array.of(encoded.length >> 8, encoded.length & 0xff), encoded);
    }),
  );
}

/** Every configuration of an application/ohttp-keys body, with its bytes (what is hashed for pinning). */
export function decodeKeyConfigList(bytes: Uint8Array): { config: KeyConfig; encoded: Uint8Array }[] {
  const reader = new ByteReader(bytes, 'the key configuration list');
  const configs: { config: KeyConfig; encoded: Uint8Array }[] = [];
  while (reader.remaining > 0) {
    const encoded = reader.take(reader.uint16());
    configs.push({ config: decodeKeyConfig(encoded), encoded: encoded.slice() });
  }
  if (configs.length === 0) throw new OhttpError(OhttpErrorCode.KeyConfigInvalid, 'the key configuration list is empty');
  return configs;
}

/** The pin of a key configuration: lowercase hex SHA-256 of its encoding (one configuration, without the list prefix). */
export async function keyConfigHash(encoded: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', toArrayBuffer(encoded))));
}

/** The first KDF/AEAD pair of a configuration that this library speaks, preferring the publisher's order. */
export function pickSymmetric(config: KeyConfig, preferredAeadId?: number): SymmetricSuite {
  const usable = config.symmetric.filter(({ kdfId, aeadId }) => isSupported(config.kemId, kdfId, aeadId));
  const chosen = usable.find(({ aeadId }) => aeadId === preferredAeadId) ?? usable[0];
  if (!chosen) throw new OhttpError(OhttpErrorCode.KeyConfigInvalid, `key ${config.keyId} offers no supported KDF/AEAD pair`);
  return chosen;
}
