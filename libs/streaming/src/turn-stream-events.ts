// What a worker writes into a turn's Redis Stream, entry by entry, and the gateway relays to the socket.
import type { ErrorCode, TurnDoneEvent } from '@doppel/protocol';

export type TurnStreamEvent =
  | { type: 'started'; workerId: string; attempt: number }
  | { type: 'token'; seq: number; text: string }
  | ({ type: 'done' } & Omit<TurnDoneEvent, 'turnId'>)
  | { type: 'error'; code: ErrorCode; message: string };

/** The key carries its stream group as a hash tag (see @doppel/redis). */
export { turnStreamKey } from '@doppel/redis';

export const EVENT_FIELD = 'event';

export function isTerminal(event: TurnStreamEvent): boolean {
  return event.type === 'done' || event.type === 'error';
}

/**
 * The reply sent over again, whole, as attempt `attempt`: for a client holding chunks whose place in the stored reply
 * is unknown (a hole in a stream, a stream gone). It sees `turn:restarted`, then the whole text as one chunk, then done.
 */
export function replyStartedOver(attempt: number, done: Extract<TurnStreamEvent, { type: 'done' }>): TurnStreamEvent[] {
  return [{ type: 'started', workerId: 'stream-repair', attempt }, { type: 'token', seq: 0, text: done.text }, done];
}
