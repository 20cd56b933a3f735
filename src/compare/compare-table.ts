/**
 * The table of deltas: one row per figure, one column per variant (the mean of its repeats, with their
 * spread), and each variant's difference from the first (the baseline). compare.json carries the same
 * table for other readers (the HTML report); compare.csv is it flat, for a spreadsheet.
 */
import type { RunSummary } from './run-summary.ts';
import type { MetricUnit } from '../report/format.ts';

export interface MetricDef {
  key: string;
  label: string;
  unit: MetricUnit;
  /** Which way is better, for reading a delta (none: neither, e.g. a count of queries is context). */
  better: 'lower' | 'higher' | 'none';
}

/** One variant's runs (one, or several with --repeat). */
export interface VariantRuns {
  label: string;
  /** The --set overrides of the variant (empty for a plain profile). */
  overrides: string[];
  profile: string;
  runs: RunSummary[];
}

export interface CompareRow extends MetricDef {
  /** Mean over each variant's runs (null: not measured). For `text`, the runs' values joined. */
  values: Array<number | string | null>;
  /** Highest minus lowest over each variant's runs (null with one run). */
  spreads: Array<number | null>;
  /** value − baseline's value (null for the baseline and where either is missing). */
  deltas: Array<number | null>;
  /** delta / baseline's value. */
  relative: Array<number | null>;
}

export interface CompareTable {
  labels: string[];
  rows: CompareRow[];
}

const FIXED: Array<MetricDef & { get: (r: RunSummary) => number | string | null }> = [
  { key: 'verdict', label: 'verdict', unit: 'text', better: 'none', get: (r) => r.verdict },
  { key: 'avgMs', label: 'average latency', unit: 'ms', better: 'lower', get: (r) => r.avgMs },
  { key: 'p50Ms', label: 'p50 latency', unit: 'ms', better: 'lower', get: (r) => r.p50Ms },
  { key: 'p99Ms', label: 'p99 latency', unit: 'ms', better: 'lower', get: (r) => r.p99Ms },
  { key: 'completedRps', label: 'completed rate', unit: 'req/s', better: 'higher', get: (r) => r.completedRps },
  { key: 'errors', label: 'errors and drops', unit: 'count', better: 'lower', get: (r) => r.errors },
  { key: 'errorRate', label: 'error rate', unit: 'ratio', better: 'lower', get: (r) => r.errorRate },
  { key: 'cacheHitRate', label: 'cache hit rate', unit: 'ratio', better: 'higher', get: (r) => r.cacheHitRate },
  { key: 'oomKills', label: 'OOM kills', unit: 'count', better: 'lower', get: (r) => r.oomKills },
  { key: 'restarts', label: 'restarts', unit: 'count', better: 'lower', get: (r) => r.restarts },
  { key: 'peakStackMb', label: 'peak working set: stack', unit: 'MB', better: 'lower', get: (r) => r.peakStackMb },
];

const AFTER: Array<MetricDef & { get: (r: RunSummary) => number | null }> = [
  { key: 'dbConnectionsAvg', label: 'DB connections (average in use)', unit: 'count', better: 'lower', get: (r) => r.dbConnectionsAvg },
  { key: 'dbConnectionsPeak', label: 'DB connections (peak in use)', unit: 'count', better: 'lower', get: (r) => r.dbConnectionsPeak },
  { key: 'queriesPerRequest', label: 'queries per request', unit: 'queries', better: 'lower', get: (r) => r.queriesPerRequest },
  { key: 'dbQueryAvgMs', label: 'DB query time (average)', unit: 'ms', better: 'lower', get: (r) => r.dbQueryAvgMs },
];

/** Every service any variant ran, in the order first seen; stand-ins say so in their label. */
function serviceMetrics(variants: VariantRuns[]): Array<MetricDef & { get: (r: RunSummary) => number | null }> {
  const seen = new Map<string, boolean>();
  for (const v of variants) for (const r of v.runs) for (const s of Object.keys(r.peakServiceMb)) seen.set(s, (seen.get(s) ?? false) || r.standins.includes(s));
  return [...seen].map(([name, standin]) => ({
    key: `peak.${name}`,
    label: `peak working set: ${name}${standin ? ' (standin)' : ''}`,
    unit: 'MB' as const,
    better: 'lower' as const,
    get: (r: RunSummary) => r.peakServiceMb[name] ?? null,
  }));
}

export function mean(xs: number[]): number | null {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

export function spread(xs: number[]): number | null {
  return xs.length > 1 ? Math.max(...xs) - Math.min(...xs) : null;
}

export function buildCompareTable(variants: VariantRuns[]): CompareTable {
  const defs = [...FIXED, ...serviceMetrics(variants), ...AFTER];
  const rows = defs.map((d): CompareRow => {
    const values: Array<number | string | null> = [];
    const spreads: Array<number | null> = [];
    for (const v of variants) {
      const got = v.runs.map((r) => d.get(r));
      if (d.unit === 'text') {
        values.push(got.join('/'));
        spreads.push(null);
        continue;
      }
      const xs = got.filter((x): x is number => typeof x === 'number');
      values.push(mean(xs));
      spreads.push(spread(xs));
    }
    const base = values[0];
    const deltas = values.map((v, i) => (i === 0 || typeof v !== 'number' || typeof base !== 'number' ? null : v - base));
    const relative = deltas.map((dl) => (dl === null || typeof base !== 'number' || base === 0 ? null : dl / base));
    return { key: d.key, label: d.label, unit: d.unit, better: d.better, values, spreads, deltas, relative };
  });
  return { labels: variants.map((v) => v.label), rows };
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

/** compare.csv: metric, unit, each variant's value and spread, then each delta against the baseline. */
export function compareCsvRows(table: CompareTable): unknown[][] {
  const [base, ...others] = table.labels;
  const header = [
    'metric',
    'unit',
    ...table.labels.flatMap((l) => [l, `${l} spread`]),
    ...others.flatMap((l) => [`${l} - ${base}`, `${l} vs ${base} %`]),
  ];
  const rows = table.rows.map((r) => [
    r.label,
    r.unit,
    ...r.values.flatMap((v, i) => [typeof v === 'number' ? round(v) : v ?? '', r.spreads[i] === null ? '' : round(r.spreads[i]!)]),
    ...others.flatMap((_, j) => {
      const d = r.deltas[j + 1];
      const rel = r.relative[j + 1];
      return [d === null || d === undefined ? '' : round(d), rel === null || rel === undefined ? '' : round(rel * 100, 1)];
    }),
  ]);
  return [header, ...rows];
}
