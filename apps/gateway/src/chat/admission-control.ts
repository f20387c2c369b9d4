// Admission control: how many turns this gateway lets in flight, learned from how long accepted turns wait for their
// first token beyond what that model takes unloaded (AIMD, as TCP does with a window). Past capacity a new turn is
// refused at once with OVERLOADED and a retry time, instead of being admitted to time out later: throughput stays at
// the peak instead of collapsing, and every admitted turn keeps its latency. The same loop watches this gateway's own
// event-loop delay, which is what refuses new connections when the gateway itself is the bottleneck.
//
// Why the first token and not the node's start: a node that took a turn may still be waiting for a model thread or a
// CPU; only the first token says the turn is being served. Models differ (a remote model answers in 400 ms, a local
// one in 20), so each model's wait is measured against its own floor: the fastest admission → first token of the last
// minutes, i.e. that model unloaded. And one cut per round: after a cut, turns accepted before it still report the
// old wait, so only turns accepted after it can ask for another (cutting on stale news drove the limit to the floor
// and idled the machine).
//
// Two guards against overshoot, the failure seen at 10,000 agents (turns in flight surging to 4x what the nodes
// serve, every first token 1-7 s late): a turn still waiting for its first token past the target counts as slow now,
// not only once its token arrives (the slowest turns are the last to report); and the limit grows no further than
// Little's law allows: the turns this gateway has been completing per second times their unloaded turn time plus the
// target wait. Past that, more in flight adds only queueing.
//
// And guards against undershoot. The saw seen under an open-loop ramp (the limit swinging between ~45 and ~100 as
// each round of late first tokens cut it by a fifth): a cut on slow first tokens goes no lower than what the recent
// throughput keeps busy with no wait at all (turns finished per second × their unloaded time). Below that, the nodes
// idle while turns are refused; only a saturated gateway loop, or a throughput that itself falls, cuts deeper.
// A cut needs that throughput measured (twenty turns finished, within a minute at most): the first turns after a
// start wait on cold caches and connections, and cutting on them took the limit from 256 to 8 while the machine
// idled. And once the throughput is measured, growth is not a fixed step: while first tokens are on time the limit
// goes straight to what Little's law serves within the target wait (at a 1.2-s turn and a 300-ms target, a quarter
// more than is in flight) once the last cut is 2 s old (see `grown`), so that it follows a rising load instead of
// refusing turns the nodes had room for (5 % a round took 25 s to go from 8 to 26).
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

export type Refusal = { admitted: false; retryAfterSeconds: number; reason: string };
export type Admission = { admitted: true } | Refusal;
/** A turn let in: it holds a place until the intake stores it (`accepted`) or does not (`withdrawn`). */
export type AdmittedTurn = { admitted: true; at: number };

const MIN_LIMIT = 4;
/** Fewer first-token waits than this say nothing about capacity (with ten, a p90 is the slowest turn but one). */
const MIN_SAMPLES = 20;
const DECREASE = 0.8;
/** A turn still counted after this long lost its follower unnoticed; it stops counting. */
const FORGET_AFTER_MS = 120_000;
/** A model's floor is the fastest first token within this many windows (5 minutes at 500 ms). */
const FLOOR_WINDOWS = 600;
/**
 * The service rate is measured over this many windows (2 s at 500 ms), or over as many more as it takes to hold
 * MIN_SAMPLES departures, up to RATE_WINDOWS_MAX (60 s): a gateway serving a turn a second measures it too.
 */
const RATE_WINDOWS = 4;
const RATE_WINDOWS_MAX = 120;

interface InFlight {
  at: number;
  modelId: string;
  /** Its first-token wait beyond its model's floor, once its first output came; null before. */
  excessMs: number | null;
}

/**
 * Between `seconds` and twice that, whole seconds: clients refused in the same instant must not all come back in the
 * same one.
 */
function jittered(seconds: number): number {
  return seconds + Math.floor(Math.random() * (seconds + 1));
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

/** Turns that left this gateway per window, and how long they took unloaded: the two factors of Little's law. */
class ServiceRate {
  private readonly windows: { departures: number; unloadedMsSum: number; unloadedCount: number }[] = [];
  private current = { departures: 0, unloadedMsSum: 0, unloadedCount: 0 };

  /** A turn left; `unloadedMs` is its time in flight less its wait beyond its model's floor (null: it never started). */
  depart(unloadedMs: number | null): void {
    this.current.departures++;
    if (unloadedMs === null) return;
    this.current.unloadedMsSum += unloadedMs;
    this.current.unloadedCount++;
  }

  roll(): void {
    this.windows.push(this.current);
    if (this.windows.length > RATE_WINDOWS_MAX) this.windows.shift();
    this.current = { departures: 0, unloadedMsSum: 0, unloadedCount: 0 };
  }

  /**
   * Turns finished per ms and their mean unloaded time, over the last RATE_WINDOWS windows or as many more (up to
   * RATE_WINDOWS_MAX) as it takes to hold MIN_SAMPLES departures; null until that many turns left.
   */
  measure(windowMs: number): { perMs: number; unloadedMs: number } | null {
    let departures = 0;
    let unloadedMsSum = 0;
    let unloadedCount = 0;
    let counted = 0;
    for (let index = this.windows.length - 1; index >= 0 && (counted < RATE_WINDOWS || departures < MIN_SAMPLES); index--) {
      const window = this.windows[index]!;
      departures += window.departures;
      unloadedMsSum += window.unloadedMsSum;
      unloadedCount += window.unloadedCount;
      counted++;
    }
    if (departures < MIN_SAMPLES || unloadedCount === 0) return null;
    return { perMs: departures / (counted * windowMs), unloadedMs: unloadedMsSum / unloadedCount };
  }
}

/** Turns in flight that a measured throughput serves with `waitMs` of waiting each (Little's law). */
function turnsServed(rate: { perMs: number; unloadedMs: number }, waitMs: number): number {
  return Math.ceil(rate.perMs * (rate.unloadedMs + waitMs));
}

/** What admission control holds now; GET /metrics and GET /operator/admission show it. */
export interface AdmissionState {
  /** Turns in flight (admitted, stored, not finished) beyond which new ones are refused. */
  limit: number;
  inFlight: number;
  /** Admitted turns still in their intake (not yet stored). */
  inIntake: number;
  /** Turns in flight the recent throughput serves within the target wait (null until measured). */
  served: number | null;
  /** Turns in flight the recent throughput keeps busy with no wait (null until measured). */
  servedUnqueued: number | null;
  overloadedLoop: boolean;
  /** Turns and connections refused with OVERLOADED since this gateway started. */
  turnsRefused: number;
  connectionsRefused: number;
}

export class AdmissionControl {
  private readonly inFlight = new Map<string, InFlight>();
  /** Turns admitted whose intake (rate limit, access, insert) has not finished: they count against the limit. */
  private inIntake = 0;
  private readonly floors = new Map<string, ModelFloor>();
  private readonly service = new ServiceRate();
  /** What Little's law allows in flight (see ServiceRate); the limit does not grow past it. Null: not measured yet. */
  private served: number | null = null;
  /** What the recent throughput keeps in flight with no wait; a cut on slow first tokens stops there. */
  private servedUnqueued: number | null = null;
  /** Excess waits (first-token wait minus the model's floor) of turns accepted since the last cut. */
  private excessWaits: number[] = [];
  private lastCutAt = -Infinity;
  private limit: number;
  private overloadedLoop = false;
  private turnsRefused = 0;
  private connectionsRefused = 0;
  private slowLoopWindows = 0;
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly options: AdmissionOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.limit = Math.min(options.maxTurnsInFlight, 256);
    this.loopDelay.enable();
    this.timer = setInterval(() => this.adjust(), this.windowMs);
    this.timer.unref();
  }

  /**
   * Whether a new turn may start its intake now. Its wait is timed from here, so a slow intake (a saturated
   * database) counts as the slow start it is.
   */
  admitTurn(): AdmittedTurn | Refusal {
    if (this.overloadedLoop) {
      this.turnsRefused++;
      return { admitted: false, retryAfterSeconds: jittered(2), reason: 'this gateway is saturated' };
    }
    const holding = this.inFlight.size + this.inIntake;
    if (holding >= this.limit) {
      this.turnsRefused++;
      return { admitted: false, retryAfterSeconds: jittered(1), reason: `${holding} turns are in flight` };
    }
    this.inIntake++;
    return { admitted: true, at: this.now() };
  }

  /** Whether a new connection may be accepted now (only the gateway's own saturation refuses one). */
  admitConnection(): Admission {
    if (!this.overloadedLoop) return { admitted: true };
    this.connectionsRefused++;
    return { admitted: false, retryAfterSeconds: jittered(2), reason: 'this gateway is saturated' };
  }

  private get windowMs(): number {
    return this.options.windowMs ?? 500;
  }

  /** The intake stored the admitted turn: it is in flight until `finished`. */
  accepted(turnId: string, modelId: string, admitted: AdmittedTurn): void {
    this.leaveIntake();
    this.inFlight.set(turnId, { at: admitted.at, modelId, excessMs: null });
  }

  /** The intake refused or failed the admitted turn, or found it already stored: it gives its place back. */
  withdrawn(): void {
    this.leaveIntake();
  }

  private leaveIntake(): void {
    this.inIntake = Math.max(0, this.inIntake - 1);
  }

  /** The turn's first token (or its end, for an empty reply) reached this gateway: the sample admission steers by. */
  firstOutput(turnId: string): void {
    const turn = this.inFlight.get(turnId);
    if (!turn || turn.excessMs !== null) return;
    const wait = this.now() - turn.at;
    const floor = this.floorOf(turn.modelId);
    floor.observe(wait);
    turn.excessMs = wait - floor.ms;
    if (turn.at >= this.lastCutAt) this.excessWaits.push(turn.excessMs);
  }

  /** The turn finished, failed, or nobody here follows it any more. */
  finished(turnId: string): void {
    const turn = this.inFlight.get(turnId);
    if (!turn) return;
    this.inFlight.delete(turnId);
    this.service.depart(turn.excessMs === null ? null : this.now() - turn.at - turn.excessMs);
  }

  get state(): AdmissionState {
    const { limit, inIntake, served, servedUnqueued, overloadedLoop, turnsRefused, connectionsRefused } = this;
    return { limit, inFlight: this.inFlight.size, inIntake, served, servedUnqueued, overloadedLoop, turnsRefused, connectionsRefused };
  }

  private floorOf(modelId: string): ModelFloor {
    let floor = this.floors.get(modelId);
    if (!floor) this.floors.set(modelId, (floor = new ModelFloor()));
    return floor;
  }

  close(): void {
    clearInterval(this.timer);
    this.loopDelay.disable();
  }

  /**
   * Multiplicative decrease when turns accepted since the last cut wait too long for their first token (or the loop
   * lags), additive increase while in use, up to what Little's law says the nodes serve.
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
    this.service.roll();
    const rate = this.service.measure(this.windowMs);
    this.served = rate === null ? null : turnsServed(rate, this.options.targetStartMs);
    this.servedUnqueued = rate === null ? null : turnsServed(rate, 0);
    // Turns still waiting for their first token past the target are slow samples already: waiting for them to
    // report would hear of a queue only after it has formed.
    const stillWaiting: number[] = [];
    for (const turn of this.inFlight.values()) {
      if (turn.excessMs !== null || turn.at < this.lastCutAt) continue;
      const excessSoFar = now - turn.at - this.floorOf(turn.modelId).ms;
      if (excessSoFar > this.options.targetStartMs) stillWaiting.push(excessSoFar);
    }
    const waits = this.excessWaits.concat(stillWaiting).sort((a, b) => a - b);
    // Too few fresh samples say nothing yet (one slow turn is not a trend): they are kept for the next window.
    if (waits.length < MIN_SAMPLES && !this.overloadedLoop) return;
    this.excessWaits = [];
    const p90 = waits.length > 0 ? waits[Math.min(waits.length - 1, Math.floor(waits.length * 0.9))]! : 0;
    if (this.overloadedLoop || (p90 > this.options.targetStartMs && this.servedUnqueued !== null)) {
      const cut = Math.floor(Math.min(this.limit, this.inFlight.size) * DECREASE);
      const keptBusy = this.overloadedLoop ? 0 : Math.min(this.limit, this.servedUnqueued ?? 0);
      this.limit = Math.max(MIN_LIMIT, cut, keptBusy);
      this.lastCutAt = now;
    } else if (p90 <= this.options.targetStartMs && this.inFlight.size >= this.limit * 0.75) {
      this.limit = Math.min(this.options.maxTurnsInFlight, this.grown(now));
    }
  }

  /**
   * The limit's next value while first tokens are on time: straight to what the recent throughput serves within the
   * target wait, once the last cut is a rate window (2 s) old; a step of 5 % before that, and never past it. The
   * throughput measured across a cut is the one that made first tokens late: jumping back to it at the first on-time
   * round after a cut swung the limit by a third every second.
   */
  private grown(now: number): number {
    const step = this.limit + Math.max(1, Math.round(this.limit * 0.05));
    if (this.served === null) return step;
    if (this.served <= this.limit) return this.limit;
    return now - this.lastCutAt >= RATE_WINDOWS * this.windowMs ? this.served : Math.min(this.served, step);
  }
}
