// The load harness against a real runtime it starts: a short, bounded run (20 agents, a few seconds) must pass its
// thresholds with intact streams, report runtime ÷ baseline, and exit 99 when a threshold is impossible.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startStack, type Stack } from './support/processes';

const ROOT = resolve(__dirname, '..');
const CLI = resolve(ROOT, 'loadtest/dist/loadtest/src/cli.js');

function runHarness(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolveRun({ code, output }));
  });
}

describe('the load harness, end to end', () => {
  let stack: Stack;
  let outDir: string;

  beforeAll(async () => {
    // The harness is compiled on its own (loadtest/tsconfig.json), so build it here rather than trust a stale dist.
    execFileSync(process.execPath, [resolve(ROOT, 'node_modules/typescript/bin/tsc'), '-p', resolve(ROOT, 'loadtest/tsconfig.json')], { cwd: ROOT, stdio: 'pipe' });
    outDir = mkdtempSync(join(tmpdir(), 'doppel-loadtest-'));
    stack = await startStack(['lt-node-a', 'lt-node-b'], {
      SYNTHETIC_TTFT_MS: '150',
      SYNTHETIC_TOKENS_PER_SECOND: '50',
      STREAM_CHUNK_INTERVAL_MS: '30',
      WORKER_CONCURRENCY: '16',
    });
  });

  afterAll(async () => {
    await stack?.stop();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('runs the ci preset with its baseline: thresholds pass, streams are intact, the report compares with the baseline', async () => {
    const out = join(outDir, 'ci');
    const servers = ['--redis-stats', inject('redisUrl'), '--pg-stats', inject('databaseUrl')];
    const { code, output } = await runHarness(['ci', '--url', stack.url, '--with-baseline', '--duration', '3s', ...servers, '--out', out, '--quiet']);
    expect(code, output).toBe(0);
    const summary = JSON.parse(readFileSync(`${out}.json`, 'utf8'));
    expect(summary.kind).toBe('runtime');
    expect(summary.counters.turns).toBeGreaterThan(10);
    expect(summary.counters.turns).toBe(summary.counters.turns_ok);
    expect(summary.counters.integrity_errors).toBe(0);
    expect(summary.trends.ttft.p95).toBeGreaterThanOrEqual(150);
    expect(summary.trends.queue_wait.count).toBe(summary.counters.turns);
    expect(summary.thresholdsOk).toBe(true);
    expect(summary.comparison.ratios.turnsPerS).toBeGreaterThan(0);
    expect(summary.comparison.ratios['ttft.p95']).toBeGreaterThanOrEqual(0.9);
    // What the runtime's servers did per turn: BullMQ's scripts and the relay's entries in Redis (started, chunks,
    // done: at least three a turn), PostgreSQL's commits (a backend reports them up to a second or more late, so
    // a 3-s run shows only part of them).
    const command = (name: string) => summary.serverStats.redis.commands.find((entry: { command: string }) => entry.command === name);
    expect(command('evalsha').callsPerTurn).toBeGreaterThanOrEqual(1);
    expect(command('xadd').callsPerTurn).toBeGreaterThanOrEqual(3);
    expect(summary.serverStats.postgres.commitsPerTurn).toBeGreaterThan(0);
    expect(summary.serverStats.errors).toEqual([]);
    const baseline = JSON.parse(readFileSync(`${out}-baseline.json`, 'utf8'));
    expect(baseline.kind).toBe('baseline');
    expect(baseline.counters.turns_ok).toBeGreaterThan(10);
    expect(baseline.serverStats).toBeUndefined();
    const html = readFileSync(`${out}.html`, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Runtime ÷ baseline');
    expect(html).toContain('Redis and PostgreSQL per successful turn');
    expect(html).not.toMatch(/<script|<link|(src|href)="https?:/); // self-contained: opens from disk
  }, 90_000);

  it('exits 99 when a threshold is set impossibly low', async () => {
    const out = join(outDir, 'impossible');
    const { code, output } = await runHarness(['ci', '--url', stack.url, '--duration', '2s', '--threshold', 'ttft=p(95)<1', '--out', out, '--quiet']);
    expect(code, output).toBe(99);
    const summary = JSON.parse(readFileSync(`${out}.json`, 'utf8'));
    expect(summary.thresholdsOk).toBe(false);
    expect(summary.thresholds).toContainEqual(expect.objectContaining({ metric: 'ttft', source: 'p(95)<1', ok: false }));
    expect(output).toContain("✗ ttft 'p(95)<1'");
  }, 60_000);

  it('refuses any target other than 127.0.0.1', async () => {
    const { code, output } = await runHarness(['ci', '--url', 'http://10.0.0.1:3000', '--quiet']);
    expect(code).toBe(1);
    expect(output).toContain('only targets 127.0.0.1');
    expect(existsSync(CLI)).toBe(true);
  });
});
