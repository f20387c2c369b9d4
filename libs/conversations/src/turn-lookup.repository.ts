// Reads of stored turns and receipts for their consumer (the gateway's): ownership, a finished turn with its reply
// and receipt. The writes are TurnIntakeRepository's and TurnRepository's.
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely, Selectable } from 'kysely';
import { DATABASE, type Database, type ReceiptsTable, type TurnRow, type TurnStatus } from '@doppel/db';

export type ReceiptRow = Selectable<ReceiptsTable>;

@Injectable()
export class TurnLookupRepository {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  async findOwned(turnId: string, consumerId: string): Promise<{ id: string; status: TurnStatus } | undefined> {
    return this.db.selectFrom('turns').select(['id', 'status']).where('id', '=', turnId).where('consumer_id', '=', consumerId).executeTakeFirst();
  }

  /** The stored turn, and for a finished one its reply and its receipt (if it has one). */
  async withReply(turnId: string): Promise<{ turn: TurnRow; reply: { id: string; content: string } | undefined; receipt: ReceiptRow | undefined }> {
    const turn = await this.db.selectFrom('turns').selectAll().where('id', '=', turnId).executeTakeFirstOrThrow();
    if (turn.status !== 'done') return { turn, reply: undefined, receipt: undefined };
    const [reply, receipt] = await Promise.all([
      this.db.selectFrom('messages').select(['id', 'content']).where('id', '=', turn.assistant_message_id!).executeTakeFirstOrThrow(),
      this.db.selectFrom('receipts').selectAll().where('turn_id', '=', turnId).executeTakeFirst(),
    ]);
    return { turn, reply, receipt };
  }

  /** A receipt of the consumer's own turns. */
  async ownedReceipt(receiptId: string, consumerId: string): Promise<ReceiptRow | undefined> {
    return this.db.selectFrom('receipts').selectAll().where('id', '=', receiptId).where('consumer_id', '=', consumerId).executeTakeFirst();
  }
}
