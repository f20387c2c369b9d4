// Owns settlement_batches and receipt_settlements: which receipts form which batch, and where its root was posted.
import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely } from 'kysely';
import { DATABASE, type Database } from '@doppel/db';
import type { Inclusion } from './inclusion-proof';
import { buildTree, verifyProof } from './merkle';
import { receiptLeaf } from './receipt-leaf';
import type { Receipt } from '@doppel/verification';

/** Any fixed number: serialises batch formation across every process sharing the database. */
const FORMATION_LOCK = 0x5e77_1e;

export interface BatchLimits {
  /** Receipts per batch at most; a batch forms as soon as this many are waiting. */
  max: number;
  /** A batch forms when its oldest waiting receipt is this old, however few there are. */
  maxAgeMs: number;
}

export interface FormedBatch {
  id: string;
  root: string;
  count: number;
}

export class SettlementInconsistentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettlementInconsistentError';
  }
}

@Injectable()
export class SettlementRepository {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  /**
   * Forms at most one batch from receipts in no batch yet, oldest first, when the size or the age limit is reached.
   * Runs under a transaction-scoped advisory lock, so two processes never put a receipt in two batches.
   */
  async formBatch(limits: BatchLimits, now: Date = new Date()): Promise<FormedBatch | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const locked = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${FORMATION_LOCK}) AS locked`.execute(trx);
      if (!locked.rows[0]?.locked) return undefined;
      const waiting = await trx
        .selectFrom('receipts')
        .leftJoin('receipt_settlements', 'receipt_settlements.receipt_id', 'receipts.id')
        .where('receipt_settlements.receipt_id', 'is', null)
        .select(['receipts.id', 'receipts.receipt', 'receipts.created_at'])
        .orderBy('receipts.created_at')
        .orderBy('receipts.id')
        .limit(limits.max)
        .execute();
      if (waiting.length === 0) return undefined;
      const oldest = new Date(waiting[0]!.created_at as unknown as string | Date).getTime();
      if (waiting.length < limits.max && now.getTime() - oldest < limits.maxAgeMs) return undefined;
      const leaves = waiting.map((row) => receiptLeaf(row.receipt as unknown as Receipt));
      const tree = buildTree(leaves);
      const batch = await trx
        .insertInto('settlement_batches')
        .values({ root: tree.root, receipt_count: leaves.length })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('receipt_settlements')
        .values(waiting.map((row, leafIndex) => ({ receipt_id: row.id, batch_id: batch.id, leaf_index: leafIndex, leaf: leaves[leafIndex]! })))
        .execute();
      return { id: String(batch.id), root: tree.root, count: leaves.length };
    });
  }

  async unpostedBatches(): Promise<FormedBatch[]> {
    const rows = await this.db.selectFrom('settlement_batches').select(['id', 'root', 'receipt_count']).where('tx_hash', 'is', null).orderBy('id').execute();
    return rows.map((row) => ({ id: String(row.id), root: row.root, count: row.receipt_count }));
  }

  async markPosted(batchId: string, txHash: string, blockNumber: number): Promise<void> {
    await this.db
      .updateTable('settlement_batches')
      .set({ tx_hash: txHash, block_number: blockNumber, posted_at: new Date() })
      .where('id', '=', batchId)
      .execute();
  }

  /** The receipt's batch, leaf and proof (rebuilt from the batch's stored leaves), or undefined when in no batch yet. */
  async inclusionOf(receiptId: string): Promise<Inclusion | undefined> {
    const member = await this.db
      .selectFrom('receipt_settlements')
      .innerJoin('settlement_batches', 'settlement_batches.id', 'receipt_settlements.batch_id')
      .where('receipt_settlements.receipt_id', '=', receiptId)
      .select(['receipt_settlements.batch_id', 'receipt_settlements.leaf_index', 'receipt_settlements.leaf', 'settlement_batches.root', 'settlement_batches.receipt_count', 'settlement_batches.tx_hash', 'settlement_batches.block_number'])
      .executeTakeFirst();
    if (!member) return undefined;
    const leaves = await this.db.selectFrom('receipt_settlements').select('leaf').where('batch_id', '=', member.batch_id).orderBy('leaf_index').execute();
    const tree = buildTree(leaves.map((row) => row.leaf));
    const proof = tree.proof(member.leaf_index);
    if (tree.root !== member.root || !verifyProof(member.leaf, proof, member.root)) {
      throw new SettlementInconsistentError(`batch ${member.batch_id}: its stored leaves do not hash to its root`);
    }
    return {
      receiptId,
      batchId: String(member.batch_id),
      leafIndex: member.leaf_index,
      leaf: member.leaf,
      root: member.root,
      proof,
      receiptCount: member.receipt_count,
      txHash: member.tx_hash,
      blockNumber: member.block_number === null ? null : Number(member.block_number),
    };
  }
}
