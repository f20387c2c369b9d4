// The newest load-harness report summarised for the dashboard: local runs (loadtest/results/*.json, untracked) and
// the committed reference runs (loadtest/reference/*.json); re-read only when a newer file appears.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { OpsLoadTestSummary, OpsPercentiles } from '@doppel/protocol';

interface ReportTrend {
  med?: number;
  p95?: number;
  p99?: number;
}
interface LoadTestReport {
  harness?: string;
  name?: string;
  startedAt?: string;
  durationS?: number;
  throughput?: { turnsPerS?: number };
  counters?: { turns?: number; turns_ok?: number };
  trends?: { ttft?: ReportTrend; e2e?: ReportTrend };
  thresholdsOk?: boolean;
}

const trend = (value: ReportTrend | undefined): OpsPercentiles => ({ p50: value?.med ?? null, p95: value?.p95 ?? null, p99: value?.p99 ?? null });

export class LatestLoadTestReport {
  /** The directory listing (names and mtimes) the cached summary was computed from. */
  private cached: { listing: string; summary: OpsLoadTestSummary | null } | null = null;

  /** `dirs` are relative to `root`; the summary names its file by that relative path. */
  constructor(
    private readonly root = process.cwd(),
    private readonly dirs = ['loadtest/results', 'loadtest/reference'],
  ) {}

  async read(): Promise<OpsLoadTestSummary | null> {
    const files: string[] = [];
    for (const dir of this.dirs) {
      const names = await readdir(resolve(this.root, dir)).catch(() => [] as string[]);
      files.push(...names.filter((name) => name.endsWith('.json')).sort().map((name) => `${dir}/${name}`));
    }
    const stats = await Promise.all(files.map((file) => stat(resolve(this.root, file)).then((info) => ({ file, mtimeMs: info.mtimeMs }))));
    const listing = stats.map(({ file, mtimeMs }) => `${file}@${mtimeMs}`).join('|');
    if (this.cached?.listing === listing) return this.cached.summary;
    // Files checked out together share one mtime, so the run's own start time decides which is newest.
    let newest: OpsLoadTestSummary | null = null;
    for (const { file, mtimeMs } of stats) {
      const summary = await this.summarise(file, mtimeMs);
      if (summary && (!newest || summary.startedAt > newest.startedAt)) newest = summary;
    }
    this.cached = { listing, summary: newest };
    return newest;
  }

  private async summarise(file: string, mtimeMs: number): Promise<OpsLoadTestSummary | null> {
    try {
      const report = JSON.parse(await readFile(resolve(this.root, file), 'utf8')) as LoadTestReport;
      if (!report.harness?.startsWith('doppel-loadtest')) return null;
      return {
        file,
        name: report.name ?? basename(file),
        startedAt: report.startedAt ?? new Date(mtimeMs).toISOString(),
        durationS: report.durationS ?? 0,
        turnsPerS: report.throughput?.turnsPerS ?? null,
        turns: report.counters?.turns ?? null,
        turnsOk: report.counters?.turns_ok ?? null,
        ttftMs: trend(report.trends?.ttft),
        e2eMs: trend(report.trends?.e2e),
        thresholdsOk: report.thresholdsOk ?? null,
      };
    } catch {
      return null;
    }
  }
}
