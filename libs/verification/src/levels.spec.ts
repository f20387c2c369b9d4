import { describe, expect, it } from 'vitest';
import { labelOf, levelsOf, requirementsOf, strictestLevel, verificationLevelSchema } from './levels';

describe('verification level sets', () => {
  it('keeps the labels of single levels and signed+reexec as they were', () => {
    for (const label of ['none', 'signed', 'reexec', 'signed+reexec']) expect(verificationLevelSchema.parse(label)).toBe(label);
  });

  it('orders, deduplicates and closes a set: tee brings signed, a list and a label give the same set', () => {
    expect(verificationLevelSchema.parse(['zk', 'reexec', 'zk'])).toBe('reexec+zk');
    expect(verificationLevelSchema.parse('tee')).toBe('signed+tee');
    expect(verificationLevelSchema.parse(['tee', 'signed', 'reexec', 'zk'])).toBe('signed+reexec+tee+zk');
    expect(verificationLevelSchema.parse('zk+tee+reexec')).toBe('signed+reexec+tee+zk');
    expect(verificationLevelSchema.parse([])).toBe('none');
    expect(levelsOf('signed+reexec+tee')).toEqual(['signed', 'reexec', 'tee']);
    expect(labelOf(['reexec', 'signed'])).toBe('signed+reexec');
  });

  it('refuses unknown names instead of dropping them', () => {
    expect(verificationLevelSchema.safeParse('signed+magic').success).toBe(false);
    expect(verificationLevelSchema.safeParse(['sgx']).success).toBe(false);
    expect(verificationLevelSchema.safeParse('none+signed').success).toBe(false);
    expect(() => levelsOf('Signed')).toThrow(/unknown verification level "Signed"/);
  });

  it('combines a request with the persona minimum as a union', () => {
    expect(strictestLevel('reexec', 'signed')).toBe('signed+reexec');
    expect(strictestLevel(['zk'], 'tee')).toBe('signed+tee+zk');
    expect(strictestLevel(undefined, 'none')).toBe('none');
    expect(requirementsOf('signed+tee')).toEqual({ signed: true, reexec: false, tee: true, zk: false });
  });
});
