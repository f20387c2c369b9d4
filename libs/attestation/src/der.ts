// Just enough DER to read the vendor extensions node's X509Certificate does not expose (AMD's TCB and chip id in a
// VCEK, Intel's FMSPC in a PCK certificate). Not a general ASN.1 parser: it walks TLVs and never interprets more.
import { AttestationFailure, fail } from './errors';

export interface Tlv {
  tag: number;
  /** The value bytes, without tag and length. */
  value: Buffer;
  /** The whole TLV. */
  raw: Buffer;
}

export function readTlv(bytes: Buffer, offset = 0): Tlv {
  if (offset + 2 > bytes.length) fail(AttestationFailure.Malformed, 'DER: truncated');
  const tag = bytes[offset]!;
  let length = bytes[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4 || offset + 2 + octets > bytes.length) fail(AttestationFailure.Malformed, 'DER: bad length');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + bytes[offset + 2 + i]!;
    header += octets;
  }
  if (offset + header + length > bytes.length) fail(AttestationFailure.Malformed, 'DER: value runs past the end');
  return { tag, value: bytes.subarray(offset + header, offset + header + length), raw: bytes.subarray(offset, offset + header + length) };
}

export function children(tlv: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = 0; offset < tlv.value.length; ) {
    const child = readTlv(tlv.value, offset);
    out.push(child);
    offset += child.raw.length;
  }
  return out;
}

export function oidToString(value: Buffer): string {
  const parts = [Math.floor(value[0]! / 40), value[0]! % 40];
  let current = 0;
  for (const byte of value.subarray(1)) {
    current = current * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(current);
      current = 0;
    }
  }
  return parts.join('.');
}

/** Every SEQUENCE { OID, value } anywhere under `root`, keyed by OID: how both vendors lay out their fields. */
export function oidValues(root: Tlv): Map<string, Tlv> {
  const found = new Map<string, Tlv>();
  const walk = (tlv: Tlv) => {
    if (tlv.tag !== 0x30 && tlv.tag !== 0x31 && tlv.tag !== 0x04 && (tlv.tag & 0xa0) !== 0xa0) return;
    let kids: Tlv[];
    try {
      kids = children(tlv);
    } catch {
      return; // an OCTET STRING that does not hold DER
    }
    if (tlv.tag === 0x30 && kids.length >= 2 && kids[0]!.tag === 0x06) {
      const oid = oidToString(kids[0]!.value);
      // An extension is SEQUENCE { OID, [critical BOOLEAN], OCTET STRING }: its value is the last child.
      if (!found.has(oid)) found.set(oid, kids[kids.length - 1]!);
    }
    for (const kid of kids) walk(kid);
  };
  walk(root);
  return found;
}

/** A DER INTEGER (possibly wrapped in an OCTET STRING, as X.509 extension values are) as a number. */
export function integerOf(tlv: Tlv): number {
  const inner = tlv.tag === 0x04 ? readTlv(tlv.value) : tlv;
  if (inner.tag !== 0x02) fail(AttestationFailure.Malformed, `DER: expected an INTEGER, found tag 0x${inner.tag.toString(16)}`);
  let value = 0;
  for (const byte of inner.value) value = value * 256 + byte;
  return value;
}

/** A DER OCTET STRING's bytes (unwrapping the extension's own OCTET STRING when there are two). */
export function octetsOf(tlv: Tlv): Buffer {
  if (tlv.tag !== 0x04) fail(AttestationFailure.Malformed, `DER: expected an OCTET STRING, found tag 0x${tlv.tag.toString(16)}`);
  try {
    const inner = readTlv(tlv.value);
    if (inner.tag === 0x04 && inner.raw.length === tlv.value.length) return inner.value;
  } catch {
    // not nested
  }
  return tlv.value;
}
