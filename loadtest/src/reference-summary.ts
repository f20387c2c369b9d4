// A reference run's committed record: the run's JSON summary without its per-second series (which is what makes
// the generated files large), plus that series averaged over 10-s windows for the runtime and, when given, for its
// baseline. The README's tables quote these windows; the ops dashboard reads the file like any other summary.
import type { SeriesPoint } from './metrics';
import type { Summary } from './summary';

export const WINDOW_S = 10;

export interface SeriesWindow {
  /** First second of the window (0-based offset from the start of the series). */
  fromS: number;
  vus: number;
  connections: number;
  inFlight: number;
  sentPerS: number;
  turnsPerS: number;
  errorsPerS: number;
  /** Turns that finished without an error (turnsPerS counts refused and failed turns too). */
  okPerS: number;
  goodPerS: number;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  /** The gateway's admission limit (mean of the window's seconds), in runs made with --admission. */
  admissionLimit?: number;
}

export type ReferenceSummary = Omit<Summary, 'series'> & {
  reference: { windowS: number; windows: SeriesWindow[]; baselineWindows?: SeriesWindow[] };
};

const round1 = (value: number) => Math.round(value * 10) / 10;
const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length);

function meanOf(points: SeriesPoint[], pick: (point: SeriesPoint) => number | undefined): number | null {
  const values = points.map(pick).filter((value): value is number => value !== undefined);
  return values.length === 0 ? null : round1(mean(values));
}

export function windowsOf(series: SeriesPoint[], windowS = WINDOW_S): SeriesWindow[] {
  const windows: SeriesWindow[] = [];
  for (let start = 0; start < series.length; start += windowS) {
    const points = series.slice(start, start + windowS);
    const admissionLimit = meanOf(points, (point) => point.admission?.limit);
    windows.push({
      fromS: start,
      vus: Math.max(...points.map((point) => point.vus)),
      connections: Math.max(...points.map((point) => point.connections)),
      inFlight: round1(mean(points.map((point) => point.inFlight))),
      sentPerS: round1(mean(points.map((point) => point.sentPerS))),
      turnsPerS: round1(mean(points.map((point) => point.turnsPerS))),
      errorsPerS: round1(mean(points.map((point) => point.errorsPerS))),
      okPerS: round1(mean(points.map((point) => point.turnsPerS - point.errorsPerS))),
      goodPerS: round1(mean(points.map((point) => point.goodPerS))),
      ttftP50Ms: meanOf(points, (point) => point.latency.ttft?.p50),
      ttftP95Ms: meanOf(points, (point) => point.latency.ttft?.p95),
      ...(admissionLimit === null ? {} : { admissionLimit }),
    });
  }
  return windows;
}

export function referenceSummary(run: Summary, baseline?: Summary): ReferenceSummary {
  const { series, ...rest } = run;
  return {
    ...rest,
    reference: {
      windowS: WINDOW_S,
      windows: windowsOf(series),
      ...(baseline ? { baselineWindows: windowsOf(baseline.series) } : {}),
    },
  };
}
