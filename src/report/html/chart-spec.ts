/**
 * What a chart shows, as data: the page's script (`client/report-client.js`) draws any ChartSpec with uPlot.
 * Built here, in pure functions with tests, so nothing in the browser computes a figure.
 */
export interface SeriesSpec {
  label: string;
  color: string;
  /** One value per x; null = no reading (a gap). */
  values: Array<number | null>;
  /** Stacked charts draw cumulative values; the legend shows the service's own value from here. */
  own?: Array<number | null>;
  /** Fill below the line (stacked areas), a CSS colour. */
  fill?: string;
  axis?: 'left' | 'right';
  dash?: number[];
  width?: number;
  /** Draw points (sparse data, e.g. capacity steps). */
  points?: boolean;
}

export interface AxisSpec {
  label: string;
  /** Unit appended to tick labels and legend values: `MB`, `ms`, `req/s`, `%`. */
  unit: string;
  log?: boolean;
  min?: number;
  max?: number;
}

export interface ChartSpec {
  id: string;
  title: string;
  /** One line under the title: what the chart shows and where the figures come from. */
  note?: string;
  x: number[];
  /** `time`: run seconds shown as m:ss; `rate`: offered req/s (capacity). */
  xKind: 'time' | 'rate';
  xLabel?: string;
  series: SeriesSpec[];
  left: AxisSpec;
  right?: AxisSpec;
  /** Horizontal reference lines (targets, the cap). */
  lines?: Array<{ value: number; label: string; color: string; axis?: 'left' | 'right' }>;
  /** Vertical markers: OOM kills, restarts, the maximum found. `label` is drawn on the chart. */
  markers?: Array<{ x: number; label: string; color: string; kind: string }>;
  /** Shaded x ranges: stages excluded from the verdict. */
  bands?: Array<{ from: number; to: number; label: string }>;
}

/** A chart that could not be drawn from this run's files, and why (shown in its place). */
export interface SkippedChart {
  id: string;
  title: string;
  skipped: string;
}

export type ChartOrSkip = ChartSpec | SkippedChart;

export const isSkipped = (c: ChartOrSkip): c is SkippedChart => 'skipped' in c;

/** Tableau 10: distinct, readable on white and in grey print. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#edc948', '#76b7b2', '#ff9da7', '#9c755f', '#e15759', '#bab0ac'];
export const COLORS = {
  oom: '#d62728',
  restart: '#e67e00',
  fault: '#7b3fa0',
  cap: '#111111',
  safety: '#8b0000',
  target: '#2b6cb0',
  stack: '#333333',
};

export function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}
