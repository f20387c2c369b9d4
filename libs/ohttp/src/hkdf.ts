// HKDF-SHA256 (RFC 5869) over WebCrypto HMAC. The response key schedule of RFC 9458 §4.4 extracts with a salt of
// enc || response_nonce (48 or 64 bytes), which @hpke's KDF refuses (it wants a salt of exactly the hash size).
import { concatBytes, toArrayBuffer } from './bytes';

async function hmac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const subtle = globalThis.crypto.subtle;
  const hmacKey = await subtle.importKey('raw', toArrayBuffer(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', hmacKey, toArrayBuffer(data)));
}

export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array> {
  return hmac(salt, ikm);
}

export async function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  if (length > 255 * 32) throw new RangeError('HKDF-Expand length too large');
  const blocks: Uint8Array[] = [];
  let previous: Uint8Array = new Uint8Array(0);
  for (let counter = 1; blocks.length * 32 < length; counter += 1) {
    previous = await hmac(prk, concatBytes(previous, info, Uint8Array.of(counter)));
    blocks.push(previous);
  }
  return concatBytes(...blocks).slice(0, length);
}
