// A strict CBOR (RFC 8949) decoder for what attestation documents use: integers, byte and text strings, arrays,
// maps (returned as Map, keys as decoded), tags, null/true/false/undefined. It refuses indefinite lengths, floats
// and trailing bytes: an attestation parser has no reason to accept anything looser.
// (cbor-x pulls a native optional dependency with an install script; cbor2 is ESM-only and does not resolve under
// this project's moduleResolution. This subset is what COSE_Sign1 and the Nitro payload need.)
import { AttestationFailure, fail } from './errors';

export interface CborTag {
  tag: number;
  value: CborValue;
}
export type CborValue = number | bigint | Buffer | string | CborValue[] | Map<CborValue, CborValue> | CborTag | boolean | null | undefined;

const MAX_DEPTH = 16;

export function decodeCbor(bytes: Uint8Array): CborValue {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  const need = (count: number) => {
    if (offset + count > buffer.length) fail(AttestationFailure.Malformed, 'CBOR: truncated');
  };
  const readArgument = (info: number): number | bigint => {
    if (info < 24) return info;
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : fail(AttestationFailure.Malformed, `CBOR: additional info ${info} (indefinite or reserved) is not accepted`);
    need(size);
    const value = size === 1 ? buffer.readUInt8(offset) : size === 2 ? buffer.readUInt16BE(offset) : size === 4 ? buffer.readUInt32BE(offset) : buffer.readBigUInt64BE(offset);
    offset += size;
    return typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  };
  const length = (info: number): number => {
    const value = readArgument(info);
    if (typeof value === 'bigint' || value > buffer.length) fail(AttestationFailure.Malformed, 'CBOR: a length runs past the document');
    return value;
  };
  const item = (depth: number): CborValue => {
    if (depth > MAX_DEPTH) fail(AttestationFailure.Malformed, 'CBOR: nested too deeply');
    need(1);
    const initial = buffer[offset++]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    switch (major) {
      case 0:
        return readArgument(info);
      case 1: {
        const value = readArgument(info);
        return typeof value === 'bigint' ? -1n - value : -1 - value;
      }
      case 2:
      case 3: {
        const size = length(info);
        need(size);
        const slice = buffer.subarray(offset, offset + size);
        offset += size;
        return major === 2 ? Buffer.from(slice) : slice.toString('utf8');
      }
      case 4:
        return Array.from({ length: length(info) }, () => item(depth + 1));
      case 5: {
        const map = new Map<CborValue, CborValue>();
        const entries = length(info);
        for (let i = 0; i < entries; i++) {
          const key = item(depth + 1);
          if (map.has(key)) fail(AttestationFailure.Malformed, `CBOR: duplicate map key ${String(key)}`);
          map.set(key, item(depth + 1));
        }
        return map;
      }
      case 6: {
        const tag = readArgument(info);
        return { tag: Number(tag), value: item(depth + 1) };
      }
      default:
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        if (info === 23) return undefined;
        return fail(AttestationFailure.Malformed, `CBOR: simple value or float (0x${initial.toString(16)}) is not accepted`);
    }
  };
  const value = item(0);
  if (offset !== buffer.length) fail(AttestationFailure.Malformed, `CBOR: ${buffer.length - offset} bytes after the item`);
  return value;
}
