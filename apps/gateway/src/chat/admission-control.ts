// Admission control: how many turns this gateway lets in flight, learned from how long accepted turns wait for their
// first token beyond what that model takes unloaded (AIMD, as TCP does with a window). Past capacity a new turn is
// refused at once with OVERLOADED and a retry time, instead of being admitted to time out later: throughput stays at
// the peak instead of collapsing, and every admitted turn keeps its latency. The same loop watches this gateway's own
// event-loop delay, which is what refuses new connections when the gateway itself is the bottleneck.
//
// Why the first token and not the node's start: a node that took a turn may still be waiting for a model thread or a
// CPU; only the first token says the turn is being served. Models differ (a remote model answers in 400 ms, a local
// one in 20), so each model's wait is measured against its own floor: the fastest accept → first token of the last
// minutes, i.e. that model unloaded. And one cut per round: after a cut, turns accepted before it still report the
// old wait, so only turns accepted after it can ask for another (cutting on stale news drove the limit to the floor
// and idled the machine).
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';

export interface AdmissionOptions {
  /** How much longer than its model's floor a turn may wait for its first token (p90 over a window). */
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
/** Fewer first-token waits than this say nothing about capacity (one slow turn is not a trend). */
const MIN_SAMPLES = 10;
const DECREASE = 0.8;
/** A turn still counted after this long lost its follower unnoticed; it stops counting. */
const FORGET_AFTER_MS = 120_000;
/** A model's floor is the fastest first token within this many windows (5 minutes at 500 ms). */
const FLOOR_WINDOWS = 600;

interface InFlight {
  at: number;
  modelId: string;
  /** Its first-token wait was sampled already. */
  sampled: boolean;
}

/** The fastest first-token waits of one model, one per window, over the last FLOOR_WINDOWS windows. */
class ModelFloor {
  private readonly minima: number[] = [];
  private current = Infinity;
  /** The smallest of `minima`, kept so that a sample costs one comparison. */
  private kept = Infinity;

  observe(waitMs: number): void {
    this.current = Math.min(this.current, waitMs);
  }

  /** Ends a window; the floor is the smallest wait of the windows kept. */
  roll(): void {
    if (this.current !== Infinity) this.minima.push(this.current);
    if (this.minima.length > FLOOR_WINDOWS) this.minima.shift();
    this.current = Infinity;
    this.kept = Math.min(...this.minima);
  }

  get ms(): number {
    return Math.min(this.current, this.kept);
  }
}

export class AdmissionControl {
  private readonly inFlight = new Map<string, InFlight>();
  private readonly floors = new Map<string, ModelFloor>();
  /** Excess waits (first-token wait minus the model's floor) of turns accepted since the last cut. */
  private excessWaits: number[] = [];
  private lastCutAt = -Infinity;
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
    if (this.inFlight.size >= this.limit) return { admitted: false, retryAfterSeconds: 1, reason: `${this.inFlight.size} turns are in flight` };
    return { admitted: true };
  }

  /** Whether a new connection may be accepted now (only the gateway's own saturation refuses one). */
  admitConnection(): Admission {
    return this.overloadedLoop ? { admitted: false, retryAfterSeconds: 2, reason: 'this gateway is saturated' } : { admitted: true };
  }

  accepted(turnId: string, modelId: string): void {
    this.inFlight.set(turnId, { at: this.now(), modelId, sampled: false });
  }

  /** The turn's first token (or its end, for an empty reply) reached this gateway: the sample admission steers by. */
  firstOutput(turnId: string): void {
    const turn = this.inFlight.get(turnId);
    if (!turn || turn.sampled) return;
    turn.sampled = true;
    const wait = this.now() - turn.at;
    let floor = this.floors.get(turn.modelId);
    if (!floor) this.floors.set(turn.modelId, (floor = new ModelFloor()));
    floor.observe(wait);
    if (turn.at >= this.lastCutAt) this.excessWaits.push(wait - floor.ms);
  }

  /** The turn finished, failed, or nobody here follows it any more. */
  finished(turnId: string): void {
    this.inFlight.delete(turnId);
  }

  get state(): { limit: number; inFlight: number; overloadedLoop: boolean } {
    return { limit: this.limit, inFlight: this.inFlight.size, overloadedLoop: this.overloadedLoop };
  }

  close(): void {
    clearInterval(this.timer);
    this.loopDelay.disable();
  }

  /**
   * Multiplicative decrease when turns accepted since the last cut wait too long for their first token (or the loop
   * lags), additive increase while in use.
   */
  adjust(): void {
    const now = this.now();
    const forgetBefore = now - FORGET_AFTER_MS;
    for (const [turnId, turn] of this.inFlight) if (turn.at < forgetBefore) this.inFlight.delete(turnId);
    // A saturated loop lags all the time; one long pause (a GC, a start-up burst) is not saturation: two windows in a
    // row whose p90 is past the bound are.
    const loopP90Ms = this.loopDelay.percentile(90) / 1e6;
    this.loopDelay.reset();
    this.slowLoopWindows = loopP90Ms > this.options.maxLoopDelayMs ? this.slowLoopWindows + 1 : 0;
    this.overloadedLoop = this.slowLoopWindows >= 2;
    for (const floor of this.floors.values()) floor.roll();
    const waits = this.excessWaits.sort((a, b) => a - b);
    // Too few fresh samples say nothing yet (one slow turn is not a trend): they are kept for the next window.
    if (waits.length < MIN_SAMPLES && !this.overloadedLoop) return;
    this.excessWaits = [];
    const p90 = waits.length > 0 ? waits[Math.min(waits.length - 1, Math.floor(waits.length * 0.9))]! : 0;
    if (p90 > this.options.targetStartMs || this.overloadedLoop) {
      this.limit = Math.max(MIN_LIMIT, Math.floor(Math.min(this.limit, this.inFlight.size) * DECREASE));
      this.lastCutAt = now;
    } else if (this.inFlight.size >= this.limit * 0.75) {
      this.limit = Math.min(this.options.maxTurnsInFlight, this.limit + Math.max(1, Math.round(this.limit * 0.05)));
    }
  }
}
