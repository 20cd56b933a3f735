/**
 * The one table of targets. The final verdict (verdict.ts), the run's target-missed events (run/run.ts)
 * and the live checks on screen (report/reporters/live-checks.ts) all read it, and this is the only
 * module that compares a figure with a limit (`meets`). Adding a target is one entry in TARGETS, plus
 * (when it reads something new) an optional field of `Span`.
 *
 * A target reads a Span: the figures of one stretch of the run. The same entry is measured over one
 * second (events, live screen, when a target first broke), over one stage, or over the judged run
 * (the verdict), so the three can no longer disagree about what is measured.
 */
import type { TargetResult } from '../model/index.ts';
import type { Targets } from '../profile/stack.ts';
import { formatTargetValue } from '../report/format.ts';
import { MIN_GROWTH_JUDGED_S } from './trend.ts';

/** `7 days`, `12 h`. */
function formatHorizon(s: number): string {
  return s >= 86400 ? `${+(s / 86400).toFixed(1)} days` : `${+(s / 3600).toFixed(1)} h`;
}

export type Comparator = TargetResult['comparator'];
export type TargetUnit = TargetResult['unit'];

/** What a target reads over a stretch of the run. An absent part: the span holds nothing of that kind. */
export interface Span {
  /** Load over the span; absent when no judged load ran in it (no scenario, or a warm-up the verdict excludes). */
  load?: {
    /** Requests that ended: completed + errors + dropped. */
    requests: number;
    /** Errors + dropped. */
    failed: number;
    /** Completed (2xx/3xx) per second. */
    okRps: number;
    /** What the scenario offered per second (scheduled, or sent in the closed model). */
    offeredRps: number;
    /** Seconds the span covers (1 for one second of load). */
    seconds?: number;
    /** Latency of the requests that ended; null when none did. */
    avgMs: number | null;
    p99Ms: number | null;
  };
  /** The stack's memory; absent without a cap (`--target`: no stack of ours). */
  memory?: {
    capBytes: number;
    /** Highest working set in the span; undefined when nothing was read. */
    peakWorkingSet?: number;
  };
  /** OOM kills from the start of the run to the end of the span; absent without a stack of ours. */
  oomKills?: number;
  /** The kills themselves, for the verdict's note. */
  kills?: Array<{ t: number; service: string }>;
  /**
   * The memory trend over the judged time (trend.ts): how long was judged, and the stack's held memory (usage
   * less all file cache, which the kernel reclaims before an OOM kill) projected to the profile's growth
   * horizon at the fitted slope (absent when no line was fitted), and at the low and high ends of the slope's
   * 95 % interval (trend.ts projectGrowth; absent, the middle serves for both).
   */
  growth?: { judgedS: number; projectedBytes?: number; lowBytes?: number; highBytes?: number; slopeMbPerMin?: number; halfWidthMbPerMin?: number };
  /** Cache hit rate over the span; null when the app did not answer; absent when there is no app to ask. */
  cacheHitRate?: number | null;
  /** Why there is no hit rate when the app answered (it made no cache lookup: the cache is off). */
  cacheNote?: string;
  /** Acknowledged writes looked up in the database after the load; absent when the load made none to check. */
  writes?: { acknowledged: number; found: number; lost: number; notChecked?: string; lostIds: string[] };
  /** Faults injected in the run (src/faults): whether each recovered and passed. */
  faults?: Array<{ fault: string; recovered: boolean; pass: boolean; note?: string }>;
}

/** A target that cannot fail in this span says why, and is never a pass. */
export interface NotJudged {
  notJudged: string;
}

/**
 * What `measure` gives: a figure; null = it applies but nothing was measured (a FAIL in the verdict,
 * no judgement for a single second); undefined = the span holds nothing this target reads (no row);
 * NotJudged = it applies, but the span cannot show a miss (reported as "not judged", never "pass").
 */
export type Measured = number | null | undefined | NotJudged;

export interface TargetDef {
  name: string;
  label: string;
  unit: TargetUnit;
  comparator: Comparator;
  /** The limit, from the profile's targets. */
  limit(tg: Targets): number;
  measure(span: Span, tg: Targets): Measured;
  /** A note beside the verdict's row (why, or what the figure is made of). */
  note?(span: Span, tg: Targets, value: number | null): string | undefined;
  /** The target-missed event's line for a figure that broke the limit; `at` is e.g. `in second 42 of the run`. */
  missed?(span: Span, value: number, limit: number, at: string): string;
}

export const notJudged = (reason: string): NotJudged => ({ notJudged: reason });

/** The projection's low and high ends (the slope's 95 % interval); without them, the middle serves for both. */
const growthEnds = (g: Span['growth']) =>
  g?.projectedBytes === undefined ? undefined : { low: g.lowBytes ?? g.projectedBytes, high: g.highBytes ?? g.projectedBytes };
export const isNotJudged = (m: Measured): m is NotJudged => typeof m === 'object' && m !== null;

/** The only comparison of a figure with a limit in the code base. */
export function meets(value: number, comparator: Comparator, limit: number): boolean {
  if (!Number.isFinite(value)) return false;
  switch (comparator) {
    case '<=':
      return value <= limit;
    case '>=':
      return value >= limit;
    case '<':
      return value < limit;
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

const MB = 1024 * 1024;
/** An arrival schedule at the target rate may place a request on either side of a second's edge. */
const OFFER_TOLERANCE = 0.005;
/** Requests a one-second count may differ by around a steady rate (an arrival or a response either side of the edge). */
const SECOND_JITTER = 2;

export const TARGETS: readonly TargetDef[] = [
  {
    name: 'avg_latency',
    label: 'average latency',
    unit: 'ms',
    comparator: '<=',
    limit: (tg) => tg.avgLatencyMs,
    measure: (s) => (s.load ? s.load.avgMs : undefined),
  },
  {
    name: 'throughput',
    label: 'throughput (completed)',
    unit: 'req/s',
    comparator: '>=',
    // Responses completed per second, counted by when they completed, against the target itself: a failed
    // request is the error row's business, not a discount on this one.
    limit: (tg) => tg.minRps,
    measure: (s, tg) => {
      if (!s.load) return undefined;
      if (s.load.requests === 0 && s.load.okRps === 0 && s.load.offeredRps === 0) return null;
      // Offered below the target, the run cannot show whether the stack sustains it: never a pass.
      if (s.load.offeredRps < tg.minRps * (1 - OFFER_TOLERANCE)) {
        return notJudged(`not tested: the judged stages offered ${s.load.offeredRps.toFixed(0)} req/s, below the ${tg.minRps} req/s target`);
      }
      // One second's count jitters by a request or two around a steady rate; a stage's is exact to
      // the request, and is compared at whole req/s (the resolution it is printed at).
      const seconds = s.load.seconds ?? 1;
      return seconds <= 1 ? s.load.okRps + SECOND_JITTER : Math.round(s.load.okRps);
    },
    note: (s) => (!s.load || s.load.requests === 0 ? undefined : `responses completed per second by completion time over the judged stages (offered ${s.load.offeredRps.toFixed(0)} req/s)`),
    missed: (s, _v, limit, at) => `${s.load?.okRps} req/s completed ${at} (target >= ${limit} req/s)`,
  },
  {
    name: 'p99_latency',
    label: 'p99 latency',
    unit: 'ms',
    comparator: '<',
    limit: (tg) => tg.p99Ms,
    measure: (s) => (s.load ? s.load.p99Ms : undefined),
  },
  {
    name: 'error_rate',
    label: 'errors and drops',
    unit: 'ratio',
    comparator: '<=',
    limit: (tg) => tg.maxErrorRate,
    measure: (s) => (s.load ? (s.load.requests > 0 ? s.load.failed / s.load.requests : null) : undefined),
    missed: (s, _v, limit, at) => `${s.load?.failed} of ${s.load?.requests} requests failed or dropped ${at} (target <= ${(limit * 100).toFixed(0)} %)`,
  },
  {
    name: 'cache_hit_rate',
    label: 'cache hit rate',
    unit: 'ratio',
    comparator: '>=',
    limit: (tg) => tg.minCacheHitRate,
    measure: (s) => s.cacheHitRate,
    note: (s) => (s.cacheHitRate === null ? s.cacheNote ?? 'the app did not answer /metrics' : undefined),
  },
  {
    name: 'growth',
    label: 'cap − held memory at the horizon (trend)',
    unit: 'bytes',
    comparator: '>=',
    // The cap not reached within the profile's horizon at the slope the judged time showed.
    limit: () => 0,
    measure: (s, tg) => {
      if (!s.growth || !tg.growthHorizonS || !s.memory) return undefined;
      if (s.growth.judgedS < MIN_GROWTH_JUDGED_S || s.growth.projectedBytes === undefined) {
        const judged = s.growth.judgedS < 120 ? `${Math.round(s.growth.judgedS)} s` : `${Math.floor(s.growth.judgedS / 60)} min`;
        return notJudged(`${judged} judged; a growth trend needs at least ${MIN_GROWTH_JUDGED_S / 60} min (run the soak scenario)`);
      }
      // Judged on the slope's 95 % interval, not its middle: a pass needs even the high end to stay under the
      // cap, a fail needs even the low end to cross it. Between the two, the run cannot tell, and says so.
      const { capBytes } = s.memory;
      const { low, high } = growthEnds(s.growth)!;
      if (high <= capBytes) return capBytes - high;
      if (low > capBytes) return capBytes - low;
      const slope = s.growth.slopeMbPerMin === undefined ? '' : `held memory ${s.growth.slopeMbPerMin >= 0 ? '+' : ''}${s.growth.slopeMbPerMin.toFixed(2)} ± ${(s.growth.halfWidthMbPerMin ?? 0).toFixed(2)} MB/min (95 %): `;
      return notJudged(`${slope}the cap is reached within ${formatHorizon(tg.growthHorizonS)} at the interval's high end, not at its low end; a longer soak narrows it`);
    },
    // Which end of the slope's interval the figure is from: a pass is the high end's margin, a fail the low end's.
    note: (s, tg) => {
      if (!tg.growthHorizonS) return undefined;
      const high = growthEnds(s.growth)?.high;
      const end = high !== undefined && s.memory && high <= s.memory.capBytes ? 'high end' : 'low end';
      return `the stack's memory less its page cache (reclaimed before any OOM kill) ${formatHorizon(tg.growthHorizonS)} from now at the ${end} of the held slope's 95 % interval, below the cap`;
    },
  },
  {
    name: 'oom_kills',
    label: 'OOM kills',
    unit: 'count',
    comparator: '<=',
    limit: (tg) => tg.maxOomKills,
    measure: (s) => s.oomKills,
    note: (s) => (s.kills?.length ? s.kills.map((k) => `${k.service} at ${k.t}s`).join(', ') : undefined),
    missed: (_s, v, limit) => `${v} OOM kill${v > 1 ? 's' : ''} (target <= ${limit})`,
  },
  {
    name: 'free_memory',
    label: 'memory left free (cap − peak)',
    unit: 'bytes',
    comparator: '>=',
    limit: (tg) => tg.minFreeBytes,
    measure: (s) => (s.memory ? (s.memory.peakWorkingSet === undefined ? null : s.memory.capBytes - s.memory.peakWorkingSet) : undefined),
    // Both figures binary, as every size this tool prints (formatBytes).
    missed: (_s, v, limit) => `only ${(v / MB).toFixed(0)} MB of the cap left free (target >= ${(limit / MB).toFixed(0)} MB)`,
  },
  {
    // Nothing acknowledged is lost: whatever else passed, a write the app acknowledged that is not in the
    // database fails the run. One that could not be looked up proves nothing: measured null, a FAIL.
    name: 'lost_writes',
    label: 'acknowledged writes lost',
    unit: 'count',
    comparator: '<=',
    limit: () => 0,
    measure: (s) => (s.writes ? (s.writes.notChecked ? null : s.writes.lost) : undefined),
    note: (s) =>
      s.writes?.notChecked ??
      (s.writes ? `${s.writes.found} of ${s.writes.acknowledged} found in the database${s.writes.lost ? `; lost ids: ${s.writes.lostIds.join(', ')}${s.writes.lost > s.writes.lostIds.length ? ', …' : ''}` : ''}` : undefined),
  },
  {
    // Each fault (src/faults) must be followed by 10 s in which every per-second target holds, and lose
    // no acknowledged write; the faults table beside the verdict has the row of each.
    name: 'faults_recovered',
    label: 'faults not recovered',
    unit: 'count',
    comparator: '<=',
    limit: () => 0,
    measure: (s) => (s.faults ? s.faults.filter((f) => !f.pass).length : undefined),
    note: (s) => {
      const bad = s.faults?.filter((f) => !f.pass) ?? [];
      return s.faults ? (bad.length ? bad.map((f) => `${f.fault}${f.note ? ` (${f.note})` : f.recovered ? ' (lost writes)' : ''}`).join('; ') : `all ${s.faults.length} recovered`) : undefined;
    },
  },
];

export type TargetName = string;

export function targetDef(name: TargetName, defs: readonly TargetDef[] = TARGETS): TargetDef {
  const d = defs.find((x) => x.name === name);
  if (!d) throw new Error(`no target named ${name}`);
  return d;
}

/** One target over one span: a verdict row, or undefined when the span holds nothing it reads. */
export function judge(def: TargetDef, span: Span, tg: Targets): TargetResult | undefined {
  const m = def.measure(span, tg);
  if (m === undefined) return undefined;
  const limit = def.limit(tg);
  const base = { name: def.name, label: def.label, limit, unit: def.unit, comparator: def.comparator };
  if (isNotJudged(m)) return { ...base, measured: null, pass: false, notJudged: m.notJudged, detail: `not judged: ${m.notJudged}` };
  const pass = m !== null && meets(m, def.comparator, limit);
  const note = def.note?.(span, tg, m);
  return { ...base, measured: m, pass, ...(note ? { detail: note } : m === null ? { detail: 'not measured' } : {}) };
}

/** Every target over one span, in table order. */
export function judgeAll(span: Span, tg: Targets, defs: readonly TargetDef[] = TARGETS): TargetResult[] {
  return defs.map((d) => judge(d, span, tg)).filter((r): r is TargetResult => r !== undefined);
}

/** A figure measured over a moment (one second, one reading) and whether it meets its limit. */
export interface MomentCheck {
  def: TargetDef;
  value: number;
  limit: number;
  pass: boolean;
}

/**
 * Each target over a short span (one second, one memory reading) for events and the live screen:
 * a target with nothing measured there is left out (a second with no request is not a latency miss).
 */
export function checkMoment(span: Span, tg: Targets, defs: readonly TargetDef[] = TARGETS): MomentCheck[] {
  const out: MomentCheck[] = [];
  for (const def of defs) {
    const m = def.measure(span, tg);
    if (m === undefined || m === null || isNotJudged(m)) continue;
    const limit = def.limit(tg);
    out.push({ def, value: m, limit, pass: meets(m, def.comparator, limit) });
  }
  return out;
}

/** The target-missed line for a moment that broke its limit. */
export function missedText(c: MomentCheck, span: Span, at: string): string {
  if (c.def.missed) return c.def.missed(span, c.value, c.limit, at);
  return `${c.def.label} ${formatTargetValue(c.value, c.def.unit)} ${at} (target ${c.def.comparator} ${formatTargetValue(c.limit, c.def.unit)})`;
}

/** The first moment (run seconds, in time order) at which a target broke. */
export function firstBroke(def: TargetDef, moments: Array<{ t: number; span: Span }>, tg: Targets): number | undefined {
  const sorted = [...moments].sort((a, b) => a.t - b.t);
  return sorted.find((m) => checkMoment(m.span, tg, [def]).some((c) => !c.pass))?.t;
}
