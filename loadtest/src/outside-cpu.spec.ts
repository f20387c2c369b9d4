import { describe, expect, it } from 'vitest';
import { OUTSIDE_WARN_PERCENT, outsideCpu } from './outside-cpu';

describe('CPU outside the run', () => {
  it('finds the seconds in which the machine is busy and neither the watched processes nor the generators are', () => {
    const series = [
      { t: 1, cpu: { system: 120, gateway: 60, postgres: 40 } },
      // A burst elsewhere: 190 % busy, 100 % of it accounted for.
      { t: 2, cpu: { system: 190, gateway: 60, postgres: 40 } },
      { t: 3, cpu: { system: 130, gateway: 60, postgres: 40 } },
    ];
    const generators = new Map([
      [1, 15],
      [2, 15],
      [3, 15],
    ]);
    expect(outsideCpu(series, generators)).toEqual({ seconds: 1, of: 3, worstPercent: 75, worstAtS: 2 });
  });

  it('counts the generators as part of the run', () => {
    const series = [{ t: 1, cpu: { system: 100 + OUTSIDE_WARN_PERCENT, gateway: 100 } }];
    expect(outsideCpu(series, new Map([[1, 10]]))?.seconds).toBe(0);
    expect(outsideCpu(series, new Map())?.seconds).toBe(0);
    expect(outsideCpu([{ t: 1, cpu: { system: 101 + OUTSIDE_WARN_PERCENT, gateway: 100 } }], new Map())?.seconds).toBe(1);
  });

  it('says nothing when no process is watched (everything but the generators would be outside)', () => {
    expect(outsideCpu([{ t: 1, cpu: { system: 150 } }], new Map())).toBeNull();
  });
});
