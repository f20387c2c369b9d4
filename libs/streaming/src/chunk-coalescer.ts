/**
 * Joins tokens that arrive within `intervalMs` into one chunk, so a fast model does not flood the socket.
 * The first token is flushed at once (it is what time-to-first-token measures); later ones wait for the next tick.
 * Concatenating every flushed chunk gives exactly the concatenated tokens.
 *
 * Every coalescer with the same interval shares one clock: the chunks of all the turns a node is streaming are
 * flushed in the same tick, so their XADDs leave in one pipelined write instead of one write (and one timer) each.
 */
export class ChunkCoalescer {
  private buffered = '';
  private flushedAny = false;
  private readonly clock: FlushClock | null;

  constructor(
    intervalMs: number,
    private readonly onChunk: (text: string) => void,
  ) {
    this.clock = intervalMs > 0 ? FlushClock.of(intervalMs) : null;
  }

  push(text: string): void {
    if (!text) return;
    this.buffered += text;
    if (!this.flushedAny || !this.clock) {
      this.flush();
      return;
    }
    this.clock.schedule(this);
  }

  flush(): void {
    this.clock?.cancel(this);
    if (!this.buffered) return;
    const chunk = this.buffered;
    this.buffered = '';
    this.flushedAny = true;
    this.onChunk(chunk);
  }

  /** Drops anything buffered (used when the turn failed and its partial text must not be sent). */
  discard(): void {
    this.clock?.cancel(this);
    this.buffered = '';
  }
}

/** One timer per interval for every coalescer holding text; it stops when none does. */
class FlushClock {
  private static readonly clocks = new Map<number, FlushClock>();
  private readonly pending = new Set<ChunkCoalescer>();
  private timer: NodeJS.Timeout | null = null;

  private constructor(private readonly intervalMs: number) {}

  static of(intervalMs: number): FlushClock {
    let clock = FlushClock.clocks.get(intervalMs);
    if (!clock) FlushClock.clocks.set(intervalMs, (clock = new FlushClock(intervalMs)));
    return clock;
  }

  schedule(coalescer: ChunkCoalescer): void {
    this.pending.add(coalescer);
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
  }

  cancel(coalescer: ChunkCoalescer): void {
    this.pending.delete(coalescer);
  }

  private tick(): void {
    if (this.pending.size === 0) {
      clearInterval(this.timer!);
      this.timer = null;
      return;
    }
    const due = [...this.pending];
    this.pending.clear();
    for (const coalescer of due) coalescer.flush();
  }
}
