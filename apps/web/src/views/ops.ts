// The operator dashboard: nodes, queue, live throughput and latency (as numbers and as charts of the session so far),
// verification levels and their cost, the latest load-test report, pushed over socket.io (/ops) about once a second;
// and the economics panel (earnings per node and day, utilisation, return estimate).
import { io, type Socket } from 'socket.io-client';
import type { OpsClientToServerEvents, OpsPercentiles, OpsServerToClientEvents, OpsSnapshot } from '@doppel/protocol';
import { el, replaceChildren, statusLine } from '../dom';
import { apiKey } from '../session';
import { renderEconomics } from './ops-economics';
import { timeSeriesChart } from './ops-charts';
import { shortAddress } from './receipt-badge';

const ms = (value: number | null) => (value === null ? '—' : `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`);
const triple = (values: OpsPercentiles) => `${ms(values.p50)} / ${ms(values.p95)} / ${ms(values.p99)}`;

function figure(label: string, value: string, testId: string): HTMLElement {
  return el('div', { class: 'figure' }, el('span', { class: 'small muted' }, label), el('span', { class: 'value', 'data-testid': testId }, value));
}

function table(caption: string, headers: string[], rows: (string | number | Node)[][]): HTMLElement {
  return el(
    'table',
    {},
    el('caption', { class: 'visually-hidden' }, caption),
    el('thead', {}, el('tr', {}, headers.map((header) => el('th', { scope: 'col' }, header)))),
    el('tbody', {}, rows.length === 0 ? el('tr', {}, el('td', { colspan: headers.length, class: 'muted' }, 'None.')) : rows.map((cells) => el('tr', {}, cells.map((cell) => el('td', {}, cell))))),
  );
}

function render(container: HTMLElement, snapshot: OpsSnapshot): void {
  const live = snapshot.nodes.filter((node) => node.live).length;
  const loadTest = snapshot.loadTest;
  replaceChildren(
    container,
    el(
      'div',
      { class: 'figures' },
      figure(`turns/s (last ${snapshot.throughput.windowSeconds} s)`, snapshot.throughput.turnsPerSecond.toFixed(1), 'turns-per-second'),
      figure('failed/s', snapshot.throughput.failedPerSecond.toFixed(1), 'failed-per-second'),
      figure('queued / running', `${snapshot.queue.queued} / ${snapshot.queue.running}`, 'queue-depth'),
      figure('queue wait p50 / p95', `${ms(snapshot.queue.waitMs.p50)} / ${ms(snapshot.queue.waitMs.p95)}`, 'queue-wait'),
      figure('live nodes', `${live} of ${snapshot.nodes.length}`, 'live-nodes'),
    ),
    el('section', { 'aria-labelledby': 'latency-heading' }, el('h2', { id: 'latency-heading' }, 'Latency, last minute (p50 / p95 / p99)'),
      table('Latency percentiles', ['measure', 'p50 / p95 / p99'], [
        ['time to first token', triple(snapshot.latency.timeToFirstTokenMs)],
        ['whole turn', triple(snapshot.latency.totalMs)],
      ])),
    el('section', { 'aria-labelledby': 'nodes-heading' }, el('h2', { id: 'nodes-heading' }, 'Nodes'),
      table('Inference nodes', ['node', 'address', 'state', 'models', 'levels', 'active', 'turns served', 'strikes', 'heartbeat'],
        snapshot.nodes.map((node) => [
          node.nodeId,
          el('span', { title: node.address }, shortAddress(node.address)),
          node.revoked ? 'revoked' : node.live ? 'live' : 'gone',
          node.chatModels.join(', '),
          node.levels.join(', '),
          node.activeTurns === null ? '—' : `${node.activeTurns}/${node.concurrency}`,
          node.turnsServed,
          node.strikes,
          new Date(node.lastSeenAt).toLocaleTimeString(),
        ]))),
    el('section', { 'aria-labelledby': 'levels-heading' }, el('h2', { id: 'levels-heading' }, 'Verification levels, last hour'),
      table('Turns per verification level and what each costs', ['level', 'done', 'failed', 'proof time p50 / p95 / p99', 'turn p50 / p95 / p99', 're-exec mismatches'],
        snapshot.levels.map((level) => [level.level, level.turnsDone, level.turnsFailed, triple(level.addedMs), triple(level.totalMs), level.reexecMismatches]))),
    el('section', { 'aria-labelledby': 'loadtest-heading' }, el('h2', { id: 'loadtest-heading' }, 'Latest load test'),
      loadTest
        ? table('Latest load-test report', ['run', 'started', 'duration', 'turns (ok)', 'turns/s', 'TTFT p50 / p95 / p99', 'end to end p50 / p95 / p99', 'thresholds'], [[
            el('span', { title: loadTest.file }, loadTest.name),
            new Date(loadTest.startedAt).toLocaleString(),
            `${loadTest.durationS} s`,
            `${loadTest.turns ?? '—'} (${loadTest.turnsOk ?? '—'})`,
            loadTest.turnsPerS?.toFixed(1) ?? '—',
            triple(loadTest.ttftMs),
            triple(loadTest.e2eMs),
            loadTest.thresholdsOk === null ? '—' : loadTest.thresholdsOk ? 'passed' : 'some failed',
          ]])
        : el('p', { class: 'muted' }, 'No report in loadtest/results or loadtest/reference yet.')),
  );
}

export function renderOps(main: HTMLElement): () => void {
  const status = statusLine('Connecting…');
  const updated = el('p', { class: 'small muted' });
  const body = el('div', { class: 'ops' });
  const charts = {
    throughput: timeSeriesChart('turns/s', ['turns/s', 'failed/s'], { testId: 'chart-throughput' }),
    ttft: timeSeriesChart('time to first token (ms)', ['p50', 'p95'], { testId: 'chart-ttft' }),
    queue: timeSeriesChart('queue depth', ['queued', 'running'], { testId: 'chart-queue' }),
  };
  const economics = el('section', { 'aria-labelledby': 'economics-heading', 'data-testid': 'economics' });
  replaceChildren(main, el('h1', {}, 'Operations'), status, updated, el('div', { class: 'charts' }, Object.values(charts).map((chart) => chart.element)), body, economics);
  const closeEconomics = renderEconomics(economics);
  const socket: Socket<OpsServerToClientEvents, OpsClientToServerEvents> = io('/ops', { auth: { token: apiKey() ?? '' }, transports: ['websocket'] });
  socket.on('connect_error', (error) => (status.textContent = `Not connected: ${error.message}`));
  socket.on('disconnect', () => (status.textContent = 'Disconnected; reconnecting…'));
  socket.on('connect', () => (status.textContent = 'Live.'));
  socket.on('ops:snapshot', (snapshot) => {
    // Not a live region: announcing every second would drown a screen reader.
    updated.textContent = `Updated ${new Date(snapshot.at).toLocaleTimeString()}`;
    render(body, snapshot);
    const at = Date.parse(snapshot.at);
    charts.throughput.push(at, [snapshot.throughput.turnsPerSecond, snapshot.throughput.failedPerSecond]);
    charts.ttft.push(at, [snapshot.latency.timeToFirstTokenMs.p50, snapshot.latency.timeToFirstTokenMs.p95]);
    charts.queue.push(at, [snapshot.queue.queued, snapshot.queue.running]);
  });
  return () => {
    socket.close();
    closeEconomics();
    for (const chart of Object.values(charts)) chart.destroy();
  };
}
