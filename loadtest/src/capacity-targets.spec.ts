import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capacityTargets, holdAfterPeak, NotACapacityRecord, renderTargets, serverCpuMsPerTurn } from './capacity-targets';
import type { ReferenceSummary, SeriesWindow } from './reference-summary';

const record = (name: string) => JSON.parse(readFileSync(resolve(__dirname, '../reference', `${name}.json`), 'utf8')) as ReferenceSummary;
const metBy = (records: ReferenceSummary[]) => Object.fromEntries(capacityTargets(records).map((result) => [`${result.preset}: ${result.target}`, result.met]));

const window = (fromS: number, sentPerS: number, okPerS: number): SeriesWindow => ({
  fromS,
  vus: 500,
  connections: 500,
  inFlight: 10,
  sentPerS,
  turnsPerS: sentPerS,
  errorsPerS: sentPerS - okPerS,
  okPerS,
  goodPerS: okPerS,
  ttftP50Ms: 160,
  ttftP95Ms: 200,
});

describe('issue 12 capacity targets from committed records', () => {
  it('reads the tenth round (a fast VM) as every target met but CPU', () => {
    const met = metBy(['load', 'stress', 'open'].map((preset) => record(`issue12-r10-${preset}`)));
    expect(Object.entries(met).filter(([, ok]) => !ok).map(([target]) => target)).toEqual(['load: CPU per ok turn ≤ 5 ms']);
  });

  it('reads the fifteenth round (a slow VM) as missing the load, stress-throughput and open targets', () => {
    const results = capacityTargets(['load', 'stress', 'open'].map((preset) => record(`issue12-r15-${preset}`)));
    const missed = results.filter((result) => !result.met).map((result) => `${result.preset}: ${result.target}`);
    expect(missed).toEqual([
      'load: CPU per ok turn ≤ 5 ms',
      'load: ok turns/s ≥ 0.95× baseline',
      'load: 0 errors, 0 failed handshakes, goodput ≥ 99 %',
      'load: added TTFT p95 ≤ 50 ms',
      'stress: ok turns/s ≥ 0.5× baseline',
      'stress: ≥ 99 % of admitted turns meet the SLOs',
      'open: ok turns/s after the peak ≥ 90 % of it',
    ]);
    // The ratio comes from the throughputs, not from the record's two-place rounding (0.200 there).
    expect(results.find((result) => result.preset === 'stress' && result.target.startsWith('ok turns/s'))!.measured).toContain('0.195×');
    expect(renderTargets(results)).toContain('| `load` (2,000 agents): CPU per ok turn ≤ 5 ms | 16.49 ms (gateway 3.50, worker-1 2.55, worker-2 2.53, postgres 6.37, redis 1.54) | **no** |');
  });

  it('sums only the server processes into the CPU per turn', () => {
    const load = { ...record('issue12-r10-load'), cpuMsPerTurn: { gateway: 1, 'worker-1': 1, 'worker-2': 1, postgres: 1, redis: 0.5, generator: 9 } };
    expect(serverCpuMsPerTurn(load).total).toBe(4.5);
    expect(metBy([load])['load: CPU per ok turn ≤ 5 ms']).toBe(true);
  });

  it('does not count a refusal without a retry time, or a failed handshake, as an explicit refusal', () => {
    const stress = record('issue12-r10-stress');
    expect(metBy([{ ...stress, errorsByCode: { OVERLOADED: 10, OVERLOADED_WITHOUT_RETRY: 1 } }])['stress: every refusal OVERLOADED with a retry time']).toBe(false);
    expect(metBy([{ ...stress, errorsByCode: { OVERLOADED: 10, TIMEOUT: 1 } }])['stress: every refusal OVERLOADED with a retry time']).toBe(false);
    expect(metBy([{ ...stress, errorsByCode: { OVERLOADED: 10, CONNECT_OVERLOADED: 2 } }])['stress: every refusal OVERLOADED with a retry time']).toBe(true);
    expect(metBy([{ ...stress, errorsByCode: { OVERLOADED: 10, CONNECT_FAILED: 2 } }])['stress: every refusal OVERLOADED with a retry time']).toBe(false);
    expect(metBy([{ ...stress, counters: { ...stress.counters, connect_errors: 3 } }])['stress: every agent connects']).toBe(false);
  });

  it('measures the hold after the peak only while arrivals exceed what the peak served', () => {
    const windows = [window(0, 50, 50), window(10, 200, 120), window(20, 300, 110), window(30, 300, 112), window(40, 0, 30)];
    expect(holdAfterPeak(windows)).toMatchObject({ peak: { fromS: 10 }, worst: { fromS: 20 } });
    expect(holdAfterPeak(windows)!.hold).toBeCloseTo(110 / 120);
    // A collapse while demand holds is caught.
    expect(holdAfterPeak([...windows.slice(0, 4), window(40, 300, 80)])!.hold).toBeCloseTo(80 / 120);
  });

  it('counts a fall between reaching the peak and a best window at the very end', () => {
    const sawtooth = [window(0, 50, 50), window(10, 300, 270), window(20, 300, 200), window(30, 300, 276), window(40, 0, 30)];
    expect(holdAfterPeak(sawtooth)).toMatchObject({ peak: { fromS: 30 }, reached: { fromS: 10 }, worst: { fromS: 20 } });
    expect(holdAfterPeak(sawtooth)!.hold).toBeCloseTo(200 / 276);
    // Still rising at the end, with no fall: held.
    const rising = [window(0, 50, 50), window(10, 300, 250), window(20, 300, 262), window(30, 300, 276)];
    expect(holdAfterPeak(rising)).toMatchObject({ reached: { fromS: 10 }, worst: { fromS: 10 } });
    expect(holdAfterPeak(rising)!.hold).toBeCloseTo(250 / 276);
  });

  it('refuses a record that is not a runtime run of load, stress or open', () => {
    expect(() => capacityTargets([{ ...record('issue12-r10-load'), kind: 'baseline' }])).toThrow(NotACapacityRecord);
    expect(() => capacityTargets([{ ...record('issue12-r10-load'), name: 'smoke' }])).toThrow(/not a runtime run of load, stress or open/);
  });
});
