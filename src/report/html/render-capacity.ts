/**
 * A capacity review (`simulate capacity`): per tier, latency and completed rate against the offered rate with
 * the maximum found marked; the tier/cost table; every step. Takes the review's data as parsed, so
 * `simulate capacity` and `simulate report` on its folder draw the same page.
 */
import { formatBytes, formatMs, formatRate } from '../format.ts';
import { COLORS, PALETTE, type ChartOrSkip } from './chart-spec.ts';
import { chartBlock, esc, page, table } from './page.ts';

export interface CapacityTier {
  /** The tier's name (profile or cap label), as steps name it. */
  name: string;
  capBytes?: number;
  /** e.g. `¥400/month`. */
  cost?: string;
  maxSustainedRps: number | null;
  /** Why the search stopped (first failure) or what limited it (harness-limited). */
  limitedBy?: string;
  verdict?: string;
  /** More columns for the tier table, as they are (smallest passing cap, cost per 100 req/s, ...). */
  columns?: Record<string, string | number | null | undefined>;
}

export interface CapacityStep {
  tier: string;
  offeredRps: number;
  completedRps: number | null;
  avgMs: number | null;
  p50Ms?: number | null;
  p99Ms: number | null;
  errors?: number | null;
  peakWorkingSetMb?: number | null;
  oomKills?: number | null;
  pass: boolean;
  /** Why a step failed, or `harness-limited`. */
  why?: string;
}

export interface CapacityReportInput {
  title?: string;
  note?: string;
  targets?: { avgLatencyMs?: number; p99Ms?: number; minRps?: number };
  tiers: CapacityTier[];
  steps: CapacityStep[];
  /** The seed's table beside what was measured: plain text cells. */
  claims?: { head: string[]; rows: string[][]; note?: string };
}

export function capacityCharts(input: CapacityReportInput): ChartOrSkip[] {
  return input.tiers.map((tier, i): ChartOrSkip => {
    const id = `tier-${i}`;
    const title = `${tier.name}${tier.capBytes ? ` (${formatBytes(tier.capBytes)} cap)` : ''}: latency and completed rate against offered rate`;
    // One point per offered rate: the last step at a rate (the confirmation) is the one that counts.
    const byRate = new Map<number, CapacityStep>();
    for (const s of input.steps.filter((s) => s.tier === tier.name)) byRate.set(s.offeredRps, s);
    const steps = [...byRate.values()].sort((a, b) => a.offeredRps - b.offeredRps);
    if (!steps.length) return { id, title, skipped: `no step recorded for ${tier.name}` };
    const tg = input.targets ?? {};
    return {
      id,
      title,
      note: `One point per step (offered rate). ${tier.maxSustainedRps !== null ? `Maximum sustained: ${formatRate(tier.maxSustainedRps)}` : 'No rate sustained'}${tier.limitedBy ? `; ${tier.limitedBy}` : ''}.`,
      x: steps.map((s) => s.offeredRps),
      xKind: 'rate',
      xLabel: 'offered req/s',
      series: [
        { label: 'average', color: PALETTE[2], values: steps.map((s) => (s.avgMs && s.avgMs > 0 ? s.avgMs : null)), points: true, width: 2 },
        { label: 'p99', color: PALETTE[8], values: steps.map((s) => (s.p99Ms && s.p99Ms > 0 ? s.p99Ms : null)), points: true, width: 2 },
        { label: 'completed req/s', color: PALETTE[0], values: steps.map((s) => s.completedRps), points: true, axis: 'right', dash: [5, 3] },
      ],
      left: { label: 'latency ms', unit: 'ms', log: true },
      right: { label: 'completed req/s', unit: 'req/s', min: 0 },
      lines: [
        ...(tg.avgLatencyMs ? [{ value: tg.avgLatencyMs, label: `average target ${formatMs(tg.avgLatencyMs)}`, color: PALETTE[2] }] : []),
        ...(tg.p99Ms ? [{ value: tg.p99Ms, label: `p99 target ${formatMs(tg.p99Ms)}`, color: PALETTE[8] }] : []),
      ],
      markers: [
        ...(tier.maxSustainedRps !== null ? [{ x: tier.maxSustainedRps, label: `max sustained ${formatRate(tier.maxSustainedRps)}`, color: COLORS.target, kind: 'max' }] : []),
        ...steps.filter((s) => (s.oomKills ?? 0) > 0).map((s) => ({ x: s.offeredRps, label: 'OOM', color: COLORS.oom, kind: 'oom-kill' })),
      ],
    };
  });
}

function tierTable(input: CapacityReportInput): string {
  const extraCols = [...new Set(input.tiers.flatMap((t) => Object.keys(t.columns ?? {})))];
  return table({
    head: ['tier', 'cap', 'cost', 'max sustained', 'limited by', 'verdict', ...extraCols],
    numeric: [1, 3],
    rows: input.tiers.map((t) => ({
      cls: t.verdict && /fail/i.test(t.verdict) ? 'fail' : t.verdict && /pass/i.test(t.verdict) ? 'pass' : undefined,
      cells: [
        esc(t.name),
        esc(t.capBytes ? formatBytes(t.capBytes) : '–'),
        esc(t.cost ?? '–'),
        esc(t.maxSustainedRps === null ? 'none' : formatRate(t.maxSustainedRps)),
        esc(t.limitedBy ?? ''),
        esc(t.verdict ?? ''),
        ...extraCols.map((c) => esc(t.columns?.[c] ?? '–')),
      ],
    })),
  });
}

function stepsTable(input: CapacityReportInput): string {
  return table({
    head: ['tier', 'offered', 'completed', 'avg', 'p99', 'errors', 'peak WS', 'OOM', 'result'],
    numeric: [1, 2, 3, 4, 5, 6, 7],
    rows: input.steps.map((s) => ({
      cls: s.pass ? 'pass' : 'fail',
      cells: [
        esc(s.tier),
        esc(formatRate(s.offeredRps)),
        esc(s.completedRps === null ? '–' : formatRate(s.completedRps)),
        esc(s.avgMs === null ? '–' : formatMs(s.avgMs)),
        esc(s.p99Ms === null ? '–' : formatMs(s.p99Ms)),
        esc(s.errors ?? '–'),
        esc(s.peakWorkingSetMb == null ? '–' : formatBytes(s.peakWorkingSetMb * 1024 * 1024)),
        esc(s.oomKills ?? '–'),
        `${s.pass ? '<span class="pass-t">pass</span>' : '<span class="fail-t">fail</span>'}${s.why ? ` ${esc(s.why)}` : ''}`,
      ],
    })),
  });
}

export function renderCapacityReport(input: CapacityReportInput): string {
  const charts = capacityCharts(input);
  const claims = input.claims ? `<h2>The seed's tiers, measured</h2>${table({ head: input.claims.head, rows: input.claims.rows.map((r) => ({ cells: r.map(esc) })), note: input.claims.note })}` : '';
  return page({
    title: input.title ?? 'simulate capacity review',
    header: `<p class="sub">${esc(input.note ?? `${input.tiers.length} tier${input.tiers.length === 1 ? '' : 's'}, ${input.steps.length} steps.`)}</p>`,
    main: `<h2>Tiers and cost</h2>${tierTable(input)}${claims}<h2>Each tier against the offered rate</h2>${charts.map(chartBlock).join('')}`,
    side: `<h2>Steps</h2>${stepsTable(input)}`,
    charts,
    single: true,
    sources: "the review's own files (capacity.json, each step measured in its own window)",
  });
}
