// Computes the operator dashboard's snapshot from PostgreSQL (turns, nodes) and Redis (live heartbeats).
import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely } from 'kysely';
import { DATABASE, type Database } from '@doppel/db';
import { NodeRegistry, NodesRepository } from '@doppel/nodes';
import type { OpsLevel, OpsNode, OpsPercentiles, OpsSnapshot } from '@doppel/protocol';
import { LatestLoadTestReport } from './latest-load-test-report';
import { VerificationStats } from './verification-stats';

const THROUGHPUT_WINDOW_SECONDS = 10;

type PercentileRow = { p50: number | null; p95: number | null; p99: number | null };
const percentiles = (row: PercentileRow | undefined): OpsPercentiles => ({ p50: round(row?.p50), p95: round(row?.p95), p99: round(row?.p99) });
const round = (value: number | null | undefined) => (value === null || value === undefined ? null : Math.round(Number(value) * 10) / 10);

@Injectable()
export class OpsSnapshotService {
  private readonly loadTest = new LatestLoadTestReport();

  constructor(
    @Inject(DATABASE) private readonly db: Kysely<Database>,
    private readonly registry: NodeRegistry,
    private readonly nodes: NodesRepository,
    private readonly verificationStats: VerificationStats,
  ) {}

  async snapshot(): Promise<OpsSnapshot> {
    const [nodes, queue, throughput, latency, levels, loadTest] = await Promise.all([
      this.nodeList(),
      this.queue(),
      this.throughput(),
      this.latency(),
      this.levels(),
      this.loadTest.read(),
    ]);
    return { at: new Date().toISOString(), nodes, queue, throughput, latency, levels, loadTest };
  }

  private async nodeList(): Promise<OpsNode[]> {
    const [records, live] = await Promise.all([this.nodes.list(), this.registry.live()]);
    const liveByAddress = new Map(live.map((beat) => [beat.address.toLowerCase(), beat]));
    return records.map((record) => {
      const beat = liveByAddress.get(record.address);
      return {
        address: record.address,
        nodeId: record.nodeId,
        live: !!beat,
        chatModels: record.chatModels.map((model) => model.modelId),
        levels: record.levels,
        activeTurns: beat?.activeTurns ?? null,
        concurrency: beat?.concurrency ?? null,
        turnsServed: record.turnsServed,
        strikes: record.strikes,
        revoked: record.revokedAt !== null,
        lastSeenAt: new Date(beat?.beatAt ?? record.lastSeenAt).toISOString(),
      };
    });
  }

  private async queue(): Promise<OpsSnapshot['queue']> {
    const { rows } = await sql<{ queued: string; running: string } & PercentileRow>`
      SELECT (SELECT count(*) FROM turns WHERE status = 'queued')::text AS queued,
             (SELECT count(*) FROM turns WHERE status = 'running')::text AS running,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - queued_at) * 1000) AS p50,
             percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - queued_at) * 1000) AS p95,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - queued_at) * 1000) AS p99
      FROM turns WHERE finished_at > now() - interval '1 minute' AND started_at IS NOT NULL`.execute(this.db);
    const row = rows[0];
    return { queued: Number(row?.queued ?? 0), running: Number(row?.running ?? 0), waitMs: percentiles(row) };
  }

  private async throughput(): Promise<OpsSnapshot['throughput']> {
    const { rows } = await sql<{ done: string; failed: string }>`
      SELECT count(*) FILTER (WHERE status = 'done')::text AS done, count(*) FILTER (WHERE status = 'failed')::text AS failed
      FROM turns WHERE finished_at > now() - make_interval(secs => ${THROUGHPUT_WINDOW_SECONDS})`.execute(this.db);
    return {
      windowSeconds: THROUGHPUT_WINDOW_SECONDS,
      turnsPerSecond: Number(rows[0]?.done ?? 0) / THROUGHPUT_WINDOW_SECONDS,
      failedPerSecond: Number(rows[0]?.failed ?? 0) / THROUGHPUT_WINDOW_SECONDS,
    };
  }

  private async latency(): Promise<OpsSnapshot['latency']> {
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
      timeToFirstTokenMs: percentiles({ p50: row?.ttft50 ?? null, p95: row?.ttft95 ?? null, p99: row?.ttft99 ?? null }),
      totalMs: percentiles({ p50: row?.total50 ?? null, p95: row?.total95 ?? null, p99: row?.total99 ?? null }),
    };
  }

  private async levels(): Promise<OpsLevel[]> {
    const levels = await this.verificationStats.byLevel(60);
    return levels.map((level) => ({ ...level, addedMs: percentiles(level.addedMs), totalMs: percentiles(level.totalMs) }));
  }
}
