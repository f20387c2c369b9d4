// Byte helpers shared by the codecs: QUIC variable-length integers (RFC 9000 §16), concatenation, a bounds-checked reader.
import { OhttpError, OhttpErrorCode } from './errors';

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function encodeVarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint out of range: ${value}`);
  if (value < 0x40) return Uint8Array.of(value);
  if (value < 0x4000) return Uint8Array.of(0x40 | (value >> 8), value & 0xff);
  if (value < 0x40000000) return Uint8Array.of(0x80 | (value >>> 24), (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  out[0]! |= 0xc0;
  return out;
}

/** The varint at `offset`, or null when the bytes end inside it (the caller may wait for more). */
export function peekVarint(bytes: Uint8Array, offset: number): { value: number; length: number } | null {
  if (offset >= bytes.length) return null;
  const length = 1 << (bytes[offset]! >> 6);
  if (offset + length > bytes.length) return null;
  let value = bytes[offset]! & 0x3f;
  for (let i = 1; i < length; i += 1) value = value * 256 + bytes[offset + i]!;
  if (!Number.isSafeInteger(value)) throw new OhttpError(OhttpErrorCode.Malformed, 'a length field is too large');
  return { value, length };
}

export const utf8 = {
  encode: (text: string): Uint8Array => new TextEncoder().encode(text),
  decode: (bytes: Uint8Array): string => new TextDecoder('utf-8', { fatal: false }).decode(bytes),
};

/** Reads a complete message front to back; running out of bytes is a Truncated error. */
export class ByteReader {
  private offset = 0;

  constructor(private readonly bytes: Uint8Array, private readonly what: string) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  uint8(): number {
    return this.take(1)[0]!;
  }

  uint16(): number {
    const two = this.take(2);
    return (two[0]! << 8) | two[1]!;
  }

  varint(): number {
    const read = peekVarint(this.bytes, this.offset);
    if (!read) throw this.truncated();
    this.offset += read.length;
    return read.value;
  }

  take(length: number): Uint8Array {
    if (length > this.remaining) throw this.truncated();
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  /** A varint length followed by that many bytes. */
  lengthPrefixed(): Uint8Array {
    return this.take(this.varint());
  }

  rest(): Uint8Array {
    return this.take(this.remaining);
  }

  private truncated(): OhttpError {
    return new OhttpError(OhttpErrorCode.Truncated, `${this.what} ends early`);
  }
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export function fromHex(hex: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/i.test(hex)) throw new RangeError('not hex');
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** A copy in a fresh ArrayBuffer of exactly its length (WebCrypto and @hpke take ArrayBuffers). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}
