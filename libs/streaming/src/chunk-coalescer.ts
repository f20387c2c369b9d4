/**
 * Joins tokens that arrive within `intervalMs` into one chunk, so a fast model does not flood the socket.
 * The first token is flushed at once (it is what time-to-first-token measures); later ones wait for the timer.
 * Concatenating every flushed chunk gives exactly the concatenated tokens.
 */
export class ChunkCoalescer {
  private buffered = '';
  private timer: NodeJS.Timeout | null = null;
  private flushedAny = false;

  constructor(
    private readonly intervalMs: number,
    private readonly onChunk: (text: string) => void,
  ) {}

  push(text: string): void {
    if (!text) return;
    this.buffered += text;
    if (!this.flushedAny || this.intervalMs === 0) {
      this.flush();
      return;
    }
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.buffered) return;
    const chunk = this.buffered;
    this.buffered = '';
    this.flushedAny = true;
    this.onChunk(chunk);
  }

  /** Drops anything buffered (used when the turn failed and its partial text must not be sent). */
  discard(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.buffered = '';
  }
}
