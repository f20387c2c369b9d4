// Executor arithmetic, shared by every generator so that they split one schedule without talking to each other:
// VU counts over time (ramping-vus) and the due time of every iteration (arrival-rate executors, open loop).
import { parseDuration, type Scenario, type Stage } from './options';

interface VuSegment {
  startMs: number;
  durationMs: number;
  from: number;
  to: number;
}

/** How many VUs a VU executor wants at `elapsedMs` after the scenario started (linear between stage targets). */
export function targetVus(scenario: Scenario, elapsedMs: number): number {
  if (scenario.executor === 'constant-vus') return elapsedMs < parseDuration(scenario.duration) ? scenario.vus : 0;
  if (scenario.executor !== 'ramping-vus') throw new Error(`${scenario.executor} has no VU target`);
  let from = scenario.startVUs ?? 0;
  let startMs = 0;
  for (const segment of vuSegments(scenario.stages, from)) {
    if (elapsedMs < segment.startMs + segment.durationMs) {
      const progress = segment.durationMs === 0 ? 1 : (elapsedMs - segment.startMs) / segment.durationMs;
      return Math.round(segment.from + (segment.to - segment.from) * Math.max(0, progress));
    }
    from = segment.to;
    startMs = segment.startMs + segment.durationMs;
  }
  return elapsedMs < startMs ? from : 0;
}

function vuSegments(stages: Stage[], startVus: number): VuSegment[] {
  const segments: VuSegment[] = [];
  let from = startVus;
  let startMs = 0;
  for (const stage of stages) {
    const durationMs = parseDuration(stage.duration);
    segments.push({ startMs, durationMs, from, to: stage.target });
    from = stage.target;
    startMs += durationMs;
  }
  return segments;
}

/** Of the global VU indices 0..target-1, how many belong to generator `index` of `count` (index ≡ v mod count). */
export function localShare(target: number, index: number, count: number): number {
  return target > index ? Math.floor((target - index - 1) / count) + 1 : 0;
}

interface RateSegment {
  startMs: number;
  durationMs: number;
  /** Iterations per ms at the segment's start and end. */
  fromRate: number;
  toRate: number;
  /** Iterations due before the segment starts (a real number). */
  before: number;
}

/**
 * Due times of an arrival-rate executor. The cumulative count N(t) is the integral of the (piecewise linear) rate;
 * iteration k is due at the t where N(t) = k, so iteration 0 is due at 0 and a constant rate r gives k / r.
 */
export class ArrivalSchedule {
  readonly total: number;
  private readonly segments: RateSegment[] = [];

  constructor(scenario: Scenario) {
    const unitMs = 'timeUnit' in scenario && scenario.timeUnit ? parseDuration(scenario.timeUnit) : 1000;
    let stages: { durationMs: number; from: number; to: number }[];
    if (scenario.executor === 'constant-arrival-rate') {
      stages = [{ durationMs: parseDuration(scenario.duration), from: scenario.rate, to: scenario.rate }];
    } else if (scenario.executor === 'ramping-arrival-rate') {
      let from = scenario.startRate ?? 0;
      stages = scenario.stages.map((stage) => {
        const segment = { durationMs: parseDuration(stage.duration), from, to: stage.target };
        from = stage.target;
        return segment;
      });
    } else {
      throw new Error(`${scenario.executor} has no arrival schedule`);
    }
    let startMs = 0;
    let before = 0;
    for (const stage of stages) {
      const segment: RateSegment = { startMs, durationMs: stage.durationMs, fromRate: stage.from / unitMs, toRate: stage.to / unitMs, before };
      this.segments.push(segment);
      before += ((segment.fromRate + segment.toRate) / 2) * segment.durationMs;
      startMs += stage.durationMs;
    }
    // Iterations k with N⁻¹(k) inside the schedule: 0 ≤ k < N(end). Rounded to absorb floating-point dust.
    const exact = Math.round(before * 1e9) / 1e9;
    this.total = Math.ceil(exact);
  }

  /** Milliseconds after the scenario start at which iteration k is due, or null past the end. */
  dueAt(k: number): number | null {
    if (k < 0 || k >= this.total) return null;
    for (const segment of this.segments) {
      const inside = k - segment.before;
      const count = ((segment.fromRate + segment.toRate) / 2) * segment.durationMs;
      if (inside > count + 1e-9 || segment.durationMs === 0) continue;
      const slope = (segment.toRate - segment.fromRate) / (2 * segment.durationMs);
      // Root of slope·τ² + fromRate·τ − inside = 0 in its cancellation-free form.
      const discriminant = Math.max(0, segment.fromRate * segment.fromRate + 4 * slope * inside);
      const denominator = segment.fromRate + Math.sqrt(discriminant);
      const tau = inside <= 0 ? 0 : denominator === 0 ? 0 : (2 * inside) / denominator;
      return segment.startMs + Math.min(tau, segment.durationMs);
    }
    return null;
  }
}
