// The dashboard's economics panel: what each node earned per day (from the earnings ledger), how busy it was, and
// what running it returns from the operator's own numbers (return-estimate.ts, the same arithmetic the tests check).
import type { EconomicsView } from '@doppel/protocol';
import { estimateReturn, monthlyRevenueFrom, type ReturnScenario } from '@doppel/earnings';
import { el, field, replaceChildren, statusLine } from '../dom';
import { request } from '../api';
import { formatEth } from '../wallet';
import { timeSeriesChart } from './ops-charts';
import { shortAddress } from './receipt-badge';

const INPUTS_KEY = 'doppel.operatorInputs';
const DEFAULT_INPUTS = { hardwareCost: 3000, depreciationMonths: 36, powerWatts: 400, pricePerKwh: 0.25, hostingPerMonth: 50, currencyPerEth: 3000, startDate: new Date().toISOString().slice(0, 10) };
type Inputs = typeof DEFAULT_INPUTS;

const money = (value: number) => (Number.isFinite(value) ? value.toLocaleString(undefined, { maximumFractionDigits: 2, minimumFractionDigits: 2 }) : '—');
const ethOf = (wei: string | bigint) => Number(BigInt(wei)) / 1e18;

function loadInputs(): Inputs {
  try {
    return { ...DEFAULT_INPUTS, ...(JSON.parse(localStorage.getItem(INPUTS_KEY) ?? '{}') as Partial<Inputs>) };
  } catch {
    return DEFAULT_INPUTS;
  }
}

function scenarioRows(label: string, scenario: ReturnScenario, testId: string): HTMLElement {
  return el(
    'tr',
    { 'data-testid': testId },
    el('th', { scope: 'row' }, label),
    el('td', {}, money(scenario.revenuePerMonth)),
    el('td', {}, money(scenario.operatingCostPerMonth)),
    el('td', {}, money(scenario.depreciationPerMonth)),
    el('td', { 'data-testid': `${testId}-net` }, money(scenario.netPerMonth)),
    el('td', { 'data-testid': `${testId}-break-even` }, scenario.breakEvenDate ? `${scenario.breakEvenDate.toISOString().slice(0, 10)}${scenario.paysBackWithinDepreciation ? '' : ' (after write-off)'}` : 'never'),
  );
}

export function renderEconomics(container: HTMLElement): () => void {
  const status = statusLine('Loading earnings…');
  const nodeSelect = el('select', { 'data-testid': 'economics-node' });
  const table = el('div', {});
  const estimate = el('div', { 'data-testid': 'return-estimate' });
  const earningsChart = timeSeriesChart('Earnings per day (ETH)', ['earned'], { testId: 'chart-earnings', bars: true });
  let view: EconomicsView | null = null;
  const inputs = loadInputs();
  const numberInput = (name: keyof Inputs, step: string) => {
    const input = el('input', { type: name === 'startDate' ? 'date' : 'number', min: '0', step, value: String(inputs[name]), name, 'data-testid': `input-${name}` });
    input.addEventListener('input', () => {
      (inputs as Record<string, unknown>)[name] = name === 'startDate' ? input.value : Number(input.value);
      localStorage.setItem(INPUTS_KEY, JSON.stringify(inputs));
      renderEstimate();
    });
    return input;
  };

  const rowsOfSelection = () => (view?.perNodePerDay ?? []).filter((row) => !nodeSelect.value || row.nodeAddress === nodeSelect.value);

  function renderEstimate(): void {
    const rows = rowsOfSelection();
    const days = Math.max(1, new Set(rows.map((row) => row.day)).size);
    const earnedEth = rows.reduce((sum, row) => sum + ethOf(row.amountWei), 0);
    try {
      const result = estimateReturn({
        hardwareCost: inputs.hardwareCost,
        depreciationMonths: inputs.depreciationMonths,
        powerWatts: inputs.powerWatts,
        pricePerKwh: inputs.pricePerKwh,
        hostingPerMonth: inputs.hostingPerMonth,
        revenuePerMonth: monthlyRevenueFrom(earnedEth * inputs.currencyPerEth, days),
        startDate: new Date(inputs.startDate || Date.now()),
      });
      replaceChildren(
        estimate,
        el('p', { class: 'small muted' }, `At the demand of the last ${days} day${days === 1 ? '' : 's'} with earnings (${earnedEth.toFixed(6)} ETH), per month:`),
        el(
          'table',
          {},
          el('thead', {}, el('tr', {}, ['', 'revenue', 'power + hosting', 'depreciation', 'net', 'break-even'].map((header) => el('th', { scope: 'col' }, header)))),
          el('tbody', {}, scenarioRows('current demand', result.current, 'scenario-current'), scenarioRows('demand halves', result.halfDemand, 'scenario-half')),
        ),
      );
    } catch (error) {
      replaceChildren(estimate, el('p', { class: 'error' }, (error as Error).message));
    }
  }

  function renderTable(): void {
    const rows = rowsOfSelection();
    replaceChildren(
      table,
      el(
        'table',
        { 'data-testid': 'earnings-table' },
        el('caption', { class: 'visually-hidden' }, 'Earnings per node and day'),
        el('thead', {}, el('tr', {}, ['day', 'node', 'turns', 're-executions', 'tokens in / out', 'earned', 'utilisation'].map((header) => el('th', { scope: 'col' }, header)))),
        el(
          'tbody',
          {},
          rows.length === 0
            ? el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No earnings yet.'))
            : rows.map((row) =>
                el('tr', {}, [row.day, el('span', { title: row.nodeAddress }, shortAddress(row.nodeAddress)), row.turns, row.reexecutions, `${row.inputTokens} / ${row.outputTokens}`, formatEth(row.amountWei), `${row.utilisation === 0 ? '0' : (row.utilisation * 100).toPrecision(2)} %`].map((cell) => el('td', {}, cell))),
              ),
        ),
      ),
    );
    const byDay = new Map<string, number>();
    for (const row of rows) byDay.set(row.day, (byDay.get(row.day) ?? 0) + ethOf(row.amountWei));
    const days = [...byDay.keys()].sort();
    earningsChart.set(days.map((day) => Date.parse(`${day}T12:00:00Z`)), [days.map((day) => byDay.get(day)!)]);
  }

  nodeSelect.addEventListener('change', () => {
    renderTable();
    renderEstimate();
  });

  replaceChildren(
    container,
    el('h2', { id: 'economics-heading' }, 'Economics'),
    status,
    field('Node', nodeSelect),
    earningsChart.element,
    table,
    el('h3', {}, 'Return estimate'),
    el(
      'div',
      { class: 'figures' },
      field('Hardware cost', numberInput('hardwareCost', '1')),
      field('Depreciation (months)', numberInput('depreciationMonths', '1')),
      field('Power draw (W)', numberInput('powerWatts', '1')),
      field('Price per kWh', numberInput('pricePerKwh', '0.01')),
      field('Hosting per month', numberInput('hostingPerMonth', '1')),
      field('Currency per ETH', numberInput('currencyPerEth', '1')),
      field('Hardware bought on', numberInput('startDate', '1')),
    ),
    estimate,
  );

  void request<EconomicsView>('GET', '/operator/economics?days=30')
    .then((loaded) => {
      view = loaded;
      const nodes = [...new Set(loaded.perNodePerDay.map((row) => row.nodeAddress))].sort();
      replaceChildren(nodeSelect, el('option', { value: '' }, 'all nodes'), nodes.map((node) => el('option', { value: node }, node)));
      status.textContent = `${nodes.length} node${nodes.length === 1 ? '' : 's'} with earnings in the last ${loaded.days} days.`;
      renderTable();
      renderEstimate();
    })
    .catch((error: Error) => (status.textContent = error.message));
  return () => earningsChart.destroy();
}
