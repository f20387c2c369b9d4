import { describe, expect, it } from 'vitest';
import { toVectorParam } from './vector-param';

describe('toVectorParam', () => {
  it("writes pgvector's binary form: dimensions, a zero, then big-endian float4 components", () => {
    const buffer = toVectorParam(new Float32Array([1, -0.5, 3.25]));
    expect(buffer.length).toBe(4 + 3 * 4);
    expect(buffer.readInt16BE(0)).toBe(3);
    expect(buffer.readInt16BE(2)).toBe(0);
    expect([buffer.readFloatBE(4), buffer.readFloatBE(8), buffer.readFloatBE(12)]).toEqual([1, -0.5, 3.25]);
  });

  it('refuses a component that is not finite, naming it', () => {
    expect(() => toVectorParam([0, Number.NaN])).toThrow(/component 1 is not finite/);
    expect(() => toVectorParam([Number.POSITIVE_INFINITY])).toThrow(/component 0/);
  });
});
