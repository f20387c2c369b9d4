// Metrics as k6 names them (trends, counters, rates, gauges), recorded in HDR histograms. A generator records into
// interval histograms and ships them every second in HDR's compressed base64 form; the coordinator merges them into
// the run's totals (exact percentiles over every generator) and into one point per second for the report's charts.
import * as hdr from 'hdr-histogram-js';
import type { AdmissionSample } from './admission-sampler';

/** Latency trends, all in milliseconds. Definitions: loadtest/README.md. */
export const TRENDS = [
  'connect_time',
  'setup_time',
  'send_lag',
  'ack_latency',
  'queue_wait',
  'ttft',
  'ttft_added',
  'server_ttft',
  'itl',
  'tpot',
  'e2e',
] as const;
export type TrendName = (typeof TRENDS)[number];

export const COUNTERS = [
  'turns_sent',
  'turns',
  'turns_ok',
  'good_turns',
  'output_tokens',
  'chunks',
  'dropped_turns',
  'shed_turns',
  'integrity_errors',
  'connect_errors',
  'setup_errors',
  'disconnects',
] as const;
export type CounterName = (typeof COUNTERS)[number];

/**
 * Rates: passes / total. turn_errors passes = errored turns; goodput passes = turns meeting every SLO;
 * admitted_goodput = the same over the turns the runtime admitted (those it shed with OVERLOADED left out).
 */
export const RATES = ['turn_errors', 'goodput', 'admitted_goodput', 'checks'] as const;
export type RateName = (typeof RATES)[number];

/** Microseconds from 1 µs to one hour, three significant digits. */
const HIGHEST_US = 3_600_000_000;

export function newHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, useWebAssembly: false });
}

export function recordMs(histogram: hdr.Histogram, ms: number): void {
  if (!Number.isFinite(ms)) return;
  histogram.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))));
}

export function encodeHistogram(histogram: hdr.Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

/** Adds an encoded histogram (from any generator) into `into`. */
export function mergeEncoded(into: hdr.Histogram, encoded: string): void {
  const decoded = hdr.decodeFromCompressedBase64(encoded, 32, false);
  into.add(decoded);
  decoded.destroy();
}

export interface TrendStats {
  count: number;
  avg: number;
  min: number;
  med: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export function trendStats(histogram: hdr.Histogram): TrendStats | null {
  if (histogram.totalCount === 0) return null;
  const ms = (us: number) => Math.round(us) / 1000;
  return {
    count: histogram.totalCount,
    avg: ms(histogram.mean),
    min: ms(histogram.minNonZeroValue),
    med: ms(histogram.getValueAtPercentile(50)),
    p90: ms(histogram.getValueAtPercentile(90)),
    p95: ms(histogram.getValueAtPercentile(95)),
    p99: ms(histogram.getValueAtPercentile(99)),
    max: ms(histogram.maxValue),
  };
}

export interface GeneratorHealth {
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  eventLoopMeanMs: number;
  cpuPercent: number;
  rssMb: number;
}

/** What a generator sends every second (and once more at the end). */
export interface IntervalSnapshot {
  generator: number;
  /** Whole seconds since the test started; the interval is (tick-1, tick]. */
  tick: number;
  trends: Partial<Record<TrendName, string>>;
  counters: Partial<Record<CounterName, number>>;
  rates: Partial<Record<RateName, [passes: number, total: number]>>;
  errorsByCode: Record<string, number>;
  integrityByKind: Record<string, number>;
  checks: Record<string, [passes: number, fails: number]>;
  gauges: { vus: number; connections: number; inFlight: number };
  health: GeneratorHealth;
}

/** A generator's recorder: everything since the last snapshot. */
export class IntervalRecorder {
  private trends = new Map<TrendName, hdr.Histogram>();
  private counters: Partial<Record<CounterName, number>> = {};
  private rates: Partial<Record<RateName, [number, number]>> = {};
  private errorsByCode: Record<string, number> = {};
  private integrityByKind: Record<string, number> = {};
  private checks: Record<string, [number, number]> = {};

  trend(name: TrendName, ms: number): void {
    let histogram = this.trends.get(name);
    if (!histogram) this.trends.set(name, (histogram = newHistogram()));
    recordMs(histogram, ms);
  }

  add(name: CounterName, amount = 1): void {
    this.counters[name] = (this.counters[name] ?? 0) + amount;
  }

  rate(name: RateName, pass: boolean): void {
    const entry = (this.rates[name] ??= [0, 0]);
    if (pass) entry[0]++;
    entry[1]++;
  }

  error(code: string): void {
    this.errorsByCode[code] = (this.errorsByCode[code] ?? 0) + 1;
  }

  integrity(kind: string): void {
    this.integrityByKind[kind] = (this.integrityByKind[kind] ?? 0) + 1;
    this.add('integrity_errors');
  }

  check(name: string, pass: boolean): void {
    const entry = (this.checks[name] ??= [0, 0]);
    entry[pass ? 0 : 1]++;
    this.rate('checks', pass);
  }

  snapshot(generator: number, tick: number, gauges: IntervalSnapshot['gauges'], health: GeneratorHealth): IntervalSnapshot {
    const trends: IntervalSnapshot['trends'] = {};
    for (const [name, histogram] of this.trends) {
      trends[name] = encodeHistogram(histogram);
      histogram.destroy();
    }
    const snapshot: IntervalSnapshot = {
      generator,
      tick,
      trends,
      counters: this.counters,
      rates: this.rates,
      errorsByCode: this.errorsByCode,
      integrityByKind: this.integrityByKind,
      checks: this.checks,
      gauges,
      health,
    };
    this.trends = new Map();
    this.counters = {};
    this.rates = {};
    this.errorsByCode = {};
    this.integrityByKind = {};
    this.checks = {};
    return snapshot;
  }
}

const SERIES_TRENDS = ['ttft', 'e2e', 'ack_latency', 'itl', 'queue_wait', 'ttft_added', 'send_lag'] as const;
type SeriesTrend = (typeof SERIES_TRENDS)[number];

/** One second of the run, over every generator. */
export interface SeriesPoint {
  t: number;
  vus: number;
  connections: number;
  inFlight: number;
  turnsPerS: number;
  sentPerS: number;
  tokensPerS: number;
  errorsPerS: number;
  goodPerS: number;
  droppedPerS: number;
  latency: Partial<Record<SeriesTrend, { p50: number; p90: number; p95: number; p99: number }>>;
  generatorLoopP99Ms: number;
  generatorCpuPercent: number;
  /** CPU % of watched processes (gateway, workers, postgres, redis), filled in by the coordinator. */
  cpu?: Record<string, number>;
  /** The gateway's admission control read in this second (--admission), filled in by the coordinator. */
  admission?: AdmissionSample;
}

interface PendingTick {
  reported: Set<number>;
  trends: Map<SeriesTrend, hdr.Histogram>;
  point: SeriesPoint;
}

/** The coordinator's view: totals since the start plus one point per second. */
export class Aggregate {
  readonly trends = new Map<TrendName, hdr.Histogram>(TRENDS.map((name) => [name, newHistogram()]));
  readonly counters: Record<CounterName, number> = Object.fromEntries(COUNTERS.map((name) => [name, 0])) as Record<CounterName, number>;
  readonly rates: Record<RateName, [number, number]> = Object.fromEntries(RATES.map((name) => [name, [0, 0]])) as Record<RateName, [number, number]>;
  readonly errorsByCode: Record<string, number> = {};
  readonly integrityByKind: Record<string, number> = {};
  readonly checks: Record<string, [number, number]> = {};
  readonly series: SeriesPoint[] = [];
  readonly latestGauges = new Map<number, IntervalSnapshot['gauges']>();
  readonly latestHealth = new Map<number, GeneratorHealth>();
  /** The worst event-loop p99 any generator reported in any second. */
  worstLoopP99Ms = 0;
  private readonly pending = new Map<number, PendingTick>();

  constructor(private readonly generatorCount: number) {}

  add(snapshot: IntervalSnapshot): void {
    for (const [name, encoded] of Object.entries(snapshot.trends) as [TrendName, string][]) mergeEncoded(this.trends.get(name)!, encoded);
    for (const [name, amount] of Object.entries(snapshot.counters) as [CounterName, number][]) this.counters[name] += amount;
    for (const [name, [passes, total]] of Object.entries(snapshot.rates) as [RateName, [number, number]][]) {
      this.rates[name][0] += passes;
      this.rates[name][1] += total;
    }
    for (const [code, count] of Object.entries(snapshot.errorsByCode)) this.errorsByCode[code] = (this.errorsByCode[code] ?? 0) + count;
    for (const [kind, count] of Object.entries(snapshot.integrityByKind)) this.integrityByKind[kind] = (this.integrityByKind[kind] ?? 0) + count;
    for (const [name, [passes, fails]] of Object.entries(snapshot.checks)) {
      const entry = (this.checks[name] ??= [0, 0]);
      entry[0] += passes;
      entry[1] += fails;
    }
    this.latestGauges.set(snapshot.generator, snapshot.gauges);
    this.latestHealth.set(snapshot.generator, snapshot.health);
    this.worstLoopP99Ms = Math.max(this.worstLoopP99Ms, snapshot.health.eventLoopP99Ms);
    this.addToTick(snapshot);
  }

  get gauges(): IntervalSnapshot['gauges'] {
    const total = { vus: 0, connections: 0, inFlight: 0 };
    for (const gauges of this.latestGauges.values()) {
      total.vus += gauges.vus;
      total.connections += gauges.connections;
      total.inFlight += gauges.inFlight;
    }
    return total;
  }

  /** Closes every second still waiting for a generator (at the end of the run). */
  flushSeries(): void {
    for (const tick of [...this.pending.keys()].sort((a, b) => a - b)) this.closeTick(tick);
  }

  private addToTick(snapshot: IntervalSnapshot): void {
    let pending = this.pending.get(snapshot.tick);
    if (!pending) {
      pending = {
        reported: new Set(),
        trends: new Map(),
        point: {
          t: snapshot.tick,
          vus: 0,
          connections: 0,
          inFlight: 0,
          turnsPerS: 0,
          sentPerS: 0,
          tokensPerS: 0,
          errorsPerS: 0,
          goodPerS: 0,
          droppedPerS: 0,
          latency: {},
          generatorLoopP99Ms: 0,
          generatorCpuPercent: 0,
        },
      };
      this.pending.set(snapshot.tick, pending);
    }
    const point = pending.point;
    // A generator's final snapshot may share a tick with its last regular one: gauges are not added twice.
    if (!pending.reported.has(snapshot.generator)) {
      point.vus += snapshot.gauges.vus;
      point.connections += snapshot.gauges.connections;
      point.inFlight += snapshot.gauges.inFlight;
      point.generatorCpuPercent += snapshot.health.cpuPercent;
    }
    pending.reported.add(snapshot.generator);
    point.turnsPerS += snapshot.counters.turns ?? 0;
    point.sentPerS += snapshot.counters.turns_sent ?? 0;
    point.tokensPerS += snapshot.counters.output_tokens ?? 0;
    point.errorsPerS += snapshot.rates.turn_errors?.[0] ?? 0;
    point.goodPerS += snapshot.counters.good_turns ?? 0;
    point.droppedPerS += snapshot.counters.dropped_turns ?? 0;
    point.generatorLoopP99Ms = Math.max(point.generatorLoopP99Ms, snapshot.health.eventLoopP99Ms);
    for (const name of SERIES_TRENDS) {
      const encoded = snapshot.trends[name];
      if (!encoded) continue;
      let histogram = pending.trends.get(name);
      if (!histogram) pending.trends.set(name, (histogram = newHistogram()));
      mergeEncoded(histogram, encoded);
    }
    if (pending.reported.size >= this.generatorCount) {
      // Earlier seconds that some generator skipped (it was busy) are closed too, so the series keeps its order.
      for (const tick of [...this.pending.keys()].filter((other) => other <= snapshot.tick).sort((a, b) => a - b)) this.closeTick(tick);
    }
  }

  private closeTick(tick: number): void {
    const pending = this.pending.get(tick);
    if (!pending) return;
    this.pending.delete(tick);
    for (const [name, histogram] of pending.trends) {
      const ms = (p: number) => Math.round(histogram.getValueAtPercentile(p)) / 1000;
      pending.point.latency[name] = { p50: ms(50), p90: ms(90), p95: ms(95), p99: ms(99) };
      histogram.destroy();
    }
    const index = this.series.findIndex((point) => point.t > tick);
    if (index === -1) this.series.push(pending.point);
    else this.series.splice(index, 0, pending.point);
  }
}
