/**
 * Cuts a token stream at the first stop sequence, even one that spans several tokens: text that could be the
 * start of a stop sequence is held back until the next token shows whether it is.
 */
export class StopSequenceFilter {
  private text = '';
  private released = 0;
  private stopped = false;

  constructor(private readonly stops: readonly string[]) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Adds a token; returns the text that is now safe to emit (possibly empty). */
  push(token: string): string {
    if (this.stopped) return '';
    this.text += token;
    const stopAt = this.firstStop();
    if (stopAt !== null) {
      this.stopped = true;
      return this.release(stopAt);
    }
    return this.release(this.text.length - this.longestPartialStop());
  }

  /** At the end of the stream: whatever was held back. */
  flush(): string {
    return this.stopped ? '' : this.release(this.text.length);
  }

  private release(upTo: number): string {
    if (upTo <= this.released) return '';
    const out = this.text.slice(this.released, upTo);
    this.released = upTo;
    return out;
  }

  private firstStop(): number | null {
    let earliest: number | null = null;
    for (const stop of this.stops) {
      const at = this.text.indexOf(stop, Math.max(0, this.released - stop.length + 1));
      if (at >= 0 && (earliest === null || at < earliest)) earliest = at;
    }
    return earliest;
  }

  /** Length of the longest suffix of the text that is a proper prefix of some stop sequence. */
  private longestPartialStop(): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let length = Math.min(stop.length - 1, this.text.length); length > longest; length--) {
        if (this.text.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}
