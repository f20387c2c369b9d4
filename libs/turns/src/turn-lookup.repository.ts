// Reads of stored turns and receipts (for the gateway, and for a worker rebuilding a finished turn's done): ownership,
// a turn's outcome and its receipt.
// The writes are TurnIntakeRepository's and TurnRepository's; a reply's text and count are ConversationsRepository's.
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

  async turn(turnId: string): Promise<TurnRow> {
    return this.db.selectFrom('turns').selectAll().where('id', '=', turnId).executeTakeFirstOrThrow();
  }

  /** Those of `turnIds` that are finished (done or failed). */
  async finishedAmong(turnIds: readonly string[]): Promise<string[]> {
    const rows = await this.db.selectFrom('turns').select('id').where('id', 'in', turnIds).where('status', 'in', ['done', 'failed']).execute();
    return rows.map((row) => row.id);
  }

  /** The receipt of a turn, if it has one. */
  async receiptOf(turnId: string): Promise<ReceiptRow | undefined> {
    return this.db.selectFrom('receipts').selectAll().where('turn_id', '=', turnId).executeTakeFirst();
  }

  /** A receipt of the consumer's own turns. */
  async ownedReceipt(receiptId: string, consumerId: string): Promise<ReceiptRow | undefined> {
    return this.db.selectFrom('receipts').selectAll().where('id', '=', receiptId).where('consumer_id', '=', consumerId).executeTakeFirst();
  }
}
