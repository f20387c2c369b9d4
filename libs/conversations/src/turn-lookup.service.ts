// Reading turns back for their consumer: ownership, status, and the final event of a finished turn.
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { DATABASE, isUuid, type Database, type TurnStatus } from '@doppel/db';
import { ErrorCode, type TurnDoneEvent, type TurnErrorEvent } from '@doppel/protocol';
import { turnTimings } from '@doppel/turns';
import { levelsOf } from '@doppel/verification';

@Injectable()
export class TurnLookup {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  async findOwned(turnId: string, consumerId: string): Promise<{ id: string; status: TurnStatus } | null> {
    if (!isUuid(turnId)) return null;
    return (await this.db.selectFrom('turns').select(['id', 'status']).where('id', '=', turnId).where('consumer_id', '=', consumerId).executeTakeFirst()) ?? null;
  }

  /** turn:done or turn:error rebuilt from the stored turn, for a client that comes back after the stream expired. */
  async finalEvent(turnId: string): Promise<{ type: 'done'; event: TurnDoneEvent } | { type: 'error'; event: TurnErrorEvent }> {
    const turn = await this.db.selectFrom('turns').selectAll().where('id', '=', turnId).executeTakeFirstOrThrow();
    if (turn.status !== 'done') {
      return { type: 'error', event: { turnId, code: (turn.error_code as ErrorCode) ?? ErrorCode.TurnFailed, message: turn.error_message ?? 'The turn failed.' } };
    }
    const message = await this.db.selectFrom('messages').select(['id', 'content']).where('id', '=', turn.assistant_message_id!).executeTakeFirstOrThrow();
    const receipt = await this.db.selectFrom('receipts').selectAll().where('turn_id', '=', turnId).executeTakeFirst();
    return {
      type: 'done',
      event: {
        turnId,
        messageId: message.id,
        text: message.content,
        usage: { promptTokens: turn.prompt_tokens ?? 0, completionTokens: turn.completion_tokens ?? 0 },
        timings: turnTimings(turn),
        verification: receipt
          ? {
              level: receipt.level,
              levels: levelsOf(receipt.level),
              reexec: receipt.reexec_status,
              receiptId: receipt.id,
              receipt: receipt.receipt as Record<string, unknown>,
              transcript: receipt.transcript as Record<string, unknown>,
            }
          : null,
      },
    };
  }
}
