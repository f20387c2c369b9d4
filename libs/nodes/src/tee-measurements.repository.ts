// The measurement registry: which enclave measurements operators approved for which model (table tee_measurements).
import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely } from 'kysely';
import { DATABASE, isUuid, type Database } from '@doppel/db';
import { DoppelError, ErrorCode } from '@doppel/protocol';

export type TeePlatform = 'nitro' | 'sev-snp' | 'tdx';

export interface ApprovedMeasurement {
  id: string;
  modelId: string;
  platform: TeePlatform;
  /** Lowercase hex; per platform: docs/receipts.md, "TEE binding". */
  measurement: string;
  note: string | null;
  approvedBy: string | null;
  revokedAt: Date | null;
  createdAt: Date;
}

@Injectable()
export class TeeMeasurementsRepository {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  /** Approving an approved (or revoked) measurement again makes it current; the row keeps its id. */
  async approve(entry: { modelId: string; platform: TeePlatform; measurement: string; note?: string; approvedBy: string }): Promise<ApprovedMeasurement> {
    const row = await this.db
      .insertInto('tee_measurements')
      .values({ model_id: entry.modelId, platform: entry.platform, measurement: entry.measurement.toLowerCase(), note: entry.note ?? null, approved_by: entry.approvedBy })
      .onConflict((conflict) =>
        conflict.columns(['model_id', 'platform', 'measurement']).doUpdateSet({ revoked_at: null, note: entry.note ?? null, approved_by: entry.approvedBy }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toApproved(row);
  }

  async list(modelId?: string): Promise<ApprovedMeasurement[]> {
    let query = this.db.selectFrom('tee_measurements').selectAll().orderBy('created_at');
    if (modelId) query = query.where('model_id', '=', modelId);
    return (await query.execute()).map(toApproved);
  }

  async revoke(id: string): Promise<ApprovedMeasurement> {
    const row = isUuid(id)
      ? await this.db
          .updateTable('tee_measurements')
          .set({ revoked_at: sql<Date>`coalesce(revoked_at, now())` })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst()
      : undefined;
    if (!row) throw new DoppelError(ErrorCode.MeasurementNotFound, `No approved measurement has id ${id}.`);
    return toApproved(row);
  }

  /** The same question for a receipt, which names its model by content hash (bytes32, 0x-prefixed). */
  async isApprovedForModelHash(modelHash: string, platform: TeePlatform, measurement: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('tee_measurements')
      .innerJoin('models', 'models.id', 'tee_measurements.model_id')
      .select('tee_measurements.id')
      .where('models.content_hash', '=', modelHash.replace(/^0x/, '').toLowerCase())
      .where('tee_measurements.platform', '=', platform)
      .where('tee_measurements.measurement', '=', measurement.toLowerCase())
      .where('tee_measurements.revoked_at', 'is', null)
      .executeTakeFirst();
    return !!row;
  }

  /** Whether (platform, measurement) is approved and not revoked for the model. */
  async isApproved(modelId: string, platform: TeePlatform, measurement: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('tee_measurements')
      .select('id')
      .where('model_id', '=', modelId)
      .where('platform', '=', platform)
      .where('measurement', '=', measurement.toLowerCase())
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return !!row;
  }
}

function toApproved(row: {
  id: string;
  model_id: string;
  platform: TeePlatform;
  measurement: string;
  note: string | null;
  approved_by: string | null;
  revoked_at: Date | null;
  created_at: Date;
}): ApprovedMeasurement {
  return {
    id: row.id,
    modelId: row.model_id,
    platform: row.platform,
    measurement: row.measurement,
    note: row.note,
    approvedBy: row.approved_by,
    revokedAt: row.revoked_at,
    createdAt: row.created_at,
  };
}
