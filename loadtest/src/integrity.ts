// Stream integrity of one turn: chunks must arrive with seq 0, 1, 2… (no gap, no duplicate, no reordering) and
// turn:done's text must equal the concatenated chunks. turn:restarted starts a new attempt at seq 0.

export type IntegrityViolation = 'gap' | 'duplicate' | 'reordered' | 'text_mismatch' | 'chunk_after_end';

export class StreamIntegrity {
  private expectedSeq = 0;
  private readonly seen = new Set<number>();
  private chunks: string[] = [];
  private ended = false;
  readonly violations: IntegrityViolation[] = [];

  /** Returns the violation this chunk caused, if any. Out-of-order chunks are kept in seq order for the text check. */
  token(seq: number, text: string): IntegrityViolation | null {
    if (this.ended) return this.flag('chunk_after_end');
    if (this.seen.has(seq)) return this.flag('duplicate');
    this.seen.add(seq);
    this.chunks[seq] = text;
    if (seq === this.expectedSeq) {
      this.expectedSeq++;
      return null;
    }
    if (seq > this.expectedSeq) {
      // Ahead of the next expected seq: a gap now; if the missing ones turn up later they count as reordered.
      this.expectedSeq = seq + 1;
      return this.flag('gap');
    }
    return this.flag('reordered');
  }

  restarted(): void {
    this.expectedSeq = 0;
    this.seen.clear();
    this.chunks = [];
  }

  /** Checks the final text; call once on turn:done. */
  done(finalText: string): IntegrityViolation | null {
    this.ended = true;
    const joined = this.chunks.join('');
    const complete = this.chunks.length === this.seen.size;
    if (!complete || joined !== finalText) return this.flag('text_mismatch');
    return null;
  }

  get chunkCount(): number {
    return this.seen.size;
  }

  get intact(): boolean {
    return this.violations.length === 0;
  }

  private flag(violation: IntegrityViolation): IntegrityViolation {
    this.violations.push(violation);
    return violation;
  }
}
