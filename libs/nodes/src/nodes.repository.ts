// The durable record of inference nodes: address, what they serve, strikes, revocation.
import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely } from 'kysely';
import { DATABASE, type Database } from '@doppel/db';
import { DoppelError, ErrorCode } from '@doppel/protocol';

export interface NodeRecord {
  address: string;
  nodeId: string;
  chatModels: { modelId: string; modelHash: string }[];
  levels: string[];
  strikes: number;
  turnsServed: number;
  revokedAt: Date | null;
  revokedReason: string | null;
  lastSeenAt: Date;
}

@Injectable()
export class NodesRepository {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  async register(address: string, nodeId: string, chatModels: NodeRecord['chatModels']): Promise<NodeRecord> {
    const values = { address: address.toLowerCase(), node_id: nodeId, chat_models: JSON.stringify(chatModels), last_seen_at: new Date() };
    const row = await this.db
      .insertInto('nodes')
      .values(values)
      .onConflict((conflict) => conflict.column('address').doUpdateSet({ node_id: values.node_id, chat_models: values.chat_models, last_seen_at: values.last_seen_at }))
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  /** turnsServed is counted from the turns the node finished, so the hot path writes nothing extra for it. */
  async list(): Promise<NodeRecord[]> {
    const rows = await this.db
      .selectFrom('nodes')
      .selectAll()
      .select((eb) =>
        eb
          .selectFrom('turns')
          .select(sql<string>`count(*)::text`.as('count'))
          .whereRef('turns.node_address', '=', 'nodes.address')
          .where('turns.status', '=', 'done')
          .as('turns_served'),
      )
      .orderBy('created_at')
      .execute();
    return rows.map((row) => toRecord({ ...row, turns_served: row.turns_served ?? '0' }));
  }

  /** Addresses that receipts may be signed by: registered and not revoked. */
  async trustedAddresses(): Promise<Set<string>> {
    const rows = await this.db.selectFrom('nodes').select('address').where('revoked_at', 'is', null).execute();
    return new Set(rows.map((row) => row.address));
  }

  async revoke(address: string, reason: string): Promise<NodeRecord> {
    const row = await this.db
      .updateTable('nodes')
      .set({ revoked_at: sql<Date>`coalesce(revoked_at, now())`, revoked_reason: reason })
      .where('address', '=', address.toLowerCase())
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new DoppelError(ErrorCode.NodeNotFound, `No node has address ${address}.`);
    return toRecord(row);
  }

  async recordReexecution(entry: { turnId: string; servingNode: string; checkingNode: string; kind: 'requested' | 'spot_check'; matched: boolean; detail?: string }): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('reexecutions')
        .values({
          turn_id: entry.turnId,
          serving_node: entry.servingNode.toLowerCase(),
          checking_node: entry.checkingNode.toLowerCase(),
          kind: entry.kind,
          matched: entry.matched,
          detail: entry.detail ?? null,
        })
        .execute();
      if (!entry.matched) {
        await trx.updateTable('nodes').set({ strikes: sql<number>`strikes + 1` }).where('address', '=', entry.servingNode.toLowerCase()).execute();
      }
    });
  }

}

function toRecord(row: {
  address: string;
  node_id: string;
  chat_models: unknown;
  levels: string[];
  strikes: number;
  turns_served: string;
  revoked_at: Date | null;
  revoked_reason: string | null;
  last_seen_at: Date;
}): NodeRecord {
  return {
    address: row.address,
    nodeId: row.node_id,
    chatModels: row.chat_models as NodeRecord['chatModels'],
    levels: row.levels,
    strikes: row.strikes,
    turnsServed: Number(row.turns_served),
    revokedAt: row.revoked_at,
    revokedReason: row.revoked_reason,
    lastSeenAt: row.last_seen_at,
  };
}
