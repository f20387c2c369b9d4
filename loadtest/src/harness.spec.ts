// The harness's own arithmetic: thresholds, durations, executor schedules, HDR merging, stream integrity, the target
// guard, and one VU turn against the bundled baseline server.
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBaselineServer } from './baseline-server';
import { checkTarget } from './cli';
import { StreamIntegrity } from './integrity';
import { Aggregate, IntervalRecorder, mergeEncoded, newHistogram, recordMs, encodeHistogram, type GeneratorHealth } from './metrics';
import { parseDuration, testDurationMs, validateOptions, type Scenario } from './options';
import { applyOverrides } from './scenario-source';
import { ArrivalSchedule, localShare, targetVus } from './schedule';
import { evaluateThresholds, metricValues } from './summary';
import { evaluateThreshold, parseThreshold, splitThresholdFlag } from './thresholds';
import { createAccount, refusalCode, VirtualUser } from './vu';

const HEALTH: GeneratorHealth = { eventLoopP99Ms: 1, eventLoopMaxMs: 2, eventLoopMeanMs: 0.5, cpuPercent: 10, rssMb: 80 };

describe('k6 thresholds', () => {
  it('parses percentiles, aggregations, rates and every operator', () => {
    expect(parseThreshold('p(95)<250')).toMatchObject({ aggregation: 'p(95)', percentile: 95, operator: '<', value: 250 });
    expect(parseThreshold(' p(99.9) <= 300 ')).toMatchObject({ percentile: 99.9, operator: '<=', value: 300 });
    expect(parseThreshold('rate<0.001')).toMatchObject({ aggregation: 'rate', operator: '<', value: 0.001 });
    expect(parseThreshold('count==0')).toMatchObject({ aggregation: 'count', operator: '==', value: 0 });
    expect(parseThreshold('avg>=1.5e-3')).toMatchObject({ aggregation: 'avg', operator: '>=', value: 0.0015 });
    for (const bad of ['p95<250', 'p(95)', 'median<3', 'rate<<1', 'p(101)<1', '']) expect(() => parseThreshold(bad), bad).toThrow();
  });

  it('evaluates against metric values; a metric with no samples fails', () => {
    const values = { avg: 100, med: 90, max: 400, percentile: (p: number) => p * 2 };
    expect(evaluateThreshold('ttft', parseThreshold('p(95)<250'), values)).toMatchObject({ ok: true, actual: 190 });
    expect(evaluateThreshold('ttft', parseThreshold('p(99)<100'), values)).toMatchObject({ ok: false, actual: 198 });
    expect(evaluateThreshold('ttft', parseThreshold('max<=400'), values).ok).toBe(true);
    expect(evaluateThreshold('ttft', parseThreshold('avg<50'), undefined)).toMatchObject({ ok: false, actual: null });
  });

  it('splits the command-line form metric=expression', () => {
    expect(splitThresholdFlag('ttft=p(95)<250')).toEqual(['ttft', 'p(95)<250']);
    expect(splitThresholdFlag('integrity_errors=count==0')).toEqual(['integrity_errors', 'count==0']);
    expect(() => splitThresholdFlag('p(95)<250')).toThrow();
  });

  it('reads rates and counters from the aggregate the way k6 does', () => {
    const recorder = new IntervalRecorder();
    for (let index = 0; index < 999; index++) recorder.rate('turn_errors', false);
    recorder.rate('turn_errors', true);
    recorder.add('turns', 1000);
    recorder.trend('ttft', 200);
    const aggregate = new Aggregate(1);
    aggregate.add(recorder.snapshot(0, 1, { vus: 1, connections: 1, inFlight: 0 }, HEALTH));
    const results = evaluateThresholds(
      { scenarios: {}, thresholds: { turn_errors: ['rate<0.001', 'rate<=0.001'], turns: ['count>999'], ttft: ['p(95)<201'] } },
      metricValues(aggregate, 10),
    );
    expect(results.map((result) => result.ok)).toEqual([false, true, true, true]);
  });
});

describe('durations and options', () => {
  it('parses k6 durations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1m0.5s')).toBe(60_500);
    expect(parseDuration('12')).toBe(12_000);
    expect(() => parseDuration('10 minutes')).toThrow();
  });

  it('bounds a test by its scenarios, start times and graceful stops', () => {
    expect(
      testDurationMs({
        scenarios: {
          a: { executor: 'constant-vus', vus: 1, duration: '10s', gracefulStop: '5s' },
          b: { executor: 'ramping-vus', startTime: '20s', stages: [{ duration: '10s', target: 5 }], gracefulStop: '1s' },
        },
      }),
    ).toBe(31_000);
    expect(validateOptions({ scenarios: { x: { executor: 'nope' } as unknown as Scenario } })[0]).toMatch(/not one of/);
  });

  it('scales a ramping-vus scenario to --vus', () => {
    const options = applyOverrides(
      { scenarios: { r: { executor: 'ramping-vus', stages: [{ duration: '1m', target: 2000 }, { duration: '1m', target: 10_000 }] } } },
      { vus: 500 },
    );
    expect((options.scenarios.r as { stages: { target: number }[] }).stages.map((stage) => stage.target)).toEqual([100, 500]);
  });
});

describe('executor schedules', () => {
  it('ramps VUs linearly between stage targets and splits them over generators exactly', () => {
    const scenario: Scenario = { executor: 'ramping-vus', startVUs: 0, stages: [{ duration: '10s', target: 100 }, { duration: '10s', target: 100 }, { duration: '10s', target: 0 }] };
    expect(targetVus(scenario, 0)).toBe(0);
    expect(targetVus(scenario, 5000)).toBe(50);
    expect(targetVus(scenario, 15_000)).toBe(100);
    expect(targetVus(scenario, 25_000)).toBe(50);
    expect(targetVus(scenario, 30_000)).toBe(0);
    for (const target of [0, 1, 7, 100, 9999]) {
      for (const count of [1, 3, 4]) {
        const shares = Array.from({ length: count }, (_, index) => localShare(target, index, count));
        expect(shares.reduce((sum, share) => sum + share, 0)).toBe(target);
      }
    }
  });

  it('gives a constant arrival rate evenly spaced due times, independent of how long turns take', () => {
    const schedule = new ArrivalSchedule({ executor: 'constant-arrival-rate', rate: 10, timeUnit: '1s', duration: '2s', preAllocatedVUs: 1 });
    expect(schedule.total).toBe(20);
    expect(Array.from({ length: 20 }, (_, k) => schedule.dueAt(k))).toEqual(Array.from({ length: 20 }, (_, k) => k * 100));
    expect(schedule.dueAt(20)).toBeNull();
    const perMinute = new ArrivalSchedule({ executor: 'constant-arrival-rate', rate: 30, timeUnit: '1m', duration: '1m', preAllocatedVUs: 1 });
    expect(perMinute.total).toBe(30);
    expect(perMinute.dueAt(1)).toBe(2000);
  });

  it('integrates a ramping arrival rate: due times follow the cumulative count', () => {
    // 0 → 10/s over 10 s: rate t/s, N(t) = t²/2 (t in s), 50 iterations; then 10/s for 5 s: 50 more.
    const schedule = new ArrivalSchedule({ executor: 'ramping-arrival-rate', startRate: 0, timeUnit: '1s', preAllocatedVUs: 1, stages: [{ duration: '10s', target: 10 }, { duration: '5s', target: 10 }] });
    expect(schedule.total).toBe(100);
    expect(schedule.dueAt(0)).toBe(0);
    expect(schedule.dueAt(5)).toBeCloseTo(Math.sqrt(5 * 2) * 1000, 6);
    expect(schedule.dueAt(45)).toBeCloseTo(Math.sqrt(45 * 2) * 1000, 6);
    expect(schedule.dueAt(50)).toBeCloseTo(10_000, 6);
    expect(schedule.dueAt(75)).toBeCloseTo(12_500, 6);
    const dues = Array.from({ length: schedule.total }, (_, k) => schedule.dueAt(k)!);
    for (let k = 1; k < dues.length; k++) expect(dues[k]!).toBeGreaterThan(dues[k - 1]!);
    // Ramping down: 10/s → 0 over 10 s gives 50 iterations, bunched at the start.
    const down = new ArrivalSchedule({ executor: 'ramping-arrival-rate', startRate: 10, preAllocatedVUs: 1, stages: [{ duration: '10s', target: 0 }] });
    expect(down.total).toBe(50);
    expect(down.dueAt(49)!).toBeLessThan(10_000);
    expect(down.dueAt(25)!).toBeLessThan(5000);
  });
});

describe('HDR histograms across generators', () => {
  it('merges encoded interval histograms into exact totals and one series point per second', () => {
    const generators = [new IntervalRecorder(), new IntervalRecorder()];
    const reference = newHistogram();
    for (let value = 1; value <= 1000; value++) {
      generators[value % 2]!.trend('ttft', value);
      recordMs(reference, value);
    }
    generators[0]!.add('turns', 600);
    generators[1]!.add('turns', 400);
    const aggregate = new Aggregate(2);
    aggregate.add(generators[0]!.snapshot(0, 1, { vus: 3, connections: 3, inFlight: 1 }, HEALTH));
    expect(aggregate.series).toHaveLength(0); // second 1 waits for the other generator
    aggregate.add(generators[1]!.snapshot(1, 1, { vus: 2, connections: 2, inFlight: 0 }, { ...HEALTH, eventLoopP99Ms: 80 }));
    const merged = aggregate.trends.get('ttft')!;
    expect(merged.totalCount).toBe(1000);
    for (const p of [50, 90, 95, 99, 100]) expect(merged.getValueAtPercentile(p)).toBe(reference.getValueAtPercentile(p));
    expect(aggregate.series).toEqual([expect.objectContaining({ t: 1, vus: 5, turnsPerS: 1000, generatorLoopP99Ms: 80 })]);
    expect(aggregate.series[0]!.latency.ttft!.p50).toBeCloseTo(500, 0);
    expect(aggregate.counters.turns).toBe(1000);
  });

  it('round-trips a histogram through its compressed base64 form', () => {
    const histogram = newHistogram();
    [0.5, 3, 150, 4000, 120_000].forEach((ms) => recordMs(histogram, ms));
    const copy = newHistogram();
    mergeEncoded(copy, encodeHistogram(histogram));
    mergeEncoded(copy, encodeHistogram(histogram));
    expect(copy.totalCount).toBe(10);
    // Three significant digits: the decoded maximum is its bucket's top, within 0.1 %.
    expect(Math.abs(copy.maxValue - 120_000_000) / 120_000_000).toBeLessThan(0.001);
    expect(copy.getValueAtPercentile(50)).toBe(histogram.getValueAtPercentile(50));
  });
});

describe('stream integrity', () => {
  it('accepts 0, 1, 2… whose concatenation is the final text', () => {
    const stream = new StreamIntegrity();
    expect([stream.token(0, 'Hel'), stream.token(1, 'lo'), stream.token(2, '.')]).toEqual([null, null, null]);
    expect(stream.done('Hello.')).toBeNull();
    expect(stream.intact).toBe(true);
  });

  it('flags gaps, duplicates, reordering, a text mismatch and chunks after the end', () => {
    const gap = new StreamIntegrity();
    gap.token(0, 'a');
    expect(gap.token(2, 'c')).toBe('gap');
    expect(gap.token(1, 'b')).toBe('reordered');
    expect(gap.done('abc')).toBeNull();
    expect(gap.violations).toEqual(['gap', 'reordered']);

    const duplicate = new StreamIntegrity();
    duplicate.token(0, 'a');
    expect(duplicate.token(0, 'a')).toBe('duplicate');

    const mismatch = new StreamIntegrity();
    mismatch.token(0, 'a');
    expect(mismatch.done('ab')).toBe('text_mismatch');
    expect(mismatch.token(1, 'b')).toBe('chunk_after_end');

    const missing = new StreamIntegrity();
    missing.token(1, 'b');
    expect(missing.done('b')).toBe('text_mismatch');
  });

  it('starts over at seq 0 after turn:restarted', () => {
    const stream = new StreamIntegrity();
    stream.token(0, 'partial');
    stream.restarted();
    stream.token(0, 'Full');
    stream.token(1, ' reply.');
    expect(stream.done('Full reply.')).toBeNull();
    expect(stream.intact).toBe(true);
  });
});

describe('refusals', () => {
  it('counts OVERLOADED as an explicit refusal only with a retry time', () => {
    expect(refusalCode('OVERLOADED', 1)).toBe('OVERLOADED');
    expect(refusalCode('OVERLOADED', undefined)).toBe('OVERLOADED_WITHOUT_RETRY');
    expect(refusalCode('OVERLOADED', 0)).toBe('OVERLOADED_WITHOUT_RETRY');
    expect(refusalCode('OVERLOADED', '2')).toBe('OVERLOADED_WITHOUT_RETRY');
    expect(refusalCode('RATE_LIMITED', undefined)).toBe('RATE_LIMITED');
  });
});

describe('the target guard', () => {
  it('allows only 127.0.0.1 over http', () => {
    expect(checkTarget('http://127.0.0.1:3100/')).toBe('http://127.0.0.1:3100');
    expect(checkTarget('http://localhost:3000')).toBe('http://127.0.0.1:3000');
    for (const url of ['http://10.0.0.1:3000', 'http://example.com', 'https://127.0.0.1:3000', 'http://[::1]:3000', 'http://0.0.0.0:3000']) {
      expect(() => checkTarget(url), url).toThrow();
    }
  });
});

describe('a VU against the baseline server', () => {
  let server: Awaited<ReturnType<typeof startBaselineServer>>;
  beforeAll(async () => {
    server = await startBaselineServer({ ttftMs: 20, tokensPerSecond: 500, chunkIntervalMs: 5, maxTokens: 40 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('measures a turn from its due time and records every metric of a clean stream', async () => {
    const recorder = new IntervalRecorder();
    let settled = 0;
    const account = await createAccount(server.url, 'persona', 'spec');
    const vu = new VirtualUser(0, account, {
      url: server.url,
      recorder,
      backendTtftMs: 20,
      slo: { ttftMs: 5000 },
      checks: { 'reply ends with a full stop': (turn) => turn.text.endsWith('.') },
      turnTimeoutMs: 5000,
      message: (index, turn) => `hello ${index} ${turn}`,
      onSettled: () => settled++,
    });
    expect(await vu.connect()).toBe(true);
    // Due 100 ms ago: the lateness is part of every latency (no coordinated omission).
    await vu.sendTurn(performance.now() - 100);
    vu.disconnect();
    const aggregate = new Aggregate(1);
    aggregate.add(recorder.snapshot(0, 1, { vus: 0, connections: 0, inFlight: 0 }, HEALTH));
    expect(settled).toBe(1);
    expect(aggregate.counters).toMatchObject({ turns: 1, turns_ok: 1, good_turns: 1, integrity_errors: 0 });
    expect(aggregate.counters.output_tokens).toBeGreaterThanOrEqual(12);
    expect(aggregate.trends.get('send_lag')!.minNonZeroValue / 1000).toBeGreaterThanOrEqual(100);
    expect(aggregate.trends.get('ttft')!.minNonZeroValue / 1000).toBeGreaterThanOrEqual(120);
    expect(aggregate.trends.get('tpot')!.totalCount).toBe(1);
    expect(aggregate.checks).toMatchObject({ 'ack ok': [1, 0], 'reply done': [1, 0], 'stream intact': [1, 0], 'reply ends with a full stop': [1, 0] });
  });
});
