import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LatestLoadTestReport } from './latest-load-test-report';

const report = (name: string, startedAt: string) => ({
  harness: 'doppel-loadtest/1',
  name,
  startedAt,
  durationS: 60,
  throughput: { turnsPerS: 12.5 },
  counters: { turns: 750, turns_ok: 749 },
  trends: { ttft: { med: 150, p95: 300, p99: 400 }, e2e: { med: 900, p95: 1200, p99: 1500 } },
  thresholdsOk: true,
});

describe('LatestLoadTestReport', () => {
  it('summarises the run that started last, ignoring other JSON, and notices a newer file', async () => {
    const root = await mkdtemp(join(tmpdir(), 'doppel-loadtest-'));
    const dir = join(root, 'loadtest/results');
    const latest = new LatestLoadTestReport(root);
    expect(await latest.read()).toBeNull();
    await mkdir(dir, { recursive: true });

    await writeFile(join(dir, 'a.json'), JSON.stringify(report('smoke', '2026-11-20T10:00:00.000Z')));
    await writeFile(join(dir, 'b.json'), JSON.stringify(report('load', '2026-11-21T10:00:00.000Z')));
    await writeFile(join(dir, 'notes.json'), JSON.stringify({ hello: 'not a report' }));
    expect(await latest.read()).toMatchObject({
      file: 'loadtest/results/b.json',
      name: 'load',
      turnsPerS: 12.5,
      turns: 750,
      turnsOk: 749,
      ttftMs: { p50: 150, p95: 300, p99: 400 },
      thresholdsOk: true,
    });

    await writeFile(join(dir, 'c.json'), JSON.stringify(report('stress', '2026-11-22T10:00:00.000Z')));
    expect((await latest.read())?.name).toBe('stress');
  });

  it('reads the committed reference runs when no local run is newer', async () => {
    const root = await mkdtemp(join(tmpdir(), 'doppel-loadtest-'));
    await mkdir(join(root, 'loadtest/reference'), { recursive: true });
    await writeFile(join(root, 'loadtest/reference/issue12-load.json'), JSON.stringify(report('load', '2026-11-21T10:00:00.000Z')));
    const latest = new LatestLoadTestReport(root);
    expect(await latest.read()).toMatchObject({ file: 'loadtest/reference/issue12-load.json', name: 'load' });

    await mkdir(join(root, 'loadtest/results'), { recursive: true });
    await writeFile(join(root, 'loadtest/results/mine.json'), JSON.stringify(report('smoke', '2026-11-22T10:00:00.000Z')));
    expect(await latest.read()).toMatchObject({ file: 'loadtest/results/mine.json', name: 'smoke' });
  });

  it('reads the reference files as they are committed', async () => {
    const repoRoot = join(__dirname, '../../../..');
    const summary = await new LatestLoadTestReport(repoRoot, ['loadtest/reference']).read();
    expect(summary?.file).toMatch(/^loadtest\/reference\/issue12-[\w-]+\.json$/);
    expect(summary?.turnsPerS).toBeGreaterThan(0);
  });
});
