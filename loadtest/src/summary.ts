// The end-of-test summary (the JSON file, and what the text and HTML reports are drawn from), threshold results,
// and runtime ÷ baseline ratios.
import { arch, cpus, release, totalmem, type as osType } from 'node:os';
import { execSync } from 'node:child_process';
import type { AdmissionSample, AdmissionSummary } from './admission-sampler';
import { trendStats, TRENDS, type Aggregate, type SeriesPoint, type TrendName, type TrendStats } from './metrics';
import type { Options } from './options';
import type { ServerStats } from './server-stats';
import { evaluateThreshold, parseThresholds, type MetricValues, type ThresholdResult } from './thresholds';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  fdLimit: string;
  hostname?: string;
}

export interface Throughput {
  /** Every finished turn, failed ones included. */
  turnsPerS: number;
  /** Successful turns only: the figure to compare between targets. */
  okTurnsPerS: number;
  peakOkTurnsPerS: number;
  outputTokensPerS: number;
  goodputPerS: number;
  /** The best 10-second window: what the target sustained at its peak. */
  peakTurnsPerS: number;
  peakOutputTokensPerS: number;
  peakGoodputPerS: number;
}

export interface Summary {
  harness: 'doppel-loadtest/1';
  name: string;
  kind: 'runtime' | 'baseline';
  target: string;
  startedAt: string;
  durationS: number;
  generators: number;
  machine: Machine;
  note?: string;
  options: unknown;
  trends: Partial<Record<TrendName, TrendStats | null>>;
  counters: Record<string, number>;
  rates: Record<string, { rate: number; passes: number; total: number }>;
  throughput: Throughput;
  peaks: { vus: number; connections: number; inFlight: number };
  errorsByCode: Record<string, number>;
  integrityByKind: Record<string, number>;
  checks: Record<string, { passes: number; fails: number }>;
  thresholds: ThresholdResult[];
  thresholdsOk: boolean;
  abortedBy?: string;
  generatorHealth: { worstLoopP99Ms: number; maxCpuPercent: number; warnings: string[] };
  cpu: Record<string, { avg: number; max: number }>;
  /** CPU time each watched process spent per successful turn (ms): the cost of a turn, independent of contention. */
  cpuMsPerTurn: Record<string, number>;
  /** What Redis and PostgreSQL did per ok turn, when the run was given --redis-stats / --pg-stats. */
  serverStats?: ServerStats;
  /** The gateway's admission control over the run, when it was given --admission (per second in `series`). */
  admission?: AdmissionSummary;
  series: SeriesPoint[];
  comparison?: Comparison;
}

export interface Comparison {
  baselineFile?: string;
  baselineName: string;
  baselineTrends: Summary['trends'];
  baselineThroughput: Throughput;
  /** runtime ÷ baseline. Throughput ratios < 1 mean the runtime serves less; latency ratios > 1 mean it is slower. */
  ratios: Record<string, number | null>;
}

export function describeMachine(): Machine {
  let fdLimit = 'unknown';
  try {
    fdLimit = execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim();
  } catch {
    // not a POSIX shell
  }
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model ?? 'unknown',
    cores: cpuList.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${osType()} ${release()} ${arch()}`,
    node: process.version,
    fdLimit,
  };
}

/** What a threshold on `metric` reads. Counters: count and per-second rate; rates: rate; trends: avg…p(N). */
export function metricValues(aggregate: Aggregate, durationS: number): Record<string, MetricValues> {
  const values: Record<string, MetricValues> = {};
  for (const name of TRENDS) {
    const histogram = aggregate.trends.get(name)!;
    if (histogram.totalCount === 0) continue;
    values[name] = {
      avg: histogram.mean / 1000,
      min: histogram.minNonZeroValue / 1000,
      med: histogram.getValueAtPercentile(50) / 1000,
      max: histogram.maxValue / 1000,
      count: histogram.totalCount,
      percentile: (p) => histogram.getValueAtPercentile(p) / 1000,
    };
  }
  for (const [name, count] of Object.entries(aggregate.counters)) values[name] = { count, rate: count / Math.max(1, durationS), value: count };
  for (const [name, [passes, total]] of Object.entries(aggregate.rates)) values[name] = { rate: total === 0 ? 0 : passes / total, count: passes, value: passes };
  const vus = aggregate.gauges;
  values.vus = { value: vus.vus, max: Math.max(0, ...aggregate.series.map((point) => point.vus)) };
  return values;
}

export function evaluateThresholds(options: Options, values: Record<string, MetricValues>): ThresholdResult[] {
  return parseThresholds(options.thresholds).flatMap(({ metric, thresholds }) => thresholds.map((threshold) => evaluateThreshold(metric, threshold, values[metric])));
}

function peakWindow(series: SeriesPoint[], pick: (point: SeriesPoint) => number, window = 10): number {
  let best = 0;
  let sum = 0;
  for (let index = 0; index < series.length; index++) {
    sum += pick(series[index]!);
    if (index >= window) sum -= pick(series[index - window]!);
    if (index >= window - 1 || index === series.length - 1) best = Math.max(best, sum / Math.min(window, index + 1));
  }
  return Math.round(best * 10) / 10;
}

export function buildSummary(input: {
  name: string;
  kind: 'runtime' | 'baseline';
  target: string;
  startedAt: Date;
  durationS: number;
  generators: number;
  note?: string;
  options: unknown;
  aggregate: Aggregate;
  thresholds: ThresholdResult[];
  abortedBy?: string;
  warnings: string[];
  cpuSeries: { t: number; cpu: Record<string, number> }[];
  admissionSeries?: { t: number; admission: AdmissionSample }[];
  admission?: AdmissionSummary | null;
}): Summary {
  const { aggregate } = input;
  const series = aggregate.series;
  for (const sample of input.cpuSeries) {
    const point = series.find((candidate) => candidate.t === sample.t);
    if (point) point.cpu = sample.cpu;
  }
  for (const sample of input.admissionSeries ?? []) {
    const point = series.find((candidate) => candidate.t === sample.t);
    if (point) point.admission = sample.admission;
  }
  const cpu: Summary['cpu'] = {};
  for (const sample of input.cpuSeries) {
    for (const [label, percent] of Object.entries(sample.cpu)) {
      const entry = (cpu[label] ??= { avg: 0, max: 0 });
      entry.avg += percent / input.cpuSeries.length;
      entry.max = Math.max(entry.max, percent);
    }
  }
  for (const entry of Object.values(cpu)) entry.avg = Math.round(entry.avg * 10) / 10;
  const cpuMsPerTurn: Record<string, number> = {};
  const okTurns = Math.max(1, aggregate.counters.turns_ok);
  for (const [label, entry] of Object.entries(cpu)) {
    if (label === 'system') continue;
    // One sample per second: avg % × 10 ms = CPU ms per second.
    cpuMsPerTurn[label] = Math.round(((entry.avg * 10 * input.cpuSeries.length) / okTurns) * 100) / 100;
  }
  const seconds = Math.max(1, input.durationS);
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    harness: 'doppel-loadtest/1',
    name: input.name,
    kind: input.kind,
    target: input.target,
    startedAt: input.startedAt.toISOString(),
    durationS: Math.round(input.durationS * 10) / 10,
    generators: input.generators,
    machine: describeMachine(),
    ...(input.note ? { note: input.note } : {}),
    options: input.options,
    trends: Object.fromEntries(TRENDS.map((name) => [name, trendStats(aggregate.trends.get(name)!)])),
    counters: { ...aggregate.counters },
    rates: Object.fromEntries(Object.entries(aggregate.rates).map(([name, [passes, total]]) => [name, { rate: total === 0 ? 0 : passes / total, passes, total }])),
    throughput: {
      turnsPerS: round(aggregate.counters.turns / seconds),
      okTurnsPerS: round(aggregate.counters.turns_ok / seconds),
      peakOkTurnsPerS: peakWindow(series, (point) => point.turnsPerS - point.errorsPerS),
      outputTokensPerS: round(aggregate.counters.output_tokens / seconds),
      goodputPerS: round(aggregate.counters.good_turns / seconds),
      peakTurnsPerS: peakWindow(series, (point) => point.turnsPerS),
      peakOutputTokensPerS: peakWindow(series, (point) => point.tokensPerS),
      peakGoodputPerS: peakWindow(series, (point) => point.goodPerS),
    },
    peaks: {
      vus: Math.max(0, ...series.map((point) => point.vus)),
      connections: Math.max(0, ...series.map((point) => point.connections)),
      inFlight: Math.max(0, ...series.map((point) => point.inFlight)),
    },
    errorsByCode: { ...aggregate.errorsByCode },
    integrityByKind: { ...aggregate.integrityByKind },
    checks: Object.fromEntries(Object.entries(aggregate.checks).map(([name, [passes, fails]]) => [name, { passes, fails }])),
    thresholds: input.thresholds,
    thresholdsOk: input.thresholds.every((result) => result.ok) && !input.abortedBy,
    ...(input.abortedBy ? { abortedBy: input.abortedBy } : {}),
    generatorHealth: {
      worstLoopP99Ms: Math.round(aggregate.worstLoopP99Ms * 10) / 10,
      maxCpuPercent: Math.round(Math.max(0, ...series.map((point) => point.generatorCpuPercent)) * 10) / 10,
      warnings: input.warnings,
    },
    cpu,
    cpuMsPerTurn,
    ...(input.admission ? { admission: input.admission } : {}),
    series,
  };
}

const RATIO_TRENDS: TrendName[] = ['ack_latency', 'ttft', 'itl', 'tpot', 'e2e'];
const RATIO_STATS: (keyof TrendStats)[] = ['med', 'p90', 'p95', 'p99', 'max'];

/** runtime ÷ baseline for throughput and for each latency percentile. */
export function compareWithBaseline(runtime: Summary, baseline: Summary, baselineFile?: string): Comparison {
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? null : Math.round((a / b) * 100) / 100);
  const ratios: Record<string, number | null> = {
    okTurnsPerS: ratio(runtime.throughput.okTurnsPerS, baseline.throughput.okTurnsPerS),
    peakOkTurnsPerS: ratio(runtime.throughput.peakOkTurnsPerS, baseline.throughput.peakOkTurnsPerS),
    turnsPerS: ratio(runtime.throughput.turnsPerS, baseline.throughput.turnsPerS),
    peakTurnsPerS: ratio(runtime.throughput.peakTurnsPerS, baseline.throughput.peakTurnsPerS),
    outputTokensPerS: ratio(runtime.throughput.outputTokensPerS, baseline.throughput.outputTokensPerS),
    peakOutputTokensPerS: ratio(runtime.throughput.peakOutputTokensPerS, baseline.throughput.peakOutputTokensPerS),
    goodputPerS: ratio(runtime.throughput.goodputPerS, baseline.throughput.goodputPerS),
  };
  for (const trend of RATIO_TRENDS) {
    for (const stat of RATIO_STATS) ratios[`${trend}.${stat}`] = ratio(runtime.trends[trend]?.[stat], baseline.trends[trend]?.[stat]);
  }
  return { ...(baselineFile ? { baselineFile } : {}), baselineName: baseline.name, baselineTrends: baseline.trends, baselineThroughput: baseline.throughput, ratios };
}

/** Fills in fields added to the summary after a run was recorded (derived from what it holds), for --render. */
export function refreshDerived(summary: Summary, baseline?: Summary, baselineFile?: string): Summary {
  const seconds = Math.max(1, summary.durationS);
  summary.throughput.okTurnsPerS ??= Math.round((summary.counters.turns_ok! / seconds) * 100) / 100;
  summary.throughput.peakOkTurnsPerS ??= peakWindow(summary.series, (point) => point.turnsPerS - point.errorsPerS);
  if (!summary.cpuMsPerTurn) {
    summary.cpuMsPerTurn = {};
    const samples = summary.series.length;
    for (const [label, entry] of Object.entries(summary.cpu)) {
      if (label !== 'system') summary.cpuMsPerTurn[label] = Math.round(((entry.avg * 10 * samples) / Math.max(1, summary.counters.turns_ok!)) * 100) / 100;
    }
  }
  if (baseline) {
    refreshDerived(baseline);
    summary.comparison = compareWithBaseline(summary, baseline, baselineFile ?? summary.comparison?.baselineFile);
  }
  return summary;
}
