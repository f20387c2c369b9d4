import { describe, expect, it } from 'vitest';
import { decodeCbor } from './cbor';
import { AttestationError } from './errors';

const hex = (text: string) => Buffer.from(text, 'hex');

describe('strict CBOR', () => {
  it('decodes the RFC 8949 appendix A examples it accepts', () => {
    expect(decodeCbor(hex('00'))).toBe(0);
    expect(decodeCbor(hex('1903e8'))).toBe(1000);
    expect(decodeCbor(hex('1b000000e8d4a51000'))).toBe(1_000_000_000_000);
    expect(decodeCbor(hex('1bffffffffffffffff'))).toBe(18446744073709551615n);
    expect(decodeCbor(hex('3863'))).toBe(-100);
    expect(decodeCbor(hex('4401020304'))).toEqual(Buffer.from([1, 2, 3, 4]));
    expect(decodeCbor(hex('6449455446'))).toBe('IETF');
    expect(decodeCbor(hex('83010203'))).toEqual([1, 2, 3]);
    expect(decodeCbor(hex('a201020304'))).toEqual(new Map([[1, 2], [3, 4]]));
    expect(decodeCbor(hex('d74401020304'))).toEqual({ tag: 23, value: Buffer.from([1, 2, 3, 4]) });
    expect([decodeCbor(hex('f4')), decodeCbor(hex('f5')), decodeCbor(hex('f6'))]).toEqual([false, true, null]);
  });

  it('refuses indefinite lengths, floats, truncation, trailing bytes and duplicate keys', () => {
    for (const bad of ['5f42010243030405ff', 'f93c00', '44010203', '0000', 'a201020103', '9fff']) {
      expect(() => decodeCbor(hex(bad)), bad).toThrow(AttestationError);
    }
  });
});
