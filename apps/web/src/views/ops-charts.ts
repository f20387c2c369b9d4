// Time-series charts for the dashboard, drawn with uPlot (a ~20 KB gzip canvas chart, loaded with the dashboard only).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { el } from '../dom';

const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea'];

export interface TimeSeriesChart {
  element: HTMLElement;
  /** Adds one sample per series at time `at` (ms); the oldest fall off past `maxPoints`. */
  push(at: number, values: (number | null)[]): void;
  /** Replaces every point (for series read whole, like earnings per day). */
  set(times: number[], values: (number | null)[][]): void;
  destroy(): void;
}

export function timeSeriesChart(title: string, seriesLabels: string[], options: { maxPoints?: number; testId: string; bars?: boolean; width?: number } = { testId: 'chart' }): TimeSeriesChart {
  const maxPoints = options.maxPoints ?? 300;
  const element = el('figure', { class: 'chart', 'data-testid': options.testId }, el('figcaption', { class: 'small muted' }, title));
  const times: number[] = [];
  const columns: (number | null)[][] = seriesLabels.map(() => []);
  const plot = new uPlot(
    {
      width: options.width ?? 460,
      height: 180,
      series: [
        {},
        ...seriesLabels.map((label, index) => ({
          label,
          stroke: COLOURS[index % COLOURS.length],
          width: 2,
          ...(options.bars ? { paths: uPlot.paths.bars!({ size: [0.6, 40] }), fill: `${COLOURS[index % COLOURS.length]}55` } : {}),
        })),
      ],
      axes: [{}, { size: 60 }],
      legend: { show: true },
    },
    [[], ...columns] as uPlot.AlignedData,
    element,
  );
  const redraw = () => plot.setData([times.map((time) => time / 1000), ...columns] as uPlot.AlignedData);
  return {
    element,
    push(at, values) {
      times.push(at);
      values.forEach((value, index) => columns[index]!.push(value));
      if (times.length > maxPoints) {
        times.shift();
        for (const column of columns) column.shift();
      }
      redraw();
    },
    set(newTimes, values) {
      times.splice(0, times.length, ...newTimes);
      values.forEach((column, index) => columns[index]!.splice(0, columns[index]!.length, ...column));
      redraw();
    },
    destroy: () => plot.destroy(),
  };
}
