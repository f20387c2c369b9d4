import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SeriesPoint } from './metrics';
import { referenceSummary, windowsOf, type ReferenceSummary } from './reference-summary';
import type { Summary } from './summary';

const point = (t: number, turnsPerS: number, errorsPerS: number): SeriesPoint => ({
  t,
  vus: 10 + t,
  connections: 10,
  inFlight: 4,
  turnsPerS,
  sentPerS: turnsPerS,
  tokensPerS: 0,
  errorsPerS,
  goodPerS: turnsPerS - errorsPerS,
  droppedPerS: 0,
  latency: { ttft: { p50: 100, p90: 150, p95: 200, p99: 300 } },
  generatorLoopP99Ms: 1,
  generatorCpuPercent: 10,
});

describe('reference summaries', () => {
  it('averages the per-second series over 10-s windows, the last one partial', () => {
    const series = Array.from({ length: 25 }, (_, index) => point(index + 1, index < 10 ? 10 : 20, index < 10 ? 0 : 5));
    const windows = windowsOf(series);
    expect(windows.map((window) => window.fromS)).toEqual([0, 10, 20]);
    expect(windows[0]).toMatchObject({ turnsPerS: 10, okPerS: 10, errorsPerS: 0, vus: 20, ttftP50Ms: 100, ttftP95Ms: 200 });
    expect(windows[1]).toMatchObject({ turnsPerS: 20, okPerS: 15, errorsPerS: 5, vus: 30 });
    expect(windows[2].vus).toBe(35);
  });

  it("averages the gateway's admission limit where the run read it, and leaves it out where it did not", () => {
    const series = Array.from({ length: 20 }, (_, index) => ({
      ...point(index + 1, 10, 0),
      ...(index < 10 ? { admission: { limit: index < 5 ? 100 : 50, inFlight: 40, served: 60, refused: 0 } } : {}),
    }));
    const windows = windowsOf(series);
    expect(windows[0]!.admissionLimit).toBe(75);
    expect(windows[1]).not.toHaveProperty('admissionLimit');
  });

  it('drops the series and keeps the rest of the summary', () => {
    const series = [point(1, 3, 0)];
    const run = { harness: 'doppel-loadtest/1', name: 'load', series, thresholdsOk: true } as unknown as Summary;
    const reference = referenceSummary(run, { ...run, series: [point(1, 4, 0)] });
    expect(reference).not.toHaveProperty('series');
    expect(reference).toMatchObject({ name: 'load', thresholdsOk: true, reference: { windowS: 10 } });
    expect(reference.reference.baselineWindows?.[0].turnsPerS).toBe(4);
  });

  it('the committed reference runs carry the windows the README quotes', () => {
    const open = JSON.parse(readFileSync(resolve(__dirname, '../reference/issue12-open.json'), 'utf8')) as ReferenceSummary;
    expect(open.harness).toBe('doppel-loadtest/1');
    expect(open.reference.windows.length).toBeGreaterThanOrEqual(12);
    expect(open.reference.baselineWindows?.length).toBeGreaterThanOrEqual(12);
    // The README: the runtime holds ~150-170 ok turns/s from 60 s on while arrivals reach 300/s.
    const late = open.reference.windows.filter((window) => window.fromS >= 60 && window.fromS < 120);
    for (const window of late) expect(window.okPerS).toBeGreaterThan(140);
  });
});
