/**
 * The verdict: each target of the table (targets.ts), measured over the judged stages of this run,
 * against its limit. A missed target says by how much and the second of the run at which it first
 * broke. Pure: the run gathers the inputs.
 */
import type { LoadResult } from '../load/index.ts';
import type { OomKillRecord, TargetResult, Verdict } from '../model/index.ts';
import type { Targets } from '../profile/stack.ts';
import type { FaultRecord, WriteCheck } from '../model/index.ts';
import { judgedRates, secondSpan, stageSpan } from './spans.ts';
import { firstBroke, judge, TARGETS, type Span, type TargetDef } from './targets.ts';

export interface VerdictInput {
  targets: Targets;
  /** 0 = no stack of ours (`--target`): memory targets do not apply. */
  capBytes: number;
  load?: LoadResult;
  /** Run second at which the load's second 0 began. */
  loadStartT: number;
  /** The stack's working set, one reading a second (run seconds). */
  memory: Array<{ t: number; workingSet: number }>;
  oomKills: OomKillRecord[];
  /** Cache hit rate over the measured stages, from the app's /metrics; undefined when there is no app to ask. */
  cacheHitRate?: number | null;
  /** Why there is no hit rate, when the app answered but made no cache lookup (the cache is off). */
  cacheNote?: string;
  standins: string[];
  interrupted: boolean;
  /** The table to judge by (default: every target); a workflow adds its own entries here. */
  defs?: readonly TargetDef[];
  /** Extra figures for added targets, merged into the judged run's span. */
  extraSpan?: Partial<Span>;
  /** Acknowledged writes looked up after the load (absent: the scenario made none to check). */
  writes?: WriteCheck;
  /** One record per fault injected (src/faults/fault-record.ts). */
  faults?: FaultRecord[];
}

/** The judged run as one span: the judged stages merged, peak memory, every kill. */
export function runSpan(input: VerdictInput): Span {
  const span: Span = { ...(input.load ? stageSpan(input.load.overall) : {}) };
  // Throughput by completion time over the judged seconds, not arrivals that completed some time.
  const rates = input.load && judgedRates(input.load);
  if (span.load && rates) Object.assign(span.load, rates);
  if (input.load && input.cacheHitRate !== undefined) span.cacheHitRate = input.cacheHitRate;
  if (input.load && input.cacheNote) span.cacheNote = input.cacheNote;
  const w = input.writes;
  if (w && (w.acknowledged > 0 || w.notChecked)) span.writes = { acknowledged: w.acknowledged, found: w.found, lost: w.lost, notChecked: w.notChecked, lostIds: w.lostWrites.slice(0, 5).map((x) => x.id) };
  if (input.faults?.length) span.faults = input.faults.map((f) => ({ fault: f.fault, recovered: f.recoveryS !== null, pass: f.pass, note: f.note }));
  if (input.capBytes > 0) {
    // A loop, not Math.max(...spread): a long run sampled often has more readings than the call stack takes arguments.
    const peak = input.memory.reduce((max, m) => Math.max(max, m.workingSet), 0);
    span.memory = { capBytes: input.capBytes, peakWorkingSet: input.memory.length ? peak : undefined };
    span.oomKills = input.oomKills.length;
    span.kills = input.oomKills.map((k) => ({ t: k.t, service: k.service }));
  }
  return { ...span, ...input.extraSpan };
}

/** Every moment of the run a target can break at: judged load seconds, memory readings, kills. */
export function runMoments(input: VerdictInput): Array<{ t: number; span: Span }> {
  const moments: Array<{ t: number; span: Span }> = [];
  for (const w of input.load?.seconds ?? []) if (!w.excluded) moments.push({ t: input.loadStartT + w.t, span: secondSpan(w) });
  if (input.capBytes > 0) {
    for (const m of input.memory) moments.push({ t: m.t, span: { memory: { capBytes: input.capBytes, peakWorkingSet: m.workingSet } } });
    input.oomKills.forEach((k, i) => moments.push({ t: k.t, span: { oomKills: i + 1 } }));
  }
  return moments;
}

export function computeVerdict(input: VerdictInput): Verdict {
  const span = runSpan(input);
  const moments = runMoments(input);
  const results: TargetResult[] = [];
  for (const def of input.defs ?? TARGETS) {
    const r = judge(def, span, input.targets);
    if (!r) continue;
    if (!r.pass && !r.notJudged) {
      const at = firstBroke(def, moments, input.targets);
      if (at !== undefined) r.firstBrokeAtS = at;
    }
    results.push(r);
  }
  return {
    // A target that could not be judged is not a pass, but not a miss either: it is reported as such.
    pass: !input.interrupted && results.every((r) => r.pass || r.notJudged !== undefined),
    model: input.load?.model ?? 'none',
    targets: results,
    oomKills: input.oomKills,
    standins: input.standins,
    interrupted: input.interrupted,
    ...(input.writes ? { writes: { ...input.writes, lostWrites: input.writes.lostWrites.slice(0, 20) } } : {}),
    ...(input.faults ? { faults: input.faults } : {}),
  };
}
