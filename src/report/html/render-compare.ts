/**
 * Several runs side by side (`simulate report A B …`, and `simulate compare`): the runs overlaid on one time
 * axis (seconds since each run started) and a table of deltas against the first run.
 */
import { InputError } from '../../errors.ts';
import { formatBytes, formatCount, formatMs, formatPercent, formatRate } from '../format.ts';
import { COLORS, PALETTE, type ChartOrSkip, type ChartSpec, type SeriesSpec } from './chart-spec.ts';
import { chartBlock, esc, page, table } from './page.ts';
import { eventMarkers, serviceColumns } from './run-charts.ts';
import type { RunFolder } from './run-folder.ts';
import { hostTable, verdictWord } from './run-tables.ts';

const MB = 1024 * 1024;

export interface CompareReportInput {
  title?: string;
  runs: RunFolder[];
  /** Names of the runs (variants); default: their profile. */
  labels?: string[];
  /** Tables a comparison adds (claims measured, spreads): plain text cells. */
  tables?: Array<{ title: string; head: string[]; rows: string[][]; note?: string }>;
  /** A line under the title (how the runs were made). */
  note?: string;
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

interface Labelled {
  run: RunFolder;
  letter: string;
  label: string;
  color: string;
}

function maxOf(v: Array<number | null>): number | null {
  let m: number | null = null;
  for (const x of v) if (x !== null && (m === null || x > m)) m = x;
  return m;
}

/** Every run's values placed on the union of their seconds (a gap where a run has no row). */
export function alignOnTime(runs: RunFolder[], pick: (r: RunFolder) => Array<number | null>): { x: number[]; values: Array<Array<number | null>> } {
  const xs = [...new Set(runs.flatMap((r) => r.series.t))].sort((a, b) => a - b);
  const index = new Map(xs.map((t, i) => [t, i]));
  const values = runs.map((r) => {
    const out: Array<number | null> = xs.map(() => null);
    const v = pick(r);
    r.series.t.forEach((t, i) => {
      out[index.get(t)!] = v[i] ?? null;
    });
    return out;
  });
  return { x: xs, values };
}

function overlay(
  runs: Labelled[],
  id: string,
  title: string,
  note: string,
  parts: Array<{ suffix: string; pick: (r: RunFolder) => Array<number | null>; dash?: number[]; axis?: 'left' | 'right'; width?: number }>,
  axes: Pick<ChartSpec, 'left' | 'right' | 'lines'>,
  markers: boolean,
): ChartOrSkip {
  const aligned = parts.map((p) => alignOnTime(runs.map((r) => r.run), p.pick));
  const x = aligned[0].x;
  const series: SeriesSpec[] = [];
  runs.forEach((r, i) =>
    parts.forEach((p, j) => series.push({ label: `${r.letter} ${p.suffix}`, color: r.color, values: aligned[j].values[i], dash: p.dash, axis: p.axis, width: p.width ?? 1.5 })),
  );
  if (!series.some((s) => s.values.some((v) => v !== null))) return { id, title, skipped: 'none of the runs recorded these figures' };
  return {
    id,
    title,
    note,
    x,
    xKind: 'time',
    series,
    ...axes,
    markers: markers ? runs.flatMap((r) => eventMarkers(r.run, `${r.letter}: `).map((m) => ({ ...m, color: m.kind === 'oom-kill' ? COLORS.oom : COLORS.restart }))) : runs.flatMap((r) => eventMarkers(r.run).filter((m) => m.kind === 'oom-kill').map((m) => ({ ...m, label: `${r.letter}: OOM` }))),
  };
}

const nz = (v: Array<number | null>) => v.map((x) => (x === null || x <= 0 ? null : x));

export function compareCharts(runs: Labelled[]): ChartOrSkip[] {
  const caps = [...new Set(runs.map((r) => r.run.run.capBytes))];
  const capLines = caps.map((c) => ({ value: Math.round(c / MB), label: `cap ${formatBytes(c)}${caps.length > 1 ? ` (${runs.filter((r) => r.run.run.capBytes === c).map((r) => r.letter).join(', ')})` : ''}`, color: COLORS.cap }));
  return [
    overlay(
      runs,
      'memory',
      'Memory: the stack\'s working set',
      'The whole capped cgroup, each run from its own start. OOM kills (red) and restarts (orange) are named with their run\'s letter.',
      [{ suffix: 'stack working set', pick: (r) => r.series.num('stack_working_set_mb'), width: 2 }],
      { left: { label: 'MB', unit: 'MB', min: 0, max: Math.ceil((Math.max(...caps) / MB) * (runs.some((r) => r.run.events.some((e) => e.event === 'oom-kill')) ? 1.35 : 1.08)) }, lines: capLines },
      true,
    ),
    overlay(
      runs,
      'latency',
      'Latency: p99 (solid) and p50 (dashed)',
      'Per second, log scale.',
      [
        { suffix: 'p99', pick: (r) => nz(r.series.num('latency_p99_ms')), width: 2 },
        { suffix: 'p50', pick: (r) => nz(r.series.num('latency_p50_ms')), dash: [4, 3] },
      ],
      { left: { label: 'ms', unit: 'ms', log: true }, lines: [{ value: runs[0].run.run.targets?.p99Ms ?? 1000, label: `p99 target ${formatMs(runs[0].run.run.targets?.p99Ms ?? 1000)}`, color: COLORS.target }] },
      false,
    ),
    overlay(
      runs,
      'throughput',
      'Completed (solid) and offered (dashed) req/s; errors (dotted, right axis)',
      'Per second.',
      [
        { suffix: 'completed', pick: (r) => r.series.num('rate_completed'), width: 2 },
        { suffix: 'offered', pick: (r) => r.series.num('rate_scheduled'), dash: [6, 3] },
        { suffix: 'errors + drops', pick: (r) => r.series.num('errors').map((e, i) => (e === null ? null : e + (r.series.num('dropped')[i] ?? 0))), dash: [2, 3], axis: 'right' },
      ],
      { left: { label: 'req/s', unit: 'req/s', min: 0 }, right: { label: 'errors/s', unit: '/s', min: 0 } },
      false,
    ),
    overlay(
      runs,
      'swap',
      'Swap used by the stack',
      `MB in swap, per second.${runs.every((r) => !(maxOf(r.run.series.num('stack_swap_mb')) ?? 0)) ? ' No run used swap (0 MB throughout).' : ''}`,
      [{ suffix: 'swap', pick: (r) => r.series.num('stack_swap_mb'), width: 2 }],
      { left: { label: 'MB', unit: 'MB', min: 0 } },
      false,
    ),
  ];
}

interface Metric {
  label: string;
  value: (r: RunFolder) => number | null;
  format: (v: number) => string;
  /** Which way is better, for the colour of a delta. */
  better: 'lower' | 'higher';
}

const measured = (r: RunFolder, key: string) => {
  const v = r.report?.load?.measured?.[key];
  return typeof v === 'number' ? v : null;
};
const target = (r: RunFolder, name: string) => r.report?.verdict.targets.find((t) => t.name === name)?.measured ?? null;

export function compareMetrics(runs: RunFolder[]): Metric[] {
  const services = [...new Set(runs.flatMap((r) => serviceColumns(r).map((s) => s.name)))];
  const svcPeak = (name: string) => (r: RunFolder) => {
    const c = serviceColumns(r).find((s) => s.name === name);
    return c ? maxOf(r.series.num(`${c.prefix}_working_set_mb`)) : null;
  };
  return [
    { label: 'average latency', value: (r) => measured(r, 'avgMs'), format: formatMs, better: 'lower' },
    { label: 'p50 latency', value: (r) => measured(r, 'p50Ms'), format: formatMs, better: 'lower' },
    { label: 'p99 latency', value: (r) => measured(r, 'p99Ms'), format: formatMs, better: 'lower' },
    { label: 'completed rate', value: (r) => measured(r, 'okRps'), format: formatRate, better: 'higher' },
    {
      label: 'errors and drops',
      value: (r) => {
        const f = measured(r, 'failures');
        const d = measured(r, 'dropped');
        return f === null && d === null ? null : (f ?? 0) + (d ?? 0);
      },
      format: formatCount,
      better: 'lower',
    },
    { label: 'error rate', value: (r) => target(r, 'error_rate'), format: formatPercent, better: 'lower' },
    { label: 'cache hit rate', value: (r) => target(r, 'cache_hit_rate'), format: formatPercent, better: 'higher' },
    { label: 'OOM kills', value: (r) => r.events.filter((e) => e.event === 'oom-kill').length, format: formatCount, better: 'lower' },
    { label: 'restarts', value: (r) => r.events.filter((e) => e.event === 'service-restart').length, format: formatCount, better: 'lower' },
    { label: 'peak working set (stack)', value: (r) => maxOf(r.series.num('stack_working_set_mb')), format: (v) => formatBytes(v * MB), better: 'lower' },
    { label: 'peak swap (stack)', value: (r) => maxOf(r.series.num('stack_swap_mb')), format: (v) => formatBytes(v * MB), better: 'lower' },
    ...services.map((s): Metric => ({ label: `peak working set: ${s}`, value: svcPeak(s), format: (v) => formatBytes(v * MB), better: 'lower' })),
  ];
}

/** `+12 ms (+20 %)`, coloured by whether the change is better or worse. */
function delta(m: Metric, base: number | null, v: number | null): string {
  if (base === null || v === null) return '–';
  const d = v - base;
  if (d === 0) return '0';
  const pct = base !== 0 ? ` (${d > 0 ? '+' : ''}${((d / Math.abs(base)) * 100).toFixed(0)} %)` : '';
  const worse = m.better === 'lower' ? d > 0 : d < 0;
  const abs = m.format(Math.abs(d));
  return `<span class="${worse ? 'fail-t' : 'pass-t'}">${d > 0 ? '+' : '−'}${esc(abs)}${esc(pct)}</span>`;
}

export function deltaTable(runs: Labelled[]): string {
  const metrics = compareMetrics(runs.map((r) => r.run));
  const head = ['', ...runs.map((r) => `${r.letter}: ${r.label}`), ...runs.slice(1).map((r) => `${r.letter} − A`)];
  const verdictRow = { cells: ['verdict', ...runs.map((r) => { const v = verdictWord(r.run); return `<span class="${v.cls}-t">${v.word}</span>`; }), ...runs.slice(1).map(() => '')] };
  const rows = metrics
    .map((m) => ({ m, values: runs.map((r) => m.value(r.run)) }))
    .filter(({ values }) => values.some((v) => v !== null))
    .map(({ m, values }) => ({
      cells: [esc(m.label), ...values.map((v) => esc(v === null ? '–' : m.format(v))), ...values.slice(1).map((v) => delta(m, values[0], v))],
    }));
  const n = runs.length;
  return table({
    head,
    numeric: Array.from({ length: 2 * n - 1 }, (_, i) => i + 1),
    rows: [verdictRow, ...rows],
    note: 'Each figure from that run\'s own files (report.json for the load, timeseries.csv for memory, events.csv for kills). Deltas against run A; green is better, red worse. A difference within run-to-run noise is not a win: repeat runs to know the spread.',
  });
}

export function renderCompareReport(input: CompareReportInput): string {
  if (!input.runs.length) throw new InputError('a comparison needs at least one run folder', 'pass run folders, e.g. simulate report results/<a> results/<b>');
  // Runs of one profile are told apart by their ids.
  const sameProfile = new Set(input.runs.map((r) => r.run.profile)).size < input.runs.length;
  const runs: Labelled[] = input.runs.map((run, i) => ({ run, letter: LETTERS[i] ?? String(i + 1), label: input.labels?.[i] ?? (sameProfile ? `${run.run.profile} ${run.name}` : run.run.profile), color: PALETTE[i % PALETTE.length] }));
  const charts = compareCharts(runs);
  const runList = table({
    head: ['', 'run', 'profile', 'cap', 'driver', 'scenario', 'started', 'verdict'],
    rows: runs.map((r) => {
      const v = verdictWord(r.run);
      return {
        cells: [
          `<b style="color:${r.color}">${r.letter}</b>`,
          esc(r.run.name),
          esc(r.label === r.run.run.profile ? r.label : `${r.label} (${r.run.run.profile})`),
          esc(formatBytes(r.run.run.capBytes)),
          esc(r.run.run.driver),
          esc(r.run.run.scenario ?? 'no load'),
          esc(r.run.run.startedAt),
          `<span class="${v.cls}-t">${v.word}</span>`,
        ],
      };
    }),
  });
  const extra = (input.tables ?? []).map((t) => `<h2>${esc(t.title)}</h2>${table({ head: t.head, rows: t.rows.map((r) => ({ cells: r.map(esc) })), note: t.note })}`).join('');
  const hosts = new Set(runs.map((r) => JSON.stringify(r.run.run.host ?? {})));
  const title = input.title ?? `simulate: ${runs.map((r) => r.label).join(' vs ')}`;
  return page({
    title,
    header: `<p class="sub">${esc(input.note ?? `${runs.length} runs overlaid on one time axis (seconds since each run started).`)}</p>${runList}`,
    main: `${extra}<h2>${input.tables?.length ? 'Deltas, run by run' : 'Deltas'}</h2>${deltaTable(runs)}<h2>Timeline, overlaid</h2>${charts.map(chartBlock).join('')}`,
    side: `<h2>Host</h2>${hosts.size === 1 ? hostTable(runs[0].run) : `<p class="note">The runs ran on ${hosts.size} different hosts: compare with care.</p>${runs.map((r) => `<h3>${r.letter}</h3>${hostTable(r.run)}`).join('')}`}`,
    charts,
    single: true,
    sources: "each run's own files (run.json, report.json, timeseries.csv, events.csv)",
  });
}
