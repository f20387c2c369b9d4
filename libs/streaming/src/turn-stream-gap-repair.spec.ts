import { describe, expect, it } from 'vitest';
import type { TurnStreamEvent } from './turn-stream-events';
import { TurnStreamGapRepair, type ResumePoint, type TurnStreamGap } from './turn-stream-gap-repair';

const REPLY = 'one two three four five';
const CHUNKS = ['one', ' two', ' three', ' four', ' five'];

function started(attempt = 1): TurnStreamEvent {
  return { type: 'started', workerId: 'node-1', attempt };
}
function token(seq: number, text = CHUNKS[seq]!): TurnStreamEvent {
  return { type: 'token', seq, text };
}
function done(text = REPLY): TurnStreamEvent {
  return { type: 'done', messageId: 'm', userMessageId: 'u', alternatives: 1, text, usage: { promptTokens: 1, completionTokens: 5 }, timings: {} as never, verification: null };
}

/** What a follower relays for these stream entries, the text it ends with, and the gaps reported. */
function relay(entries: TurnStreamEvent[], resume?: ResumePoint) {
  const gaps: TurnStreamGap[] = [];
  const repair = new TurnStreamGapRepair((gap) => gaps.push(gap), resume);
  const relayed = entries.flatMap((entry) => repair.accept(entry));
  let text = '';
  let lastSeq = -1;
  for (const event of relayed) {
    if (event.type === 'started' && event.attempt > 1) [text, lastSeq] = ['', -1];
    if (event.type === 'token') {
      expect(event.seq).toBe(lastSeq + 1);
      lastSeq = event.seq;
      text += event.text;
    }
  }
  return { relayed, text, gaps };
}

describe('TurnStreamGapRepair', () => {
  it('relays a whole stream unchanged and reports nothing', () => {
    const entries = [started(), ...CHUNKS.map((_, seq) => token(seq)), done()];
    const { relayed, gaps } = relay(entries);
    expect(relayed).toEqual(entries);
    expect(gaps).toEqual([]);
  });

  it('holds back chunks after a hole and sends the rest of the done text as the next chunk', () => {
    const { relayed, text, gaps } = relay([started(), token(0), token(1), token(3), token(4), done()]);
    expect(gaps).toEqual([{ attempt: 1, expectedSeq: 2, seenSeq: 3 }]);
    expect(relayed.filter((event) => event.type === 'token')).toEqual([token(0), token(1), token(2, ' three four five')]);
    expect(relayed.at(-1)).toEqual(done());
    expect(text).toBe(REPLY);
  });

  it('repairs a stream that lost its start (started and the first chunks)', () => {
    const { text, gaps } = relay([token(2), token(3), token(4), done()]);
    expect(gaps).toEqual([{ attempt: 1, expectedSeq: 0, seenSeq: 2 }]);
    expect(text).toBe(REPLY);
  });

  it('repairs chunks lost at the end, before a done that survived', () => {
    const { relayed, text, gaps } = relay([started(), token(0), token(1), done()]);
    expect(gaps).toEqual([{ attempt: 1, expectedSeq: 2, seenSeq: -1 }]);
    expect(relayed.filter((event) => event.type === 'token').at(-1)).toEqual(token(2, ' three four five'));
    expect(text).toBe(REPLY);
  });

  it('treats a seq going back as a new attempt whose started was lost, and repairs at done', () => {
    const { text, gaps } = relay([started(), token(0), token(1), token(2), token(1), token(2), token(3), token(4), done()]);
    expect(gaps).toEqual([{ attempt: 1, expectedSeq: 3, seenSeq: 1 }]);
    expect(text).toBe(REPLY);
  });

  it('starts over loudly (a new attempt) when the relayed text is not the start of the stored reply', () => {
    const { relayed, text } = relay([started(), token(0, 'other'), token(2), done()]);
    expect(relayed.slice(-3)).toEqual([{ type: 'started', workerId: 'stream-repair', attempt: 2 }, token(0, REPLY), done()]);
    expect(text).toBe(REPLY);
  });

  it('follows a real restart: a new attempt is relayed whole, its own seqs checked from 0', () => {
    const { text, gaps } = relay([started(), token(0), token(1), started(2), ...CHUNKS.map((_, seq) => token(seq)), done()]);
    expect(gaps).toEqual([]);
    expect(text).toBe(REPLY);
  });

  it('starts over for a resuming client that holds chunks the stream lost (their text is known only to the client)', () => {
    // The client had seqs 0–3 from a gateway before the failover; the new primary lost seqs 2–3.
    const resume = { attempt: 1, afterSeq: 3 };
    const { relayed, gaps } = relay([started(), token(0), token(1), token(4), done()], resume);
    expect(gaps).toEqual([{ attempt: 1, expectedSeq: 2, seenSeq: 4 }]);
    expect(relayed.slice(-3)).toEqual([{ type: 'started', workerId: 'stream-repair', attempt: 2 }, token(0, REPLY), done()]);
    // A hole after what the client holds is repaired in place, as for any follower.
    const later = relay([started(), token(0), token(1), token(2), token(3), token(4), done()].filter((event) => !(event.type === 'token' && event.seq === 4)), { attempt: 1, afterSeq: 2 });
    expect(later.relayed.filter((event) => event.type === 'token').at(-1)).toEqual(token(4, ' five'));
  });

  it('passes an error through', () => {
    const error: TurnStreamEvent = { type: 'error', code: 'TURN_FAILED' as never, message: 'no' };
    expect(relay([started(), token(0), token(2), error]).relayed.at(-1)).toEqual(error);
  });
});
