// A self-contained HTML report: inline SVG charts drawn here (no scripts, no CDN), so it opens from disk anywhere.
import type { SeriesPoint, TrendStats } from './metrics';
import { formatMs, planningNote } from './report-text';
import type { Summary } from './summary';

const COLORS = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#525252'];

interface Line {
  label: string;
  values: [number, number | null][];
  dashed?: boolean;
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** 1, 2, 5 × 10ⁿ at or above `value`. */
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function formatTick(value: number, unit: string): string {
  if (unit === 'ms') return formatMs(value);
  if (Math.abs(value) >= 1000) return `${(value / 1000).toFixed(value >= 10_000 ? 0 : 1)}k`;
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

export function lineChart(title: string, unit: string, lines: Line[], width = 920, height = 260): string {
  const left = 64;
  const right = 16;
  const top = 34;
  const bottom = 30;
  const all = lines.flatMap((line) => line.values);
  const xMax = Math.max(1, ...all.map(([t]) => t));
  const yMax = niceCeiling(Math.max(0, ...all.map(([, v]) => v ?? 0)));
  const x = (t: number) => left + (t / xMax) * (width - left - right);
  const y = (v: number) => top + (1 - v / yMax) * (height - top - bottom);
  const parts: string[] = [];
  parts.push(`<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeHtml(title)}" xmlns="http://www.w3.org/2000/svg">`);
  parts.push(`<text x="${left}" y="16" class="title">${escapeHtml(title)}</text>`);
  for (let index = 0; index <= 4; index++) {
    const value = (yMax / 4) * index;
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(value)}" y2="${y(value)}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${y(value) + 4}" class="tick" text-anchor="end">${formatTick(value, unit)}</text>`);
  }
  const xStep = niceCeiling(xMax / 8);
  for (let t = 0; t <= xMax; t += xStep) {
    parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${top}" y2="${height - bottom}" class="grid"/>`);
    parts.push(`<text x="${x(t)}" y="${height - bottom + 16}" class="tick" text-anchor="middle">${t}s</text>`);
  }
  let legendX = left + 260;
  lines.forEach((line, index) => {
    const color = COLORS[index % COLORS.length];
    let path = '';
    let pen = false;
    for (const [t, v] of line.values) {
      if (v === null || !Number.isFinite(v)) {
        pen = false;
        continue;
      }
      path += `${pen ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    }
    if (path) parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="1.6"${line.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    parts.push(`<rect x="${legendX}" y="8" width="12" height="3" fill="${color}"/><text x="${legendX + 16}" y="14" class="legend">${escapeHtml(line.label)}</text>`);
    legendX += 24 + line.label.length * 6.5;
  });
  parts.push('</svg>');
  return parts.join('');
}

function pick(series: SeriesPoint[], get: (point: SeriesPoint) => number | undefined | null): [number, number | null][] {
  return series.map((point) => [point.t, get(point) ?? null]);
}

function percentileLines(series: SeriesPoint[], trend: keyof SeriesPoint['latency'], which: ('p50' | 'p90' | 'p95' | 'p99')[]): Line[] {
  return which.map((p) => ({ label: `${trend} ${p}`, values: pick(series, (point) => point.latency[trend]?.[p]) }));
}

function table(headers: string[], rows: (string | number)[][]): string {
  return `<table><thead><tr>${headers.map((header) => `<th>${escapeHtml(header)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(String(cell))}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function renderHtml(summary: Summary): string {
  const series = summary.series;
  const charts: string[] = [];
  charts.push(lineChart('Time to first token (from due time), per second', 'ms', percentileLines(series, 'ttft', ['p50', 'p90', 'p95', 'p99'])));
  charts.push(lineChart('End-to-end turn latency (due → turn:done)', 'ms', percentileLines(series, 'e2e', ['p50', 'p95', 'p99'])));
  charts.push(
    lineChart('Ack latency, runtime queue wait, generator send lag', 'ms', [
      ...percentileLines(series, 'ack_latency', ['p50', 'p99']),
      ...percentileLines(series, 'queue_wait', ['p95']),
      { ...percentileLines(series, 'send_lag', ['p99'])[0]!, dashed: true },
    ]),
  );
  charts.push(lineChart('Inter-chunk latency', 'ms', percentileLines(series, 'itl', ['p50', 'p95', 'p99'])));
  charts.push(
    lineChart('Throughput (turns per second)', 'turns/s', [
      { label: 'completed', values: pick(series, (point) => point.turnsPerS) },
      { label: 'sent', values: pick(series, (point) => point.sentPerS), dashed: true },
      { label: 'goodput', values: pick(series, (point) => point.goodPerS) },
      { label: 'dropped', values: pick(series, (point) => point.droppedPerS) },
    ]),
  );
  charts.push(lineChart('Output tokens per second', 'tokens/s', [{ label: 'output tokens/s', values: pick(series, (point) => point.tokensPerS) }]));
  charts.push(
    lineChart('Active VUs, connections, turns in flight', 'count', [
      { label: 'VUs', values: pick(series, (point) => point.vus) },
      { label: 'connected', values: pick(series, (point) => point.connections), dashed: true },
      { label: 'in flight', values: pick(series, (point) => point.inFlight) },
    ]),
  );
  charts.push(lineChart('Errors per second', 'errors/s', [{ label: 'turn errors', values: pick(series, (point) => point.errorsPerS) }]));
  const cpuLabels = [...new Set(series.flatMap((point) => Object.keys(point.cpu ?? {})))];
  charts.push(
    lineChart('CPU % (100 = one core)', '%', [
      ...cpuLabels.map((label) => ({ label, values: pick(series, (point) => point.cpu?.[label]) })),
      { label: 'generators', values: pick(series, (point) => point.generatorCpuPercent), dashed: true },
    ]),
  );
  charts.push(lineChart('Load generator event-loop delay p99 (worst generator)', 'ms', [{ label: 'event-loop p99', values: pick(series, (point) => point.generatorLoopP99Ms) }]));

  const trendRows = Object.entries(summary.trends)
    .filter((entry): entry is [string, TrendStats] => entry[1] !== null && entry[1] !== undefined)
    .map(([name, stats]) => [name, stats.count, formatMs(stats.avg), formatMs(stats.med), formatMs(stats.p90), formatMs(stats.p95), formatMs(stats.p99), formatMs(stats.max)]);
  const t = summary.throughput;
  const sections: string[] = [];
  sections.push(`<h2>Thresholds ${summary.thresholdsOk ? '<span class="ok">passed</span>' : '<span class="bad">failed</span>'}</h2>`);
  sections.push(table(['metric', 'threshold', 'actual', 'result'], summary.thresholds.map((result) => [result.metric, result.source, result.actual === null ? 'no samples' : +result.actual.toFixed(4), result.ok ? '✓' : '✗'])));
  sections.push('<h2>Latency (HDR histogram, every turn)</h2>');
  sections.push(table(['metric', 'n', 'avg', 'p50', 'p90', 'p95', 'p99', 'max'], trendRows));
  sections.push('<h2>Throughput and counts</h2>');
  sections.push(
    table(
      ['what', 'value'],
      [
        ['successful turns/s (whole run / best 10 s)', `${t.okTurnsPerS} / ${t.peakOkTurnsPerS}`],
        ['turns/s incl. failed (whole run)', t.turnsPerS],
        ['turns/s (best 10 s)', t.peakTurnsPerS],
        ['output tokens/s (whole run)', t.outputTokensPerS],
        ['output tokens/s (best 10 s)', t.peakOutputTokensPerS],
        ['goodput turns/s (whole run / best 10 s)', `${t.goodputPerS} / ${t.peakGoodputPerS}`],
        ...Object.entries(summary.counters).map(([name, count]) => [name, count] as [string, number]),
        ...Object.entries(summary.rates).map(([name, rate]) => [`${name} rate`, `${(rate.rate * 100).toFixed(3)}% (${rate.passes}/${rate.total})`] as [string, string]),
        ['peak VUs / connections / in flight', `${summary.peaks.vus} / ${summary.peaks.connections} / ${summary.peaks.inFlight}`],
      ],
    ),
  );
  sections.push('<h2>Errors and stream integrity</h2>');
  sections.push(
    table(
      ['kind', 'code', 'count'],
      [
        ...Object.entries(summary.errorsByCode).map(([code, count]) => ['error', code, count]),
        ...Object.entries(summary.integrityByKind).map(([kind, count]) => ['integrity', kind, count]),
      ],
    ),
  );
  sections.push(table(['check', 'passes', 'fails'], Object.entries(summary.checks).map(([name, check]) => [name, check.passes, check.fails])));
  if (summary.comparison) {
    const c = summary.comparison;
    sections.push(`<h2>Runtime ÷ baseline (${escapeHtml(c.baselineName)})</h2>`);
    sections.push('<p>Throughput ratios below 1: the runtime serves less than the bare transport. Latency ratios above 1: it is slower.</p>');
    const rows: (string | number)[][] = [];
    for (const [key, value] of Object.entries(c.ratios)) {
      const [trend, stat] = key.split('.') as [string, keyof TrendStats | undefined];
      const runtimeValue = stat ? summary.trends[trend as keyof Summary['trends']]?.[stat] : (summary.throughput as unknown as Record<string, number>)[key];
      const baselineValue = stat ? c.baselineTrends[trend as keyof Summary['trends']]?.[stat] : (c.baselineThroughput as unknown as Record<string, number>)[key];
      const show = (value: number | undefined) => (value === undefined ? '-' : stat ? formatMs(value) : String(value));
      rows.push([key, show(runtimeValue), show(baselineValue), value ?? '-']);
    }
    sections.push(table(['metric', 'runtime', 'baseline', 'ratio'], rows));
  }
  sections.push('<h2>Generator health and CPU</h2>');
  sections.push(
    table(
      ['what', 'value'],
      [
        ['worst generator event-loop p99', `${summary.generatorHealth.worstLoopP99Ms} ms`],
        ['generator CPU max (sum)', `${summary.generatorHealth.maxCpuPercent}%`],
        ...Object.entries(summary.cpu).map(([label, entry]) => [`CPU ${label} avg / max`, `${entry.avg}% / ${entry.max}%`]),
        ...Object.entries(summary.cpuMsPerTurn ?? {}).map(([label, ms]) => [`CPU ms per successful turn: ${label}`, `${ms} ms`]),
        ...summary.generatorHealth.warnings.map((warning) => ['warning', warning]),
      ],
    ),
  );
  const servers = summary.serverStats;
  if (servers?.redis || servers?.postgres) {
    sections.push('<h2>Redis and PostgreSQL per successful turn</h2>');
    const rows: (string | number)[][] = [];
    for (const command of servers.redis?.commands.slice(0, 12) ?? []) rows.push([`Redis ${command.command}`, command.callsPerTurn, `${command.usPerTurn} µs`]);
    if (servers.postgres) {
      const pg = servers.postgres;
      rows.push(['PostgreSQL commits', pg.commitsPerTurn, ''], ['PostgreSQL WAL flushes', pg.walSyncsPerTurn, ''], ['PostgreSQL WAL records', pg.walRecordsPerTurn, `${pg.walBytesPerTurn} bytes`]);
      if (Array.isArray(pg.statements)) for (const statement of pg.statements) rows.push([statement.query, statement.callsPerTurn, `${statement.msPerTurn} ms (mean ${statement.meanMs} ms)${planningNote(statement)}`]);
      else rows.push(['PostgreSQL statements', '-', pg.statements]);
    }
    sections.push(table(['what', 'per turn', 'server time per turn'], rows));
  }
  sections.push('<h2>Machine and run</h2>');
  sections.push(
    table(
      ['what', 'value'],
      [
        ['target', `${summary.target} (${summary.kind})`],
        ['started', summary.startedAt],
        ['duration', `${summary.durationS} s`],
        ['generators', summary.generators],
        ['CPU', `${summary.machine.cpuModel} × ${summary.machine.cores}`],
        ['memory', `${summary.machine.memoryGiB} GiB`],
        ['OS / Node', `${summary.machine.os} / ${summary.machine.node}`],
        ['open files limit', summary.machine.fdLimit],
        ...(summary.note ? [['note', summary.note]] : []),
      ],
    ),
  );
  sections.push(`<h2>Options</h2><pre>${escapeHtml(JSON.stringify(summary.options, null, 2))}</pre>`);

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Doppel load test: ${escapeHtml(summary.name)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:980px;color:#1f2937;padding:0 12px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #e5e7eb;padding:3px 8px;text-align:left}th{background:#f9fafb}
svg{margin:10px 0;background:#fff;border:1px solid #f3f4f6}.grid{stroke:#eef0f3}.tick{font-size:10px;fill:#6b7280}.title{font-size:13px;font-weight:600;fill:#111827}
.legend{font-size:11px;fill:#374151}.ok{color:#16a34a}.bad{color:#dc2626}pre{background:#f9fafb;padding:8px;overflow:auto;font-size:12px}.meta{color:#6b7280}
</style></head><body>
<h1>Doppel load test: ${escapeHtml(summary.name)}</h1>
<p class="meta">${escapeHtml(summary.target)} (${summary.kind}) · ${escapeHtml(summary.startedAt)} · ${summary.durationS} s · peak ${summary.peaks.vus} VUs / ${summary.peaks.connections} connections ·
${t.peakTurnsPerS} turns/s at best · TTFT p95 ${formatMs(summary.trends.ttft?.p95)} · errors ${(summary.rates.turn_errors?.rate ?? 0) * 100 < 0.001 ? 0 : ((summary.rates.turn_errors?.rate ?? 0) * 100).toFixed(3)}%</p>
${charts.join('\n')}
${sections.join('\n')}
</body></html>
`;
}
