// Turns per verification level over a window and what each level costs, read from the turns table so every
// gateway reports the same: behind GET /operator/verification, /metrics and the /ops dashboard.
import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely } from 'kysely';
import { DATABASE, type Database } from '@doppel/db';

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface LevelStats {
  level: string;
  turnsDone: number;
  turnsFailed: number;
  /** Time a node spends on proof after the reply is generated: signing, and waiting for the re-execution. */
  addedMs: Percentiles;
  totalMs: Percentiles;
  reexecMismatches: number;
}

@Injectable()
export class VerificationStats {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  async byLevel(minutes: number): Promise<LevelStats[]> {
    const { rows } = await sql<{
      level: string;
      done: string;
      failed: string;
      mismatches: string;
      added50: number | null;
      added95: number | null;
      added99: number | null;
      total50: number | null;
      total95: number | null;
      total99: number | null;
    }>`
      SELECT t.verification_level AS level,
             count(*) FILTER (WHERE t.status = 'done')::text AS done,
             count(*) FILTER (WHERE t.status = 'failed')::text AS failed,
             count(r.id) FILTER (WHERE r.reexec_status = 'mismatch')::text AS mismatches,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY t.verification_ms) FILTER (WHERE t.status = 'done') AS added50,
             percentile_cont(0.95) WITHIN GROUP (ORDER BY t.verification_ms) FILTER (WHERE t.status = 'done') AS added95,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY t.verification_ms) FILTER (WHERE t.status = 'done') AS added99,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.finished_at - t.queued_at) * 1000) FILTER (WHERE t.status = 'done') AS total50,
             percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM t.finished_at - t.queued_at) * 1000) FILTER (WHERE t.status = 'done') AS total95,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM t.finished_at - t.queued_at) * 1000) FILTER (WHERE t.status = 'done') AS total99
      FROM turns t LEFT JOIN receipts r ON r.turn_id = t.id
      WHERE t.finished_at > now() - make_interval(mins => ${minutes})
      GROUP BY t.verification_level
      ORDER BY t.verification_level`.execute(this.db);
    return rows.map((row) => ({
      level: row.level,
      turnsDone: Number(row.done),
      turnsFailed: Number(row.failed),
      addedMs: { p50: row.added50, p95: row.added95, p99: row.added99 },
      totalMs: { p50: row.total50, p95: row.total95, p99: row.total99 },
      reexecMismatches: Number(row.mismatches),
    }));
  }
}
