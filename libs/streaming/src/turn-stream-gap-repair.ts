// Keeps what a follower relays of a turn's stream whole when the stream itself has a hole. On a Redis Cluster,
// replication is asynchronous: entries a primary acknowledged just before it died may be missing on the replica that
// takes over, while the node goes on writing later chunks there. Within an attempt, chunk seqs grow by one, so a hole
// shows as a skipped seq. From the hole on, chunks are held back; the `done` event carries the whole reply, so the
// text after what was relayed is sent as one chunk before it. Nothing of this costs a Redis command.
import { replyStartedOver, type TurnStreamEvent } from './turn-stream-events';

export interface TurnStreamGap {
  attempt: number;
  /** The seq the stream should have had next. */
  expectedSeq: number;
  /** The seq it had instead. */
  seenSeq: number;
}

/** Where a resuming client already is: it holds chunks 0..afterSeq of that attempt, from before it reconnected. */
export interface ResumePoint {
  attempt: number;
  afterSeq: number;
}

export class TurnStreamGapRepair {
  private attempt = 1;
  private nextSeq = 0;
  private relayedText = '';
  private hole: TurnStreamGap | null = null;

  /**
   * onGap: called once per hole found (to log and count it: a gap is repaired, never silent). resume: the client's
   * position when it resumes: a hole at or before it lost chunks only the client saw, whose text nobody here knows.
   */
  constructor(
    private readonly onGap: (gap: TurnStreamGap) => void,
    private readonly resume?: ResumePoint,
  ) {}

  /** The events to relay for one entry read from the stream, in order. */
  accept(event: TurnStreamEvent): TurnStreamEvent[] {
    switch (event.type) {
      case 'started':
        if (event.attempt !== this.attempt) {
          this.attempt = event.attempt;
          this.nextSeq = 0;
          this.relayedText = '';
          this.hole = null;
        }
        return [event];
      case 'token':
        if (this.hole) return [];
        if (event.seq !== this.nextSeq) {
          // A seq below the next one is a later attempt whose `started` was lost; above it, lost chunks.
          this.hole = { attempt: this.attempt, expectedSeq: this.nextSeq, seenSeq: event.seq };
          this.onGap(this.hole);
          return [];
        }
        this.nextSeq++;
        this.relayedText += event.text;
        return [event];
      case 'done': {
        if (!this.hole && event.text === this.relayedText) return [event];
        if (!this.hole) {
          // Chunks lost at the end of the stream (the done entry survived, or was written again from PostgreSQL).
          this.hole = { attempt: this.attempt, expectedSeq: this.nextSeq, seenSeq: -1 };
          this.onGap(this.hole);
        }
        if (event.text.startsWith(this.relayedText) && !this.holeInsideResumedText()) {
          const rest = event.text.slice(this.relayedText.length);
          return rest ? [{ type: 'token', seq: this.nextSeq, text: rest }, event] : [event];
        }
        // What was relayed is not the start of the stored reply, or the client holds chunks lost here (so where the
        // rest starts is unknown): start the reply over, loudly, as a new attempt would.
        return replyStartedOver(this.attempt + 1, event);
      }
      case 'error':
        return [event];
    }
  }

  private holeInsideResumedText(): boolean {
    return this.hole !== null && this.resume !== undefined && this.resume.attempt === this.attempt && this.hole.expectedSeq <= this.resume.afterSeq;
  }
}
