// Admission control: how many turns this gateway lets in flight, learned from how long accepted turns wait for a
// node to start them (AIMD, as TCP does with a window). Past capacity a new turn is refused at once with OVERLOADED
// and a retry time, instead of being admitted to time out later: throughput stays at the peak instead of collapsing,
// and every admitted turn keeps its latency. The same loop watches this gateway's own event-loop delay, which is
// what refuses new connections when the gateway itself is the bottleneck.
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';

export interface AdmissionOptions {
  /** The accept → node-started delay (p90 over the last window) the gateway aims under. */
  targetStartMs: number;
  /** Turns in flight never exceed this, whatever the measurements say. */
  maxTurnsInFlight: number;
  /** Event-loop delay (p90 over two windows in a row) past which the gateway refuses new work and connections. */
  maxLoopDelayMs: number;
  /** How often the limit is adjusted. */
  windowMs?: number;
}

export type Admission = { admitted: true } | { admitted: false; retryAfterSeconds: number; reason: string };

const MIN_LIMIT = 4;
/** Fewer start delays than this in a window say nothing about capacity (one slow turn is not a trend). */
const MIN_SAMPLES = 10;
const DECREASE = 0.8;
/** A turn still counted after this long lost its follower unnoticed; it stops counting. */
const FORGET_AFTER_MS = 120_000;

export class AdmissionControl {
  private readonly acceptedAt = new Map<string, number>();
  private startDelays: number[] = [];
  private limit: number;
  private overloadedLoop = false;
  private slowLoopWindows = 0;
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly options: AdmissionOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.limit = Math.min(options.maxTurnsInFlight, 256);
    this.loopDelay.enable();
    this.timer = setInterval(() => this.adjust(), options.windowMs ?? 500);
    this.timer.unref();
  }

  /** Whether a new turn may be accepted now. */
  admitTurn(): Admission {
    if (this.overloadedLoop) return { admitted: false, retryAfterSeconds: 2, reason: 'this gateway is saturated' };
    if (this.acceptedAt.size >= this.limit) return { admitted: false, retryAfterSeconds: 1, reason: `${this.acceptedAt.size} turns are in flight` };
    return { admitted: true };
  }

  /** Whether a new connection may be accepted now (only the gateway's own saturation refuses one). */
  admitConnection(): Admission {
    return this.overloadedLoop ? { admitted: false, retryAfterSeconds: 2, reason: 'this gateway is saturated' } : { admitted: true };
  }

  accepted(turnId: string): void {
    this.acceptedAt.set(turnId, this.now());
  }

  /** A node started the turn: one sample of the delay admission control steers by. */
  started(turnId: string): void {
    const at = this.acceptedAt.get(turnId);
    if (at !== undefined) this.startDelays.push(this.now() - at);
  }

  /** The turn finished, failed, or nobody here follows it any more. */
  finished(turnId: string): void {
    this.acceptedAt.delete(turnId);
  }

  get state(): { limit: number; inFlight: number; overloadedLoop: boolean } {
    return { limit: this.limit, inFlight: this.acceptedAt.size, overloadedLoop: this.overloadedLoop };
  }

  close(): void {
    clearInterval(this.timer);
    this.loopDelay.disable();
  }

  /** Multiplicative decrease when turns wait too long to start (or the loop lags), additive increase while in use. */
  adjust(): void {
    const forgetBefore = this.now() - FORGET_AFTER_MS;
    for (const [turnId, at] of this.acceptedAt) if (at < forgetBefore) this.acceptedAt.delete(turnId);
    // A saturated loop lags all the time; one long pause (a GC, a start-up burst) is not saturation: two windows in a
    // row whose p90 is past the bound are.
    const loopP90Ms = this.loopDelay.percentile(90) / 1e6;
    this.loopDelay.reset();
    this.slowLoopWindows = loopP90Ms > this.options.maxLoopDelayMs ? this.slowLoopWindows + 1 : 0;
    this.overloadedLoop = this.slowLoopWindows >= 2;
    const delays = this.startDelays.sort((a, b) => a - b);
    this.startDelays = [];
    const p90 = delays.length >= MIN_SAMPLES ? delays[Math.min(delays.length - 1, Math.floor(delays.length * 0.9))]! : null;
    if ((p90 !== null && p90 > this.options.targetStartMs) || this.overloadedLoop) {
      this.limit = Math.max(MIN_LIMIT, Math.floor(Math.min(this.limit, this.acceptedAt.size) * DECREASE));
    } else if (this.acceptedAt.size >= this.limit * 0.75) {
      this.limit = Math.min(this.options.maxTurnsInFlight, this.limit + Math.max(1, Math.round(this.limit * 0.05)));
    }
  }
}
