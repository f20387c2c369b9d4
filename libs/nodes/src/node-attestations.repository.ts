// Each node's latest verified attestation (table node_attestations), and which nodes may serve a model at level tee.
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { DATABASE, type Database } from '@doppel/db';
import type { TeePlatform } from './tee-measurements.repository';

export interface StoredAttestation {
  nodeAddress: string;
  platform: TeePlatform;
  measurement: string;
  evidence: Buffer;
  boundAt: Date;
  verifiedAt: Date;
}

@Injectable()
export class NodeAttestationsRepository {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  /** Call only with evidence that verified (signature, chain, binding to this address): the row is trusted as is. */
  async record(entry: StoredAttestation): Promise<void> {
    const values = {
      node_address: entry.nodeAddress.toLowerCase(),
      platform: entry.platform,
      measurement: entry.measurement.toLowerCase(),
      evidence: entry.evidence,
      bound_at: entry.boundAt,
      verified_at: entry.verifiedAt,
    };
    await this.db
      .insertInto('node_attestations')
      .values(values)
      .onConflict((conflict) => conflict.column('node_address').doUpdateSet({ ...values, node_address: undefined }))
      .execute();
  }

  async forNode(address: string): Promise<StoredAttestation | null> {
    const row = await this.db.selectFrom('node_attestations').selectAll().where('node_address', '=', address.toLowerCase()).executeTakeFirst();
    return row
      ? { nodeAddress: row.node_address, platform: row.platform, measurement: row.measurement, evidence: row.evidence, boundAt: row.bound_at, verifiedAt: row.verified_at }
      : null;
  }

  /**
   * Unrevoked nodes whose attestation was bound after `boundAfter` and measures something approved (and not
   * revoked) for the model: the only nodes a tee turn may run on.
   */
  async attestedFor(modelId: string, boundAfter: Date): Promise<string[]> {
    const rows = await this.db
      .selectFrom('node_attestations as a')
      .innerJoin('tee_measurements as m', (join) => join.onRef('m.platform', '=', 'a.platform').onRef('m.measurement', '=', 'a.measurement'))
      .innerJoin('nodes as n', 'n.address', 'a.node_address')
      .select('a.node_address')
      .where('m.model_id', '=', modelId)
      .where('m.revoked_at', 'is', null)
      .where('n.revoked_at', 'is', null)
      .where('a.bound_at', '>', boundAfter)
      .execute();
    return rows.map((row) => row.node_address);
  }
}
