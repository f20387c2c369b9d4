// Reading turns back for their consumer: ownership, status, and the final event of a finished turn (which a worker that
// finds its turn already finished publishes again, too).
import { Injectable } from '@nestjs/common';
import { ConversationsRepository } from '@doppel/conversations';
import { isUuid, type TurnRow, type TurnStatus } from '@doppel/db';
import { ErrorCode, type TurnDoneEvent, type TurnErrorEvent } from '@doppel/protocol';
import { storedTurnDone } from './turn-done-event';
import { TurnLookupRepository, type ReceiptRow } from './turn-lookup.repository';

@Injectable()
export class TurnLookup {
  constructor(
    private readonly repository: TurnLookupRepository,
    private readonly conversations: ConversationsRepository,
  ) {}

  async findOwned(turnId: string, consumerId: string): Promise<{ id: string; status: TurnStatus } | null> {
    if (!isUuid(turnId)) return null;
    return (await this.repository.findOwned(turnId, consumerId)) ?? null;
  }

  /** Those of `turnIds` that are finished (done or failed); ids that are not UUIDs are none of them. */
  async finishedAmong(turnIds: readonly string[]): Promise<string[]> {
    const valid = turnIds.filter(isUuid);
    return valid.length === 0 ? [] : this.repository.finishedAmong(valid);
  }

  /** A receipt of the consumer's own turns, or null (unknown and not theirs look the same). */
  async ownedReceipt(receiptId: string, consumerId: string): Promise<ReceiptRow | null> {
    if (!isUuid(receiptId)) return null;
    return (await this.repository.ownedReceipt(receiptId, consumerId)) ?? null;
  }

  /** turn:done or turn:error rebuilt from the stored turn, for a client that comes back after the stream expired. */
  async finalEvent(turnId: string): Promise<{ type: 'done'; event: TurnDoneEvent } | { type: 'error'; event: TurnErrorEvent }> {
    const turn = await this.repository.turn(turnId);
    if (turn.status !== 'done' || !turn.assistant_message_id) {
      return { type: 'error', event: { turnId, code: (turn.error_code as ErrorCode) ?? ErrorCode.TurnFailed, message: turn.error_message ?? 'The turn failed.' } };
    }
    return { type: 'done', event: { turnId, ...(await this.storedDone(turn)) } };
  }

  /** The done event of a turn stored done, exactly as the live turn sent it (reply, receipt, number of replies). */
  async storedDone(turn: TurnRow): Promise<Omit<TurnDoneEvent, 'turnId'>> {
    const [reply, receipt, replies] = await Promise.all([
      this.conversations.storedReply(turn.assistant_message_id!),
      this.repository.receiptOf(turn.id),
      this.conversations.replyCount(turn.user_message_id),
    ]);
    return storedTurnDone(turn, reply, receipt, replies);
  }
}
