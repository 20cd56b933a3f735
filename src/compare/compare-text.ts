/**
 * The comparison as plain-text lines: a run's one-line summary (kept on screen while the next runs) and
 * the table of deltas at the end. Only formats what the table holds.
 */
import { formatMetricValue } from '../report/format.ts';
import { renderTable, type Column } from '../report/reporters/text-table.ts';
import type { CompareRow, CompareTable, MetricDef } from './compare-table.ts';
import type { RunSummary } from './run-summary.ts';

/** Kept under its old name for the comparison's callers; one formatter for text and HTML. */
export const formatValue = (v: number | string | null | undefined, unit: MetricDef['unit']): string => formatMetricValue(v, unit);

/** A delta in the metric's unit, signed: `+12 ms`, `-3.1 pts`, `+2`. */
export function formatDelta(d: number | null, unit: MetricDef['unit']): string {
  if (d === null) return '';
  const sign = d > 0 ? '+' : d < 0 ? '-' : '±';
  const a = Math.abs(d);
  const body = unit === 'ratio' ? `${(a * 100).toFixed(1)} pts` : formatValue(a, unit);
  return `${sign}${body}`;
}

function cell(r: CompareRow, i: number): string {
  const v = formatValue(r.values[i], r.unit);
  const s = r.spreads[i];
  return s === null || s === undefined || s === 0 || r.unit === 'text' ? v : `${v} ±${formatValue(s / 2, r.unit)}`;
}

function deltaCell(r: CompareRow, i: number): string {
  const d = r.deltas[i] ?? null;
  if (d === null) return '';
  if (d === 0) return '0';
  const rel = r.relative[i];
  if (rel === null || rel === undefined || r.unit === 'ratio' || !Number.isFinite(rel)) return formatDelta(d, r.unit);
  // Ten times or more reads better as a factor than as +2240%.
  const howMuch = rel >= 9 ? `×${(1 + rel).toFixed(0)}` : `${rel > 0 ? '+' : ''}${Math.round(rel * 100)}%`;
  return `${formatDelta(d, r.unit)} (${howMuch})`;
}

/** FIGURE | base | other (Δ vs base) | ... */
export function renderCompareTable(table: CompareTable, maxWidth = Infinity): string[] {
  const [base, ...others] = table.labels;
  const columns: Column[] = [
    { header: 'FIGURE', shrink: true, min: 12 },
    { header: base!.toUpperCase(), align: 'right' },
    ...others.flatMap((l): Column[] => [
      { header: l.toUpperCase(), align: 'right' },
      { header: `Δ VS ${base!.toUpperCase()}`, align: 'right' },
    ]),
  ];
  const rows = table.rows.map((r) => [r.label, cell(r, 0), ...others.flatMap((_, j) => [cell(r, j + 1), deltaCell(r, j + 1)])]);
  return renderTable(columns, rows, { maxWidth });
}

/** One line per finished run: what stays on screen while the next one runs. */
export function runSummaryLine(r: RunSummary, index: number, total: number): string {
  const parts = [
    `[${index}/${total}] ${r.label}: ${r.verdict}`,
    `avg ${formatValue(r.avgMs, 'ms')}`,
    `p99 ${formatValue(r.p99Ms, 'ms')}`,
    `${formatValue(r.completedRps, 'req/s')} completed`,
    `errors ${formatValue(r.errorRate, 'ratio')}`,
    `cache hits ${formatValue(r.cacheHitRate, 'ratio')}`,
    `OOM kills ${r.oomKills}`,
    `restarts ${r.restarts}`,
    `peak ${formatValue(r.peakStackMb, 'MB')}`,
  ];
  return `${parts.join(', ')}${r.targetsMissed.length ? ` (missed: ${r.targetsMissed.join(', ')})` : ''}`;
}
