// Computes the operator dashboard's snapshot from PostgreSQL (turns, nodes) and Redis (live heartbeats).
import { Injectable } from '@nestjs/common';
import { NodeRegistry, NodesRepository } from '@doppel/nodes';
import type { OpsLevel, OpsNode, OpsPercentiles, OpsSnapshot } from '@doppel/protocol';
import { LatestLoadTestReport } from './latest-load-test-report';
import { TurnStatsRepository } from './turn-stats.repository';

const THROUGHPUT_WINDOW_SECONDS = 10;

type PercentileRow = { p50: number | null; p95: number | null; p99: number | null };
const percentiles = (row: PercentileRow | undefined): OpsPercentiles => ({ p50: round(row?.p50), p95: round(row?.p95), p99: round(row?.p99) });
const round = (value: number | null | undefined) => (value === null || value === undefined ? null : Math.round(Number(value) * 10) / 10);

@Injectable()
export class OpsSnapshotService {
  private readonly loadTest = new LatestLoadTestReport();

  constructor(
    private readonly registry: NodeRegistry,
    private readonly nodes: NodesRepository,
    private readonly turnStats: TurnStatsRepository,
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
    const { queued, running, waitMs } = await this.turnStats.queue();
    return { queued, running, waitMs: percentiles(waitMs) };
  }

  private async throughput(): Promise<OpsSnapshot['throughput']> {
    const { done, failed } = await this.turnStats.finishedWithin(THROUGHPUT_WINDOW_SECONDS);
    return { windowSeconds: THROUGHPUT_WINDOW_SECONDS, turnsPerSecond: done / THROUGHPUT_WINDOW_SECONDS, failedPerSecond: failed / THROUGHPUT_WINDOW_SECONDS };
  }

  private async latency(): Promise<OpsSnapshot['latency']> {
    const { timeToFirstTokenMs, totalMs } = await this.turnStats.latency();
    return { timeToFirstTokenMs: percentiles(timeToFirstTokenMs), totalMs: percentiles(totalMs) };
  }

  private async levels(): Promise<OpsLevel[]> {
    const levels = await this.turnStats.byLevel(60);
    return levels.map((level) => ({ ...level, addedMs: percentiles(level.addedMs), totalMs: percentiles(level.totalMs) }));
  }
}
