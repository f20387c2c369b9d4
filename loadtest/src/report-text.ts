// The end-of-test summary on the terminal, laid out like k6's.
import type { TrendStats } from './metrics';
import type { Summary } from './summary';
import type { PostgresStatementCost } from './server-stats';

const DESCRIPTIONS: Record<string, string> = {
  connect_time: 'socket.io handshake incl. API-key auth',
  setup_time: 'signup + conversation (before the clock)',
  send_lag: 'due → emitted (generator lateness)',
  ack_latency: 'due → turn:send ack',
  queue_wait: 'runtime: queued → worker started',
  ttft: 'due → first chunk',
  ttft_added: 'ttft − backend first-token time',
  server_ttft: 'runtime: queued → first token',
  itl: 'gap between chunks',
  tpot: '(e2e − ttft) / (tokens − 1)',
  e2e: 'due → turn:done',
};

export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(2)}m`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms >= 1) return `${ms.toFixed(2)}ms`;
  return `${(ms * 1000).toFixed(0)}µs`;
}

function dots(label: string, width = 34): string {
  return `${label}${'.'.repeat(Math.max(2, width - label.length))}:`;
}

function trendLine(stats: TrendStats): string {
  return `avg=${formatMs(stats.avg)} min=${formatMs(stats.min)} med=${formatMs(stats.med)} p(90)=${formatMs(stats.p90)} p(95)=${formatMs(stats.p95)} p(99)=${formatMs(stats.p99)} max=${formatMs(stats.max)} n=${stats.count}`;
}

export function renderText(summary: Summary): string {
  const lines: string[] = [];
  const thresholdMark = (metric: string) => {
    const results = summary.thresholds.filter((result) => result.metric === metric);
    if (results.length === 0) return '  ';
    return results.every((result) => result.ok) ? '✓ ' : '✗ ';
  };
  lines.push('');
  lines.push(`     target: ${summary.target} (${summary.kind})   run: ${summary.name}   generators: ${summary.generators}`);
  lines.push(`     duration: ${summary.durationS}s   peak VUs: ${summary.peaks.vus}   peak connections: ${summary.peaks.connections}   peak in flight: ${summary.peaks.inFlight}`);
  const options = summary.options as { scenarios?: Record<string, { executor: string }> };
  for (const [name, scenario] of Object.entries(options.scenarios ?? {})) lines.push(`       * ${name}: ${scenario.executor} ${JSON.stringify(scenario).slice(0, 160)}`);
  lines.push('');
  if (summary.thresholds.length > 0) {
    lines.push('     THRESHOLDS');
    for (const result of summary.thresholds) {
      const actual = result.actual === null ? 'no samples' : Number.isInteger(result.actual) ? String(result.actual) : result.actual.toFixed(4);
      lines.push(`     ${result.ok ? '✓' : '✗'} ${result.metric} '${result.source}'  (actual ${actual})`);
    }
    lines.push('');
  }
  const checkTotal = Object.values(summary.checks).reduce((sum, check) => sum + check.passes + check.fails, 0);
  const checkPasses = Object.values(summary.checks).reduce((sum, check) => sum + check.passes, 0);
  lines.push(`   ${thresholdMark('checks')}${dots('checks')} ${checkTotal ? ((checkPasses / checkTotal) * 100).toFixed(2) : '0.00'}% ✓ ${checkPasses} ✗ ${checkTotal - checkPasses}`);
  for (const [name, check] of Object.entries(summary.checks)) lines.push(`       ${check.fails === 0 ? '✓' : '✗'} ${name} (${check.passes}/${check.passes + check.fails})`);
  for (const [name, stats] of Object.entries(summary.trends)) {
    if (!stats) continue;
    lines.push(`   ${thresholdMark(name)}${dots(name)} ${trendLine(stats)}`);
    if (DESCRIPTIONS[name]) lines.push(`       ${' '.repeat(30)}(${DESCRIPTIONS[name]})`);
  }
  const perSecond = (count: number) => (count / Math.max(1, summary.durationS)).toFixed(2);
  for (const [name, count] of Object.entries(summary.counters)) {
    if (count === 0 && !['turns', 'dropped_turns', 'integrity_errors'].includes(name)) continue;
    lines.push(`   ${thresholdMark(name)}${dots(name)} ${count}  ${perSecond(count)}/s`);
  }
  for (const [name, rate] of Object.entries(summary.rates)) {
    if (name === 'checks') continue;
    lines.push(`   ${thresholdMark(name)}${dots(name)} ${(rate.rate * 100).toFixed(3)}%  ${rate.passes} of ${rate.total}`);
  }
  const t = summary.throughput;
  lines.push(`     ${dots('successful turns')} ${t.okTurnsPerS} turns/s (peak 10 s: ${t.peakOkTurnsPerS})`);
  lines.push(`     ${dots('throughput')} ${t.turnsPerS} turns/s (peak 10 s: ${t.peakTurnsPerS})   ${t.outputTokensPerS} output tokens/s (peak ${t.peakOutputTokensPerS})   goodput ${t.goodputPerS} turns/s (peak ${t.peakGoodputPerS})`);
  if (Object.keys(summary.errorsByCode).length > 0) lines.push(`     ${dots('errors by code')} ${Object.entries(summary.errorsByCode).map(([code, count]) => `${code}=${count}`).join(' ')}`);
  if (Object.keys(summary.integrityByKind).length > 0) lines.push(`     ${dots('stream integrity')} ${Object.entries(summary.integrityByKind).map(([kind, count]) => `${kind}=${count}`).join(' ')}`);
  const cpu = Object.entries(summary.cpu);
  if (cpu.length > 0) lines.push(`     ${dots('cpu % (avg/max)')} ${cpu.map(([label, entry]) => `${label}=${entry.avg}/${entry.max}`).join(' ')}`);
  const perTurn = Object.entries(summary.cpuMsPerTurn ?? {});
  if (perTurn.length > 0) lines.push(`     ${dots('cpu ms per ok turn')} ${perTurn.map(([label, ms]) => `${label}=${ms}`).join(' ')}`);
  lines.push(...serverStatsLines(summary));
  lines.push(...admissionLines(summary));
  lines.push(`     ${dots('generator')} event-loop p99 worst ${summary.generatorHealth.worstLoopP99Ms} ms, CPU max ${summary.generatorHealth.maxCpuPercent}% (sum over generators)`);
  for (const warning of summary.generatorHealth.warnings) lines.push(`     ⚠ ${warning}`);
  if (summary.comparison) {
    lines.push('');
    lines.push(`     RUNTIME ÷ BASELINE (${summary.comparison.baselineName})`);
    const entries = Object.entries(summary.comparison.ratios);
    for (let index = 0; index < entries.length; index += 5) {
      lines.push(`       ${entries.slice(index, index + 5).map(([key, value]) => `${key}=${value ?? '-'}`).join('  ')}`);
    }
  }
  if (summary.abortedBy) lines.push(`\n     ✗ aborted: ${summary.abortedBy}`);
  lines.push('');
  return lines.join('\n');
}

function admissionLines(summary: Summary): string[] {
  const admission = summary.admission;
  if (!admission) return [];
  const { limit, inFlight } = admission;
  const lines = [
    `     ${dots('admission (gateway)')} limit min/median/max ${limit.min}/${limit.median}/${limit.max}, in flight median ${inFlight.median} max ${inFlight.max}, ` +
      `${admission.refused} turns refused in ${admission.refusingSeconds} of ${admission.samples} seconds`,
  ];
  for (const error of admission.errors) lines.push(`     ⚠ admission state not read: ${error}`);
  return lines;
}

const TOP_REDIS_COMMANDS = 6;

function serverStatsLines(summary: Summary): string[] {
  const stats = summary.serverStats;
  if (!stats) return [];
  const lines: string[] = [];
  if (stats.redis) {
    const top = stats.redis.commands.slice(0, TOP_REDIS_COMMANDS).map((command) => `${command.command} ${command.callsPerTurn}×/${command.usPerTurn} µs`);
    lines.push(`     ${dots('redis per ok turn (calls/time)')} ${top.join(', ')}`);
  }
  if (stats.postgres) {
    const pg = stats.postgres;
    lines.push(`     ${dots('postgres per ok turn')} ${pg.commitsPerTurn} commits, ${pg.walSyncsPerTurn} WAL flushes, ${pg.walRecordsPerTurn} WAL records (${pg.walBytesPerTurn} bytes)`);
    if (Array.isArray(pg.statements)) {
      for (const statement of pg.statements.slice(0, 3)) lines.push(`       ${statement.msPerTurn} ms/turn${planningNote(statement)}, ${statement.callsPerTurn}×: ${statement.query.slice(0, 90)}`);
    }
  }
  return lines;
}

/** ` +0.12 ms planning (0.56 plans a call)` where the server tracked planning, else empty. */
export function planningNote(statement: PostgresStatementCost): string {
  return statement.plansPerCall === undefined ? '' : ` +${statement.planMsPerTurn} ms planning (${statement.plansPerCall} plans a call)`;
}
