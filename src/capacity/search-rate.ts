/**
 * The rate search driven against something real: each planned step becomes a load step run by `runStep`
 * (a load run against --target, or a Run of the stack), judged over its own window, and told back to the
 * search. Knows nothing about stacks: the runner says whether it kept, started or restarted one.
 */
import type { Scenario } from '../load/index.ts';
import { judgeStep, type StepLimits, type StepMeasurement, type StepVerdict } from './judge-step.ts';
import { RateSearch, type PlannedStep, type SearchResult } from './rate-search.ts';
import { stepScenario, type StepTiming } from './step-scenario.ts';

export type StackUse = 'none' | 'started' | 'kept' | 'restarted';

export interface StepContext extends PlannedStep {
  /** 1-based step number within this search. */
  index: number;
  scenario: Scenario;
  warmupS: number;
  measureS: number;
}

export interface StepRun {
  measurement: StepMeasurement;
  stack: StackUse;
  /** Why the stack was restarted (or anything else to say about this step). */
  note?: string;
  /** The run folder of the Run that carried this step (profile mode). */
  runDir?: string;
  /** The app's cache hit rate over the measured window (profile mode; null when it could not be read). */
  cacheHitRate?: number | null;
  /** Seconds the warm-up really took, when it ran until steady state (not the step's fixed warm-up). */
  warmupS?: number;
  /** How the step warmed up, when not the fixed way (a fresh stack warmed to steady state). */
  warmUp?: string;
}

export interface StepRecord extends StepRun {
  tier: string;
  capBytes: number | null;
  index: number;
  rate: number;
  kind: PlannedStep['kind'];
  phase: PlannedStep['phase'];
  fullLength: boolean;
  warmupS: number;
  measureS: number;
  startedAt: string;
  verdict: StepVerdict;
}

export interface StepAnnouncement {
  tier: string;
  capBytes: number | null;
  index: number;
  aboutTotal: number;
  rate: number;
  kind: PlannedStep['kind'];
  phase: PlannedStep['phase'];
  /** Seconds this step will take, roughly. */
  stepS: number;
  /** Seconds the rest of this search will take, roughly (this step included). */
  searchLeftS: number;
}

export interface SearchRateOptions {
  tier: string;
  capBytes: number | null;
  base: Scenario;
  limits: StepLimits;
  startRate: number;
  maxRate?: number;
  tolerance?: number;
  /** Confirmations tried before the search gives up as not confirmed (default: RateSearch's 2). */
  maxConfirmations?: number;
  timing: StepTiming;
  /** Seconds each step costs beyond its load (a stack restart, reading files). */
  overheadS?: number;
  runStep(ctx: StepContext): Promise<StepRun>;
  onStepStart?(a: StepAnnouncement): void;
  onStepEnd?(r: StepRecord): void;
  signal?: AbortSignal;
}

export async function searchMaxRate(opts: SearchRateOptions): Promise<{ result: SearchResult; steps: StepRecord[]; interrupted: boolean }> {
  const search = new RateSearch({ startRate: opts.startRate, tolerance: opts.tolerance, maxRate: opts.maxRate, maxConfirmations: opts.maxConfirmations });
  const steps: StepRecord[] = [];
  const t = opts.timing;
  const overhead = opts.overheadS ?? 1;
  for (let planned = search.next(); planned; planned = search.next()) {
    if (opts.signal?.aborted) return { result: search.result(), steps, interrupted: true };
    const measureS = planned.fullLength ? t.confirmS : t.measureS;
    const index = steps.length + 1;
    const left = search.remainingEstimate();
    const stepS = t.warmupS + measureS + overhead;
    opts.onStepStart?.({
      tier: opts.tier,
      capBytes: opts.capBytes,
      index,
      aboutTotal: index - 1 + left,
      rate: planned.rate,
      kind: planned.kind,
      phase: planned.phase,
      stepS,
      searchLeftS: stepS + Math.max(0, left - 2) * (t.warmupS + t.measureS + overhead) + (left > 1 ? t.warmupS + t.confirmS + overhead : 0),
    });
    const startedAt = new Date().toISOString();
    const scenario = stepScenario(opts.base, planned.rate, t.warmupS, measureS, opts.limits.p99Ms);
    const run = await opts.runStep({ ...planned, index, scenario, warmupS: t.warmupS, measureS });
    const verdict = judgeStep(run.measurement, opts.limits);
    const record: StepRecord = {
      ...run,
      tier: opts.tier,
      capBytes: opts.capBytes,
      index,
      rate: planned.rate,
      kind: planned.kind,
      phase: planned.phase,
      fullLength: planned.fullLength,
      warmupS: run.warmupS ?? t.warmupS,
      measureS,
      startedAt,
      verdict,
    };
    steps.push(record);
    opts.onStepEnd?.(record);
    if (opts.signal?.aborted) return { result: search.result(), steps, interrupted: true };
    search.record(verdict.outcome);
  }
  return { result: search.result(), steps, interrupted: false };
}
