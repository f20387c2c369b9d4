// Issue 12's capacity targets, read off the committed records of `load`, `stress` and `open` runs made with
// `--with-baseline` (loadtest/reference/*.json), so the table in loadtest/README.md is computed, not copied by hand:
//   npm run loadtest -- --targets loadtest/reference/issue12-r15-{load,stress,open}.json
import type { ReferenceSummary, SeriesWindow } from './reference-summary';

export type CapacityPreset = 'load' | 'stress' | 'open';

export interface TargetResult {
  preset: CapacityPreset;
  /** The preset and how many agents the run reached, e.g. "`load` (2,000 agents)". */
  runLabel: string;
  target: string;
  measured: string;
  met: boolean;
}

/** The processes whose CPU a turn's cost sums (the harness's `cpuMsPerTurn` labels from loadtest/stack.sh). */
const SERVER_PROCESS = /^(gateway|worker-\d+|postgres|redis)$/;
type TargetCheck = Omit<TargetResult, 'preset' | 'runLabel'>;

const CPU_MS_PER_TURN_MAX = 5;
const LOAD_RATIO_MIN = 0.95;
const STRESS_RATIO_MIN = 0.5;
const GOODPUT_MIN = 0.99;
const ADDED_TTFT_P95_MAX_MS = 50;
const OPEN_HOLD_MIN = 0.9;
/**
 * The only refusals the targets allow: at once, with a retry time, of a turn (in its ack) or of a handshake. The
 * harness counts an `OVERLOADED` without a retry time under another code (vu.ts, refusalCode).
 */
const EXPLICIT_REFUSAL = 'OVERLOADED';
const EXPLICIT_REFUSALS = new Set([EXPLICIT_REFUSAL, `CONNECT_${EXPLICIT_REFUSAL}`]);

const percent = (rate: number) => `${(rate * 100).toFixed(2)} %`;
const count = (value: number) => value.toLocaleString('en-US');

/** Runtime ÷ baseline ok turns/s, from the throughputs (the record's ratios are rounded to two places). */
function okRatio(record: ReferenceSummary): number | null {
  const baseline = record.comparison?.baselineThroughput.okTurnsPerS;
  return baseline ? record.throughput.okTurnsPerS / baseline : null;
}

function ratioText(record: ReferenceSummary): string {
  const baseline = record.comparison?.baselineThroughput.okTurnsPerS;
  const ratio = okRatio(record);
  if (ratio === null || baseline === undefined) return 'no baseline in this record (run with --with-baseline)';
  return `${ratio.toFixed(3)}× (${record.throughput.okTurnsPerS.toFixed(2)} / ${baseline.toFixed(2)} ok turns/s)`;
}

function errorsText(record: ReferenceSummary): string {
  const entries = Object.entries(record.errorsByCode);
  return entries.length === 0 ? 'none' : entries.map(([code, n]) => `${count(n)} ${code}`).join(', ');
}

/** Every turn or handshake the run did not get was refused explicitly, and every agent's account was set up. */
function onlyExplicitRefusals(record: ReferenceSummary): boolean {
  return Object.keys(record.errorsByCode).every((code) => EXPLICIT_REFUSALS.has(code)) && (record.counters.setup_errors ?? 0) === 0;
}

export function serverCpuMsPerTurn(record: ReferenceSummary): { total: number; split: string } {
  const parts = Object.entries(record.cpuMsPerTurn).filter(([label]) => SERVER_PROCESS.test(label));
  const total = parts.reduce((sum, [, ms]) => sum + ms, 0);
  return { total, split: parts.map(([label, ms]) => `${label} ${ms.toFixed(2)}`).join(', ') };
}

function loadTargets(record: ReferenceSummary): TargetCheck[] {
  const cpu = serverCpuMsPerTurn(record);
  const errors = record.rates.turn_errors?.passes ?? 0;
  const failedHandshakes = (record.counters.connect_errors ?? 0) + (record.counters.setup_errors ?? 0);
  const goodput = record.rates.goodput?.rate ?? 0;
  const addedP95 = record.trends.ttft_added?.p95 ?? null;
  const ratio = okRatio(record);
  return [
    {
      target: `CPU per ok turn ≤ ${CPU_MS_PER_TURN_MAX} ms`,
      measured: cpu.split ? `${cpu.total.toFixed(2)} ms (${cpu.split})` : 'no watched server processes in this record',
      met: cpu.split !== '' && cpu.total <= CPU_MS_PER_TURN_MAX,
    },
    { target: `ok turns/s ≥ ${LOAD_RATIO_MIN}× baseline`, measured: ratioText(record), met: ratio !== null && ratio >= LOAD_RATIO_MIN },
    {
      target: '0 errors, 0 failed handshakes, goodput ≥ 99 %',
      measured: `errors: ${errorsText(record)}; failed handshakes ${count(failedHandshakes)}; goodput ${percent(goodput)}`,
      met: errors === 0 && failedHandshakes === 0 && goodput >= GOODPUT_MIN,
    },
    {
      target: `added TTFT p95 ≤ ${ADDED_TTFT_P95_MAX_MS} ms`,
      measured: addedP95 === null ? 'no first tokens recorded' : `${addedP95.toFixed(1)} ms`,
      met: addedP95 !== null && addedP95 <= ADDED_TTFT_P95_MAX_MS,
    },
  ];
}

function stressTargets(record: ReferenceSummary): TargetCheck[] {
  const agents = record.peaks.vus;
  const connectErrors = record.counters.connect_errors ?? 0;
  const admitted = record.rates.admitted_goodput;
  const ratio = okRatio(record);
  return [
    {
      target: 'every agent connects',
      measured: `${count(record.peaks.connections)} of ${count(agents)} at once; ${count(connectErrors)} connect errors`,
      met: record.peaks.connections >= agents && connectErrors === 0,
    },
    { target: `ok turns/s ≥ ${STRESS_RATIO_MIN}× baseline`, measured: ratioText(record), met: ratio !== null && ratio >= STRESS_RATIO_MIN },
    {
      target: '≥ 99 % of admitted turns meet the SLOs',
      measured: admitted ? `${percent(admitted.rate)} (${count(admitted.passes)} of ${count(admitted.total)})` : 'not recorded',
      met: admitted !== undefined && admitted.rate >= GOODPUT_MIN,
    },
    {
      target: `every refusal ${EXPLICIT_REFUSAL} with a retry time`,
      measured: `errors: ${errorsText(record)}`,
      met: onlyExplicitRefusals(record),
    },
  ];
}

/**
 * The best 10-s window; the first window that came within OPEN_HOLD_MIN of it, which is where the runtime reached its
 * peak (a best window at the very end must not hide a fall between that and it); and the worst window from there on
 * in which arrivals still exceeded what the best window served (so a fall there is the runtime's, not a lack of
 * demand; the drain after the arrivals stop is left out).
 */
export function holdAfterPeak(windows: SeriesWindow[]): { peak: SeriesWindow; reached: SeriesWindow; worst: SeriesWindow; hold: number } | null {
  if (windows.length === 0) return null;
  const peakIndex = windows.reduce((best, window, index) => (window.okPerS > windows[best]!.okPerS ? index : best), 0);
  const peak = windows[peakIndex]!;
  const reachedIndex = windows.findIndex((window) => window.okPerS >= OPEN_HOLD_MIN * peak.okPerS);
  const after = windows.slice(reachedIndex).filter((window) => window.sentPerS >= peak.okPerS);
  const worst = after.reduce((low, window) => (window.okPerS < low.okPerS ? window : low), peak);
  return { peak, reached: windows[reachedIndex]!, worst, hold: peak.okPerS > 0 ? worst.okPerS / peak.okPerS : 0 };
}

function openTargets(record: ReferenceSummary): TargetCheck[] {
  const held = holdAfterPeak(record.reference?.windows ?? []);
  const holdMeasured = held
    ? `peak ${held.peak.okPerS} ok turns/s (10 s from ${held.peak.fromS} s), reached (within ${OPEN_HOLD_MIN * 100} %) from ${held.reached.fromS} s; lowest from then ${held.worst.okPerS} (from ${held.worst.fromS} s) = ${(held.hold * 100).toFixed(1)} %`
    : 'no 10-s windows in this record (write it with --reference)';
  return [
    { target: `ok turns/s after the peak ≥ ${OPEN_HOLD_MIN * 100} % of it`, measured: holdMeasured, met: held !== null && held.hold >= OPEN_HOLD_MIN },
    {
      target: `the excess refused as ${EXPLICIT_REFUSAL}`,
      measured: `errors: ${errorsText(record)}`,
      met: onlyExplicitRefusals(record),
    },
  ];
}

const BY_PRESET: Record<CapacityPreset, (record: ReferenceSummary) => TargetCheck[]> = { load: loadTargets, stress: stressTargets, open: openTargets };

export class NotACapacityRecord extends Error {}

/** The targets each record speaks to, by the preset it ran (`load`, `stress`, `open`; runtime runs only). */
export function capacityTargets(records: ReferenceSummary[]): TargetResult[] {
  return records.flatMap((record) => {
    const preset = record.name as CapacityPreset;
    if (record.kind !== 'runtime' || !(preset in BY_PRESET)) {
      throw new NotACapacityRecord(`${record.name} (${record.kind}) is not a runtime run of load, stress or open; pass those presets' records`);
    }
    const runLabel = `\`${preset}\` (${count(record.peaks.vus)} agents)`;
    return BY_PRESET[preset](record).map((check) => ({ preset, runLabel, ...check }));
  });
}

export function renderTargets(results: TargetResult[]): string {
  const rows = results.map((result) => `| ${result.runLabel}: ${result.target} | ${result.measured} | ${result.met ? 'yes' : '**no**'} |`);
  return ['| target | measured | met |', '| --- | --- | --- |', ...rows].join('\n') + '\n';
}
