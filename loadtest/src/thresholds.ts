// k6 threshold expressions: `p(95)<250`, `avg<=200`, `rate<0.001`, `count==0`, `max<1000`, `med<300`.
import type { Thresholds } from './options';

export type Operator = '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';

export interface ParsedThreshold {
  source: string;
  /** "p(95)", "avg", "rate", … */
  aggregation: string;
  /** Percentile for p(N). */
  percentile?: number;
  operator: Operator;
  value: number;
  abortOnFail: boolean;
}

const AGGREGATIONS = new Set(['avg', 'min', 'max', 'med', 'rate', 'count', 'value']);

export function parseThreshold(source: string, abortOnFail = false): ParsedThreshold {
  const match = /^\s*(p\(\s*(\d+(?:\.\d+)?)\s*\)|[a-z]+)\s*(===|==|!=|<=|>=|<|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/i.exec(source);
  if (!match) throw new Error(`threshold "${source}" is not k6 syntax (e.g. p(95)<250, avg<200, rate<0.01, count==0)`);
  const [, aggregation, percentile, operator, value] = match;
  if (percentile === undefined && !AGGREGATIONS.has(aggregation!)) {
    throw new Error(`threshold "${source}": unknown aggregation "${aggregation}" (use p(N), avg, min, med, max, rate, count or value)`);
  }
  const parsed: ParsedThreshold = { source: source.trim(), aggregation: percentile === undefined ? aggregation! : `p(${Number(percentile)})`, operator: operator as Operator, value: Number(value), abortOnFail };
  if (percentile !== undefined) {
    parsed.percentile = Number(percentile);
    if (parsed.percentile < 0 || parsed.percentile > 100) throw new Error(`threshold "${source}": percentile must be within 0..100`);
  }
  return parsed;
}

export interface MetricThresholds {
  metric: string;
  thresholds: ParsedThreshold[];
}

export function parseThresholds(thresholds: Thresholds = {}): MetricThresholds[] {
  return Object.entries(thresholds).map(([metric, list]) => ({
    metric,
    thresholds: list.map((entry) => (typeof entry === 'string' ? parseThreshold(entry) : parseThreshold(entry.threshold, entry.abortOnFail ?? false))),
  }));
}

/** "ttft=p(95)<250" (the command-line form) → ["ttft", "p(95)<250"]. */
export function splitThresholdFlag(flag: string): [string, string] {
  const index = flag.indexOf('=');
  // The first '=' that is not part of an operator separates the metric.
  if (index <= 0 || /[<>!=]/.test(flag[index - 1]!)) throw new Error(`--threshold "${flag}" must look like metric=expression, e.g. ttft=p(95)<250`);
  return [flag.slice(0, index).trim(), flag.slice(index + 1).trim()];
}

export function compare(actual: number, operator: Operator, expected: number): boolean {
  switch (operator) {
    case '<':
      return actual < expected;
    case '<=':
      return actual <= expected;
    case '>':
      return actual > expected;
    case '>=':
      return actual >= expected;
    case '==':
    case '===':
      return actual === expected;
    case '!=':
      return actual !== expected;
  }
}

/** What a threshold can read from a metric: trends give avg/min/med/max/p(N), rates give rate, counters count and rate. */
export interface MetricValues {
  avg?: number;
  min?: number;
  med?: number;
  max?: number;
  rate?: number;
  count?: number;
  value?: number;
  percentile?: (p: number) => number;
}

export interface ThresholdResult {
  metric: string;
  source: string;
  ok: boolean;
  actual: number | null;
  abortOnFail: boolean;
}

export function evaluateThreshold(metric: string, threshold: ParsedThreshold, values: MetricValues | undefined): ThresholdResult {
  let actual: number | null = null;
  if (values) {
    if (threshold.percentile !== undefined) actual = values.percentile ? values.percentile(threshold.percentile) : null;
    else actual = (values as Record<string, number | undefined>)[threshold.aggregation] ?? null;
  }
  // Unlike k6, a threshold on a metric with no samples fails: a latency SLO that no turn reached proves nothing.
  const ok = actual !== null && Number.isFinite(actual) && compare(actual, threshold.operator, threshold.value);
  return { metric, source: threshold.source, ok, actual, abortOnFail: threshold.abortOnFail };
}
