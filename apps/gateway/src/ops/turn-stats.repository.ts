// The operators' figures, read from the turns table so every gateway reports the same: queue, throughput and
// latency for the /ops dashboard; turns per verification level and what each costs for it, GET
// /operator/verification and /metrics.
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
export class TurnStatsRepository {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  /** Turns queued and running now, and the queue wait of turns finished in the last minute. */
  async queue(): Promise<{ queued: number; running: number; waitMs: Percentiles }> {
    const { rows } = await sql<{ queued: string; running: string; p50: number | null; p95: number | null; p99: number | null }>`
      SELECT (SELECT count(*) FROM turns WHERE finished_at IS NULL AND status = 'queued')::text AS queued,
             (SELECT count(*) FROM turns WHERE finished_at IS NULL AND status = 'running')::text AS running,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - queued_at) * 1000) AS p50,
             percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - queued_at) * 1000) AS p95,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - queued_at) * 1000) AS p99
      FROM turns WHERE finished_at > now() - interval '1 minute' AND started_at IS NOT NULL`.execute(this.db);
    const row = rows[0];
    return { queued: Number(row?.queued ?? 0), running: Number(row?.running ?? 0), waitMs: { p50: row?.p50 ?? null, p95: row?.p95 ?? null, p99: row?.p99 ?? null } };
  }

  /** Turns finished (done, failed) in the last `seconds`. */
  async finishedWithin(seconds: number): Promise<{ done: number; failed: number }> {
    const { rows } = await sql<{ done: string; failed: string }>`
      SELECT count(*) FILTER (WHERE status = 'done')::text AS done, count(*) FILTER (WHERE status = 'failed')::text AS failed
      FROM turns WHERE finished_at > now() - make_interval(secs => ${seconds})`.execute(this.db);
    return { done: Number(rows[0]?.done ?? 0), failed: Number(rows[0]?.failed ?? 0) };
  }

  /** Time to first token and total time of the turns done in the last minute. */
  async latency(): Promise<{ timeToFirstTokenMs: Percentiles; totalMs: Percentiles }> {
    const { rows } = await sql<{ ttft50: number | null; ttft95: number | null; ttft99: number | null; total50: number | null; total95: number | null; total99: number | null }>`
      SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_token_at - queued_at) * 1000) AS ttft50,
             percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM first_token_at - queued_at) * 1000) AS ttft95,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM first_token_at - queued_at) * 1000) AS ttft99,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - queued_at) * 1000) AS total50,
             percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - queued_at) * 1000) AS total95,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - queued_at) * 1000) AS total99
      FROM turns WHERE status = 'done' AND finished_at > now() - interval '1 minute'`.execute(this.db);
    const row = rows[0];
    return {
      timeToFirstTokenMs: { p50: row?.ttft50 ?? null, p95: row?.ttft95 ?? null, p99: row?.ttft99 ?? null },
      totalMs: { p50: row?.total50 ?? null, p95: row?.total95 ?? null, p99: row?.total99 ?? null },
    };
  }

  /** Turns per verification level finished in the last `minutes`, and what each level adds. */
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
