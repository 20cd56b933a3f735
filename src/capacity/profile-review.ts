/**
 * `simulate capacity --profile P`: for each tier (a profile under a cap) the highest rate it sustains, then
 * the smallest cap that passes at the profile's target rate, each figure measured by Runs of the real stack.
 *
 * Stacks: a Run carries the steps of one cap (the stack stays up between them: warm caches and pools, as
 * production would be). After a step with an OOM kill the next step gets a fresh stack (the killed service
 * came back cold by its restart policy); after another failed step the stack is kept only once the app
 * answers /health promptly again (its backlog worked off), else it is restarted. Every restart and every
 * keep after a failure is said, with its reason. Each cap trial of the smallest-cap search is a fresh stack:
 * how much a stack needs includes its start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadScenario, type Scenario } from '../load/index.ts';
import { listProfiles, loadProfile } from '../profile/load-profile.ts';
import { parseSize } from '../profile/sizes.ts';
import type { Stack } from '../profile/stack.ts';
import { InputError } from '../errors.ts';
import { runSimulation, type RunOptions, type RunSession } from '../run/run.ts';
import { CAP_GRANULARITY, CapConfirm, CapSearch, CONFIRM_RUNS, DOWN_STEP, roundDown, vpaStart, type CapConfirmResult } from './cap-search.ts';
import { CapacityFiles, capLabel } from './capacity-files.ts';
import { judgeStep, type StepLimits, type StepMeasurement } from './judge-step.ts';
import { measureLoadStep } from './measure-step.ts';
import type { CapacityProgress } from './progress.ts';
import { newCapacityReview, costPer100, type CapacityReview, type CapTrialRecord, type Cost, type SeedComparisonRow, type SmallestCap, type TierResult } from './review.ts';
import { searchMaxRate, type StepContext, type StepRecord, type StepRun } from './search-rate.ts';
import { seedTierForCap } from './seed-tiers.ts';
import { MEASURED_STAGE_INDEX, QUICK_STEADY_MAX_S, steadyWarmupBound, stepScenario, withSteadyWarmup, type StepTiming } from './step-scenario.ts';

const MiB = 1024 * 1024;
const TIER_PROFILES = ['2gb', '4gb', '8gb'];

export interface ProfileReviewOptions extends Pick<RunOptions, 'profile' | 'driver' | 'cap' | 'swap' | 'cpus' | 'outDir' | 'sampleIntervalMs' | 'data' | 'overrides'> {
  id: string;
  caps?: string[];
  /** `4g=400` overrides. */
  costs: string[];
  limits: Partial<StepLimits>;
  startRate?: number;
  timing: StepTiming;
  quick: boolean;
  progress: CapacityProgress;
  signal: AbortSignal;
  /**
   * Bring `stack` up under `capBytes`, hand `work` the session, tear it down. Default: a Run (runSimulation).
   * Tests pass a stand-in stack to drive the whole review without root.
   */
  startStack?: (stack: Stack, capBytes: number, work: (s: RunSession) => Promise<void>) => Promise<void>;
}

interface Tier {
  profile: string;
  stack: Stack;
  capBytes: number;
  ownTier: boolean;
  cost: Cost | null;
}

/** The step limits: the flags' (--max-avg, --max-p99, --max-errors) where given, else the profile's targets. */
function stepLimits(opts: ProfileReviewOptions, own: ReturnType<typeof loadProfile>): StepLimits {
  return {
    avgLatencyMs: opts.limits.avgLatencyMs ?? own.targets.avgLatencyMs,
    p99Ms: opts.limits.p99Ms ?? own.targets.p99Ms,
    maxErrorRate: opts.limits.maxErrorRate ?? own.targets.maxErrorRate,
  };
}

export async function profileReview(opts: ProfileReviewOptions): Promise<{ review: CapacityReview; dir: string }> {
  const own = loadProfile(opts.profile, { cap: opts.cap });
  const tiers = planTiers(opts, own);
  const limits = stepLimits(opts, own);
  const baseScenario = await loadScenario(own.scenario);
  const dir = path.resolve(opts.outDir, opts.id);
  const runsDir = path.join(dir, 'runs');
  const files = new CapacityFiles(dir);
  const review = newCapacityReview({
    id: opts.id,
    mode: 'profile',
    profile: own.name,
    target: null,
    quick: opts.quick,
    limits,
    targetRate: own.targets.minRps,
    timing: opts.timing,
    notes: [
      'open model: fixed arrival rate, latency counted from each request\'s scheduled send time',
      `scenario ${baseScenario.name}'s request mix at each step's rate; each step judged over its own window`,
      'the load generator runs on the same cores as the stack: a step where it could not keep its schedule is marked harness-limited',
    ],
  });
  files.write(review);
  const started = Date.now();
  // A fresh stack's warm-up to steady state: about 100 s for the 4gb tier's 3 GB data here (a guess for the clock only).
  const steadyGuessS = steadyWarmupBound(baseScenario) !== undefined ? (opts.quick ? 30 : 100) : 0;
  const perTierGuessS = steadyGuessS + 25 + (opts.timing.warmupS + opts.timing.measureS + 12) * 9 + (opts.timing.warmupS + opts.timing.confirmS + 12);
  const capTrialS = steadyGuessS + opts.timing.measureS + 25;
  if (opts.quick) {
    review.notes.push(
      "--quick: the rate search starts on each cap's fresh stack at once, its caches filling during its steps (cold caches make early steps slower, so its figure is if anything low), with one confirmation (a failed one ends it as not confirmed); the tier's verdict at the target rate is one more step after a warm-up until steady state in that step's own readings, on the stack the search used (its peak working set includes what the higher rates left)",
    );
    review.notes.push('--quick: no smallest-cap search (each cap trial is a fresh stack warmed to steady state, about 2 minutes each): run without --quick, or `npm run bench:capacity -- --check-cap` for the cap search with its 80 % check alone');
  }

  try {
    for (const [i, tier] of tiers.entries()) {
      if (opts.signal.aborted) break;
      const tiersAfter = tiers.length - i - 1;
      const capSearches = tiers.slice(i).filter((t) => searchesCap(t, opts)).length;
      const laterS = tiersAfter * perTierGuessS + capSearches * 6 * capTrialS;
      opts.progress.note(`[${tier.profile} @ ${capLabel(tier.capBytes)}] rate search from ${opts.startRate ?? tier.stack.targets.minRps} req/s (${tierLine(tier)})`);
      const result = await tierReview(tier, { opts, limits, baseScenario, runsDir, files, review, laterS });
      review.tiers.push(result);
      files.write(review);
      if (opts.signal.aborted) break;
    }
    review.seedComparison = seedComparison(review.tiers, tiers);
    const ownRow = review.tiers.find((t) => t.ownTier);
    review.interrupted = opts.signal.aborted;
    review.exitCode = review.interrupted ? 130 : ownRow?.verdict === 'PASS' ? 0 : 1;
    if (!ownRow && !review.interrupted) review.notes.push(`the profile's own tier (${own.name} at ${capLabel(own.capBytes)}) was not among the caps reviewed: exit 1`);
    review.notes.push(`review took ${Math.round((Date.now() - started) / 1000)} s`);
    review.endedAt = new Date().toISOString();
    files.write(review);
    return { review, dir };
  } finally {
    files.close();
  }
}

function tierLine(t: Tier): string {
  return `target ${t.stack.targets.minRps} req/s, avg <= ${t.stack.targets.avgLatencyMs} ms, p99 < ${t.stack.targets.p99Ms} ms, ${Math.round(t.stack.targets.minFreeBytes / 1e6)} MB free${t.cost ? `, ${t.cost.monthly} ${t.cost.currency}/month` : ''}`;
}

/** Which tiers a review covers: --caps (the profile under each), else the seed's three tiers (or the profile alone). */
export function planTiers(opts: Pick<ProfileReviewOptions, 'caps' | 'costs' | 'profile'>, own: Stack): Tier[] {
  const overrides = parseCostOverrides(opts.costs);
  const tierStacks = new Map<number, Stack>();
  for (const name of TIER_PROFILES) {
    if (!listProfiles().includes(name)) continue;
    const s = loadProfile(name);
    tierStacks.set(s.capBytes, s);
  }
  const costOf = (capBytes: number, stack: Stack | undefined): Cost | null => {
    const o = overrides.get(capBytes);
    const base = stack?.cost ?? tierStacks.get(capBytes)?.cost;
    if (o !== undefined) return { monthly: o, currency: base?.currency ?? 'CNY', source: '--cost' };
    return base ? { monthly: base.monthly, currency: base.currency, source: base.source ?? 'x-simulate.cost' } : null;
  };
  if (opts.caps?.length) {
    return opts.caps.map((c) => {
      const r = parseSize(c);
      if ('error' in r) throw new InputError(`--caps: ${c}: ${r.error}`, 'e.g. --caps 2g,4g,8g');
      const stack = loadProfile(opts.profile, { cap: c });
      // A cap's cost is the server's: the tier sized for that cap names it (or the profile, at its own cap),
      // unless --cost says otherwise; a cap no tier is sized for has no cost.
      const sized = tierStacks.get(r.bytes) ?? (r.bytes === own.capBytes ? own : undefined);
      return { profile: own.name, stack, capBytes: r.bytes, ownTier: r.bytes === own.capBytes, cost: costOf(r.bytes, sized) };
    });
  }
  if (TIER_PROFILES.includes(own.name)) {
    return TIER_PROFILES.filter((n) => listProfiles().includes(n)).map((n) => {
      const stack = n === own.name ? own : loadProfile(n);
      return { profile: n, stack, capBytes: stack.capBytes, ownTier: n === own.name, cost: costOf(stack.capBytes, stack) };
    });
  }
  return [{ profile: own.name, stack: own, capBytes: own.capBytes, ownTier: true, cost: costOf(own.capBytes, own) }];
}

function parseCostOverrides(costs: string[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const c of costs) {
    const m = /^([^=]+)=([0-9]+(?:\.[0-9]+)?)$/.exec(c.trim());
    const size = m ? parseSize(m[1]!) : undefined;
    if (!m || !size || 'error' in size) throw new InputError(`--cost: "${c}" is not CAP=AMOUNT`, 'e.g. --cost 4g=400 (a month, in the tier\'s currency)');
    out.set(size.bytes, Number(m[2]));
  }
  return out;
}

/**
 * The smallest-cap search runs for every tier of a full review, never in --quick: each trial is a fresh stack
 * warmed to steady state (a cold cache's peak would make the cap look smaller than it is), about 2 minutes
 * each for the 4gb tier, several per tier.
 */
function searchesCap(_t: Tier, opts: Pick<ProfileReviewOptions, 'quick'>): boolean {
  return !opts.quick;
}

interface TierContext {
  opts: ProfileReviewOptions;
  limits: StepLimits;
  baseScenario: Scenario;
  runsDir: string;
  files: CapacityFiles;
  review: CapacityReview;
  laterS: number;
}

/** One Run of `tier` under `capBytes`; `work` gets the session while the stack is up. */
async function withStack(tier: Tier, capBytes: number, ctx: TierContext, work: (s: RunSession) => Promise<void>): Promise<void> {
  const o = ctx.opts;
  if (o.startStack) return o.startStack(tier.stack, capBytes, work);
  await runSimulation({
    profile: tier.stack.file,
    driver: o.driver,
    cap: String(capBytes),
    swap: o.swap,
    cpus: o.cpus,
    outDir: ctx.runsDir,
    model: 'open',
    sampleIntervalMs: o.sampleIntervalMs,
    // --data and --set reach every stack of the review, as they reach a run's.
    data: o.data,
    overrides: o.overrides,
    scenario: null,
    reporter: {},
    signal: o.signal,
    session: work,
  });
}

/**
 * Run one step's scenario through a session: load figures, then the stack's memory and kills over the step.
 * `steady`: the stack is fresh and its data calls for it (the profile's scenario warms up `until: steady`):
 * first a warm-up until steady state (at most `maxS`, at `rate`), then the step as it would run alone.
 */
async function stepThrough(s: RunSession, ctx: StepContext, steady?: { maxS: number; rate: number }, fresh = true): Promise<Omit<StepRun, 'stack'>> {
  let measured: ReturnType<typeof measureLoadStep> | undefined;
  let cacheStart: Promise<{ hits: number; misses: number } | undefined> | undefined;
  let cacheEnd: Promise<{ hits: number; misses: number } | undefined> | undefined;
  const scenario = steady ? withSteadyWarmup(ctx.scenario, steady.maxS, steady.rate) : ctx.scenario;
  // With a steady warm-up the Run hands the step's own stages over as a load of their own: same indices, same clock.
  const { loadStartT, startT, steadyAtT } = await s.load(scenario, (run) => {
    measured = measureLoadStep(run, ctx.rate, ctx.scenario.maxInFlight, { fromS: ctx.warmupS, toS: ctx.warmupS + ctx.measureS });
    run.on('stage', (st) => {
      if (st.index === MEASURED_STAGE_INDEX) cacheStart = s.cacheCounters();
    });
    run.on('second', (w) => {
      if (w.t === ctx.warmupS + ctx.measureS - 1) cacheEnd = s.cacheCounters();
    });
  });
  const figures = await measured!;
  const endT = loadStartT + Math.ceil(figures.measuredToS) + 1;
  const before = await cacheStart;
  const after = await cacheEnd;
  const lookups = before && after ? after.hits - before.hits + (after.misses - before.misses) : 0;
  const { measuredFromS: _f, measuredToS: _t, ...m } = figures;
  const measurement: StepMeasurement = {
    ...m,
    // The whole step: a kill in its warm-up fails it too.
    peakWorkingSetBytes: s.peakWorkingSet(startT, endT),
    oomKills: s.oomKills(startT, endT),
  };
  const warmedS = loadStartT - startT;
  const warmUp = steady
    ? `${fresh ? 'fresh stack' : 'stack kept from the search'}: warmed up ${warmedS} s at ${steady.rate} req/s ${steadyAtT !== undefined && steadyAtT <= loadStartT ? 'until steady state' : s.signal.aborted ? 'and was interrupted before steady state' : `and stopped at its ${steady.maxS} s bound before steady state (caches still filling)`}, then ${ctx.warmupS} s settling at ${ctx.rate} req/s before the measured window`
    : undefined;
  return {
    measurement,
    runDir: s.runDir,
    cacheHitRate: before && after && lookups > 0 && after.hits >= before.hits ? (after.hits - before.hits) / lookups : null,
    ...(steady ? { warmupS: warmedS + ctx.warmupS, warmUp } : {}),
  };
}

/**
 * A fresh stack's warm-up to steady state, where the data calls for it (the profile's scenario warms up
 * `until: steady`): its bound (tighter with --quick) and rate (the tier's target rate, or the step's if lower).
 */
function steadyWarmup(ctx: TierContext, tier: Tier, stepRate: number): { maxS: number; rate: number } | undefined {
  const bound = steadyWarmupBound(ctx.baseScenario);
  if (bound === undefined) return undefined;
  return { maxS: ctx.opts.quick ? Math.min(bound, QUICK_STEADY_MAX_S) : bound, rate: Math.min(stepRate, tier.stack.targets.minRps) };
}

async function tierReview(tier: Tier, ctx: TierContext): Promise<TierResult> {
  const { opts, limits } = ctx;
  const stackNotes: string[] = [];
  // A step has ended (the search's, or --quick's verdict step): into the review, its files and on screen.
  const stepEnded = (r: StepRecord): void => {
    ctx.review.steps.push(r);
    ctx.files.step(r);
    opts.progress.stepEnd(r);
    if (r.stack === 'restarted') stackNotes.push(`restarted before step ${r.index}: ${r.note ?? ''}`);
    else if (r.note) stackNotes.push(`step ${r.index}: ${r.note}`);
  };
  const runDirs = new Set<string>();
  // The steps of this cap, one stack for as long as they pass.
  // `steady`: warm up until steady state first whatever the stack (the --quick verdict step).
  const queue: Array<{ ctx: StepContext; steady?: { maxS: number; rate: number }; resolve: (r: StepRun) => void; reject: (e: unknown) => void }> = [];
  let wake: (() => void) | undefined;
  let searchOver = false;
  let restartReason: string | undefined;
  let stacksStarted = 0;

  const stackLoop = (async () => {
    while (!searchOver && !opts.signal.aborted) {
      if (!queue.length) {
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      const reason = restartReason;
      restartReason = undefined;
      stacksStarted++;
      let first = true;
      let keptNote: string | undefined;
      let stackError: unknown;
      await withStack(tier, tier.capBytes, ctx, async (s) => {
        runDirs.add(s.runDir);
        while (!searchOver && !s.signal.aborted) {
          const item = queue.shift();
          if (!item) {
            await new Promise<void>((r) => (wake = r));
            continue;
          }
          try {
            // Only the first step on a stack pays the long warm-up: later ones find its caches full. With --quick
            // no step of the search does: it starts on cold caches, and the verdict step warms up at the end.
            const steady = item.steady ?? (first && !opts.quick ? steadyWarmup(ctx, tier, item.ctx.rate) : undefined);
            if (steady) opts.progress.note(`[${tier.profile} @ ${capLabel(tier.capBytes)}] step ${item.ctx.index}: ${first ? 'a fresh stack' : 'the stack'} warms up at ${steady.rate} req/s until steady state (at most ${steady.maxS} s), then the step`);
            const r = await stepThrough(s, item.ctx, steady, first);
            const use = first ? (stacksStarted === 1 ? 'started' : 'restarted') : 'kept';
            const note = first && stacksStarted > 1 ? reason : keptNote;
            keptNote = undefined;
            first = false;
            item.resolve({ ...r, stack: use, note });
            // Decided from the same judge the search uses.
            const v = judgeStep(r.measurement, limits);
            if (v.outcome !== 'pass') {
              const what = `step ${item.ctx.index} ${v.outcome === 'fail' ? 'failed' : 'was harness-limited'} (${v.reasons[0] ?? ''})`;
              // An OOM-killed service came back by its restart policy, cold: a fresh stack for the next step.
              if (r.measurement.oomKills.length) {
                restartReason = `after ${what}`;
                return;
              }
              // An overload leaves a backlog in the app: keep the stack only once it answers promptly again.
              const settled = await settle(s.stack.appUrl, limits.avgLatencyMs, s.signal);
              if (!settled.ok) {
                restartReason = `after ${what}; the app had not settled ${settled.detail}`;
                return;
              }
              keptNote = `kept after ${what}: ${settled.detail}`;
            }
          } catch (err) {
            item.reject(err);
            throw err;
          }
        }
      }).catch((err: unknown) => {
        stackError = err;
      });
      if (stackError) {
        for (const q of queue.splice(0)) q.reject(stackError);
        throw stackError;
      }
      if (opts.signal.aborted) for (const q of queue.splice(0)) q.reject(new Error('interrupted'));
    }
  })();
  // Its error reaches the search through the step it rejects; awaited below once the search is over.
  stackLoop.catch(() => undefined);

  const search = await searchMaxRate({
    tier: tier.profile,
    capBytes: tier.capBytes,
    base: ctx.baseScenario,
    limits,
    startRate: opts.startRate ?? tier.stack.targets.minRps,
    timing: opts.timing,
    // --quick: one confirmation; a failed one ends the search as not confirmed (a second costs a full-length step).
    maxConfirmations: opts.quick ? 1 : undefined,
    overheadS: 4,
    signal: opts.signal,
    onStepStart: (a) => opts.progress.stepStart({ ...a, reviewLeftS: a.searchLeftS + ctx.laterS }),
    onStepEnd: stepEnded,
    runStep: (stepCtx) =>
      new Promise<StepRun>((resolve, reject) => {
        queue.push({ ctx: stepCtx, resolve, reject });
        wake?.();
      }),
  }).catch((err: unknown) => {
    searchOver = true;
    wake?.();
    throw err;
  });
  // --quick: the search ran on a stack whose caches filled as it went; the tier is judged on one more step at
  // the target rate after a warm-up that finds steady state in its own readings (on a stack the search
  // warmed, that takes its minimum of two 10 s windows).
  const bound = steadyWarmupBound(ctx.baseScenario);
  if (opts.quick && !opts.signal.aborted && !search.interrupted) {
    const targetRate = tier.stack.targets.minRps;
    const index = search.steps.length + 1;
    const steady = bound !== undefined ? { maxS: Math.min(bound, QUICK_STEADY_MAX_S), rate: targetRate } : undefined;
    const scenario = stepScenario(ctx.baseScenario, targetRate, opts.timing.warmupS, opts.timing.measureS, limits.p99Ms);
    const stepCtx: StepContext = { rate: targetRate, kind: 'verdict', fullLength: false, phase: 'verdict', index, scenario, warmupS: opts.timing.warmupS, measureS: opts.timing.measureS };
    const stepS = (steady ? 25 : 0) + opts.timing.warmupS + opts.timing.measureS + 4;
    opts.progress.stepStart({ tier: tier.profile, capBytes: tier.capBytes, index, aboutTotal: index, rate: targetRate, kind: 'verdict', phase: 'verdict', stepS, searchLeftS: stepS, reviewLeftS: stepS + ctx.laterS });
    const startedAt = new Date().toISOString();
    try {
      const run = await new Promise<StepRun>((resolve, reject) => {
        queue.push({ ctx: stepCtx, steady, resolve, reject });
        wake?.();
      });
      const record: StepRecord = { ...run, tier: tier.profile, capBytes: tier.capBytes, index, rate: targetRate, kind: 'verdict', phase: 'verdict', fullLength: false, warmupS: run.warmupS ?? opts.timing.warmupS, measureS: opts.timing.measureS, startedAt, verdict: judgeStep(run.measurement, limits) };
      search.steps.push(record);
      stepEnded(record);
    } catch (err) {
      if (!opts.signal.aborted) throw err;
    }
  }
  searchOver = true;
  wake?.();
  await stackLoop;
  if (!stackNotes.length) stackNotes.push(`one stack for all ${search.steps.length} steps (no step failed)`);

  const targetRate = tier.stack.targets.minRps;
  const steps = search.steps;
  const atTargetSteps = steps.filter((s) => s.rate === targetRate);
  const atTargetStep = atTargetSteps.at(-1);
  const peaks = atTargetSteps.map((s) => s.measurement.peakWorkingSetBytes).filter((p): p is number => p !== undefined);
  const allPeaks = steps.map((s) => s.measurement.peakWorkingSetBytes).filter((p): p is number => p !== undefined);
  const oomKills = steps.reduce((a, s) => a + s.measurement.oomKills.length, 0);
  const firstBad = steps.find((s) => s.verdict.outcome !== 'pass');

  let smallestCap: SmallestCap | null = null;
  if (searchesCap(tier, opts) && !opts.signal.aborted) {
    smallestCap = await smallestCapSearch(tier, ctx, peaks.length ? peaks : allPeaks, runDirs);
  }

  const verdictWhy: string[] = [search.result.summary];
  let verdict: TierResult['verdict'] = 'not judged';
  if (atTargetStep) {
    const peak = atTargetStep.measurement.peakWorkingSetBytes;
    const free = peak !== undefined ? tier.capBytes - peak : undefined;
    const why = [...atTargetStep.verdict.reasons];
    if (free === undefined) why.push('no memory reading');
    else if (free < tier.stack.targets.minFreeBytes) why.push(`only ${Math.round(free / MiB)} MiB left free (target >= ${Math.round(tier.stack.targets.minFreeBytes / 1e6)} MB)`);
    if (atTargetStep.cacheHitRate !== undefined && atTargetStep.cacheHitRate !== null && atTargetStep.cacheHitRate < tier.stack.targets.minCacheHitRate) {
      why.push(`cache hit rate ${(atTargetStep.cacheHitRate * 100).toFixed(1)} % < ${(tier.stack.targets.minCacheHitRate * 100).toFixed(0)} %`);
    }
    verdict = atTargetStep.verdict.outcome === 'pass' && why.length === 0 ? 'PASS' : 'FAIL';
    verdictWhy.push(verdict === 'PASS' ? `at ${targetRate} req/s every target held` : `at ${targetRate} req/s: ${why.join('; ')}`);
  } else {
    verdictWhy.push(`no step ran at the target rate ${targetRate} req/s (--start-rate moved it): not judged`);
  }
  if (opts.signal.aborted) verdict = 'not judged';

  return {
    profile: tier.profile,
    capBytes: tier.capBytes,
    ownTier: tier.ownTier,
    cost: tier.cost,
    search: search.result,
    atTarget: atTargetStep
      ? {
          rate: targetRate,
          avgMs: atTargetStep.measurement.avgMs,
          p50Ms: atTargetStep.measurement.p50Ms,
          p99Ms: atTargetStep.measurement.p99Ms,
          errorRate: atTargetStep.verdict.errorRate,
          okRps: atTargetStep.verdict.okRps,
          cacheHitRate: atTargetStep.cacheHitRate ?? null,
          pass: atTargetStep.verdict.outcome === 'pass',
          reasons: atTargetStep.verdict.reasons,
        }
      : null,
    peakWorkingSetBytes: peaks.length ? Math.max(...peaks) : allPeaks.length ? Math.max(...allPeaks) : null,
    oomKills,
    brokeFirst: firstBad ? `${firstBad.rate} req/s: ${firstBad.verdict.outcome === 'harness-limited' ? 'harness-limited: ' : ''}${firstBad.verdict.reasons[0] ?? ''}` : null,
    smallestCap,
    verdict,
    verdictWhy,
    costPer100Rps: costPer100(tier.cost, search.result.maxRate),
    stackNotes,
    runDirs: [...runDirs],
  };
}

/**
 * After a failed step: does the app answer /health within the average-latency limit three times in a row
 * again (its backlog worked off), within 20 s?
 */
async function settle(appUrl: string, limitMs: number, signal: AbortSignal): Promise<{ ok: boolean; detail: string }> {
  const started = Date.now();
  let inARow = 0;
  let last = NaN;
  while (Date.now() - started < 20_000 && !signal.aborted) {
    const t0 = performance.now();
    try {
      const res = await fetch(new URL('/health', appUrl), { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      last = performance.now() - t0;
      inARow = res.ok && last <= limitMs ? inARow + 1 : 0;
    } catch {
      inARow = 0;
      last = NaN;
    }
    if (inARow >= 3) return { ok: true, detail: `/health answered in ${last.toFixed(0)} ms (3 in a row) ${((Date.now() - started) / 1000).toFixed(1)} s after it` };
    await new Promise((r) => setTimeout(r, 250));
  }
  return { ok: false, detail: `in 20 s (/health last ${Number.isNaN(last) ? 'did not answer' : `took ${last.toFixed(0)} ms`})` };
}

/** One fresh stack at `capBytes`, one step at the target rate: what the cap search learns from a cap. */
async function capTrial(tier: Tier, capBytes: number, ctx: TierContext, why: string, runDirs: Set<string>): Promise<CapTrialRecord> {
  const rate = tier.stack.targets.minRps;
  const t = ctx.opts.timing;
  const scenario = stepScenario(ctx.baseScenario, rate, t.warmupS, t.measureS, ctx.limits.p99Ms);
  let trial: CapTrialRecord | undefined;
  ctx.opts.progress.note(`[${tier.profile} @ ${capLabel(tier.capBytes)}] cap search: ${Math.round(capBytes / MiB)} MiB at ${rate} req/s (${why}), a fresh stack${steadyWarmupBound(ctx.baseScenario) !== undefined ? ' warmed until steady state' : ''}, then ${t.warmupS} s settling at ${rate} req/s and ${t.measureS} s measured`);
  await withStack(tier, capBytes, ctx, async (s) => {
    runDirs.add(s.runDir);
    // A fresh stack: warmed to steady state where the data calls for it, so its peak is a full cache's.
    const r = await stepThrough(s, { rate, kind: 'probe', fullLength: false, phase: 'bisecting', index: 0, scenario, warmupS: t.warmupS, measureS: t.measureS }, steadyWarmup(ctx, tier, rate));
    // Kills while the stack started count too: a cap the stack cannot start in does not pass.
    const kills = s.oomKills(0, Number.MAX_SAFE_INTEGER);
    const m = { ...r.measurement, oomKills: kills };
    const v = judgeStep(m, ctx.limits);
    const peak = m.peakWorkingSetBytes ?? null;
    const pass = v.outcome === 'pass';
    const marginOk = peak !== null && capBytes - peak >= tier.stack.targets.minFreeBytes;
    trial = {
      capBytes,
      pass,
      passWithMargin: pass && marginOk,
      oomKills: kills,
      peakWorkingSetBytes: peak,
      avgMs: m.avgMs,
      p99Ms: m.p99Ms,
      errorRate: v.errorRate,
      reasons: [...v.reasons, ...(pass && !marginOk ? [`free ${peak === null ? '?' : Math.round((capBytes - peak) / MiB)} MiB < ${Math.round(tier.stack.targets.minFreeBytes / MiB)} MiB margin`] : [])],
      runDir: s.runDir,
      why,
      ...(r.warmUp ? { warmUp: r.warmUp } : {}),
    };
  }).catch((err: unknown) => {
    if (ctx.opts.signal.aborted) return;
    throw err;
  });
  if (!trial) {
    trial = { capBytes, pass: false, passWithMargin: false, oomKills: [], peakWorkingSetBytes: null, avgMs: 0, p99Ms: 0, errorRate: 0, reasons: ['interrupted'], why };
  }
  ctx.opts.progress.note(`[${tier.profile} @ ${capLabel(tier.capBytes)}] cap ${Math.round(capBytes / MiB)} MiB → ${trial.passWithMargin ? 'PASS with margin' : trial.pass ? 'PASS (margin missed)' : 'FAIL'}${trial.reasons.length ? `: ${trial.reasons.join('; ')}` : ''}${trial.peakWorkingSetBytes !== null ? ` (peak ${Math.round(trial.peakWorkingSetBytes / MiB)} MiB)` : ''}${trial.warmUp ? `; ${trial.warmUp}` : ''}`);
  return trial;
}

async function smallestCapSearch(tier: Tier, ctx: TierContext, peaks: number[], runDirs: Set<string>, opts: { margin: boolean; check80: boolean } = { margin: true, check80: true }): Promise<SmallestCap> {
  // Every fresh run, in order; the searches reuse a cap's first run, the confirmation adds runs of its own.
  const all: CapTrialRecord[] = [];
  const firstAt = new Map<number, CapTrialRecord>();
  const maxCap = tier.capBytes * 2;
  const runCap = async (cap: number, why: string) => {
    const t = await capTrial(tier, cap, ctx, why, runDirs);
    all.push(t);
    if (!firstAt.has(cap)) firstAt.set(cap, t);
    return t;
  };
  const tryCap = async (cap: number, why: string) => firstAt.get(cap) ?? (await runCap(cap, why));
  if (!peaks.length) return { noOomLatencyBytes: null, firstPassBytes: null, recommendedBytes: null, confirmation: 'no peak working set measured', passRates: [], withMarginBytes: null, startPeaksBytes: [], vpaStartBytes: 0, trials: [], status: 'no peak working set measured' };

  // 1. No OOM kill, latency and error targets met: VPA's start, then bisect to 64 MiB (one run per cap).
  const first = new CapSearch({ peaks, maxCapBytes: maxCap });
  let why = 'VPA start: P90 of peaks + 15 %';
  for (let cap = first.next(); cap !== undefined && !ctx.opts.signal.aborted; cap = first.next()) {
    const t = await tryCap(cap, why);
    first.record({ pass: t.pass, oomKilled: t.oomKills.length > 0, peakBytes: t.peakWorkingSetBytes ?? undefined });
    // What the search does next: bisect once a cap passed, else grow as VPA does.
    why = first.result().smallestPassBytes !== null ? 'bisecting' : t.oomKills.length ? 'after an OOM kill: max(+100 MiB, ×1.2)' : 'after a miss: max(+100 MiB, ×1.2)';
  }
  const r1 = first.result();

  // 1b. One pass at a cap that close to the working set is not a finding: a fresh re-run until the cap has
  // passed CONFIRM_RUNS of CONFIRM_RUNS, stepping up 64 MiB after a failed run.
  let confirmation: CapConfirmResult | undefined;
  if (r1.smallestPassBytes !== null && !ctx.opts.signal.aborted) {
    const c = new CapConfirm(r1.smallestPassBytes, all.map((t) => ({ capBytes: t.capBytes, pass: t.pass })), { maxCapBytes: maxCap });
    for (let cap = c.next(); cap !== undefined && !ctx.opts.signal.aborted; cap = c.next()) {
      const t = await runCap(cap, `confirm: a fresh re-run of ${Math.round(cap / MiB)} MiB (it must pass ${CONFIRM_RUNS} of ${CONFIRM_RUNS})`);
      c.record(t.pass);
    }
    confirmation = c.result();
    ctx.opts.progress.note(`[${tier.profile} @ ${capLabel(tier.capBytes)}] smallest cap ${confirmation.status === 'confirmed' ? 'confirmed' : 'NOT reproducible'}: ${confirmation.how}`);
  }
  const confirmed = confirmation?.confirmedBytes ?? null;

  // 2. …and the free-memory margin: start at the peak seen plus the margin, bisect down to the first result.
  // One run per cap: these caps sit a whole margin above the working set, where the kernel need not reclaim.
  let withMargin: number | null = null;
  if (opts.margin && confirmed !== null && !ctx.opts.signal.aborted) {
    const known = [...firstAt.values()].filter((t) => t.passWithMargin).map((t) => t.capBytes);
    const peakAtPass = firstAt.get(confirmed)?.peakWorkingSetBytes ?? Math.max(...peaks);
    const second = new CapSearch({ peaks, maxCapBytes: Math.max(maxCap, peakAtPass + tier.stack.targets.minFreeBytes + CAP_GRANULARITY), startBytes: Math.max(...peaks, peakAtPass) + tier.stack.targets.minFreeBytes });
    let why2 = 'peak + free-memory margin';
    for (let cap = second.next(); cap !== undefined && !ctx.opts.signal.aborted; cap = second.next()) {
      const t = await tryCap(cap, why2);
      second.record({ pass: t.passWithMargin, oomKilled: t.oomKills.length > 0 });
      why2 = second.result().smallestPassBytes !== null ? 'bisecting (margin)' : 'after a margin miss: max(+100 MiB, ×1.2)';
    }
    const r2 = second.result();
    withMargin = r2.smallestPassBytes ?? (known.length ? Math.min(...known) : null);
  }

  // 3. The figure is only worth something if less fails: run at 80 % of it, with the same meaning of "passes"
  // (CONFIRM_RUNS of CONFIRM_RUNS fresh runs): a pass there is run again before the check is called failed.
  let check80: SmallestCap['check80'];
  if (opts.check80 && confirmed !== null && !ctx.opts.signal.aborted) {
    const runs = await runAt80(confirmed, async (cap, why) => (why === 'first' ? (firstAt.get(cap) ?? (await runCap(cap, 'check: 80 % of the smallest passing cap'))) : runCap(cap, why)), ctx.opts.signal);
    check80 = { capBytes: runs[0]!.capBytes, pass: runs.every((t) => t.pass), runs: runs.length, passes: runs.filter((t) => t.pass).length, reasons: runs.flatMap((t) => t.reasons) };
  }
  return {
    noOomLatencyBytes: confirmed,
    firstPassBytes: r1.smallestPassBytes,
    recommendedBytes: confirmation?.recommendedBytes ?? null,
    confirmation: confirmation?.how ?? (ctx.opts.signal.aborted ? 'interrupted' : 'no cap passed: nothing to confirm'),
    passRates: confirmation?.passRates ?? [],
    withMarginBytes: withMargin,
    startPeaksBytes: peaks,
    vpaStartBytes: Math.ceil(vpaStart(peaks) / CAP_GRANULARITY) * CAP_GRANULARITY,
    check80,
    trials: all,
    status: confirmation ? (confirmation.status === 'confirmed' ? 'found' : 'not-reproducible') : r1.status,
  };
}

/**
 * Runs at 80 % of `capBytes` until it is clear whether that cap passes as the smallest cap had to: a fail
 * ends it (it does not pass), CONFIRM_RUNS passes mean it passes too (the figure is not tight).
 */
async function runAt80(capBytes: number, run: (cap: number, why: string) => Promise<CapTrialRecord>, signal: AbortSignal): Promise<CapTrialRecord[]> {
  const cap80 = roundDown(capBytes * DOWN_STEP, MiB);
  const runs = [await run(cap80, 'first')];
  while (runs.at(-1)!.pass && runs.length < CONFIRM_RUNS && !signal.aborted) {
    runs.push(await run(cap80, `check: 80 % passed: a fresh re-run (it fails the check only by passing ${CONFIRM_RUNS} of ${CONFIRM_RUNS})`));
  }
  return runs;
}

function seedComparison(rows: TierResult[], tiers: Tier[]): SeedComparisonRow[] {
  const out: SeedComparisonRow[] = [];
  for (const row of rows) {
    if (row.capBytes === null) continue;
    const seed = seedTierForCap(row.capBytes);
    if (!seed) continue;
    const tier = tiers.find((t) => t.capBytes === row.capBytes && t.profile === row.profile);
    const label = `${seed.name} (${row.profile} @ ${capLabel(row.capBytes)})`;
    const s = seed.tier;
    const at = row.atTarget;
    const rate = tier?.stack.targets.minRps;
    const push = (metric: SeedComparisonRow['metric'], seedV: string | undefined, measured: string, how: string) => out.push({ tier: label, metric, seed: seedV ?? '(no figure)', measured, how });
    push('cache hit rate', s.hitRate, at?.cacheHitRate !== null && at?.cacheHitRate !== undefined ? `${(at.cacheHitRate * 100).toFixed(1)} %` : 'not measured', `app's cache counters over the ${rate} req/s step`);
    push('average latency', s.avgLatency, at ? `${at.avgMs.toFixed(1)} ms` : 'not measured', `at ${rate} req/s`);
    push('max throughput', s.maxThroughput, row.search.maxRate !== null ? `${row.search.maxRate} req/s (${row.search.status})` : `none (${row.search.status})`, 'highest rate holding avg, p99 and error limits');
    push('p99 latency', s.p99, at ? `${at.p99Ms.toFixed(0)} ms` : 'not measured', `at ${rate} req/s`);
    push('memory available', s.memoryAvailable, row.peakWorkingSetBytes !== null ? `${Math.round((row.capBytes - row.peakWorkingSetBytes) / MiB)} MiB` : 'not measured', 'cap − peak working set at the target rate');
    push('stability', s.stability, `${row.oomKills} OOM kills in ${row.profile} steps; ${row.brokeFirst ? `broke first: ${row.brokeFirst}` : 'no step failed'}`, 'kernel OOM counters, per step');
    push('cost', s.cost, row.cost ? `${row.cost.monthly} ${row.cost.currency}/month; ${row.costPer100Rps ?? '-'} per 100 req/s sustained` : '(none given)', row.cost?.source ?? '');
  }
  return out;
}


export interface CapCheck {
  profile: string;
  /** The cap checked: given, or the smallest passing cap the search found. */
  capBytes: number | null;
  /** The search that found it (absent when the cap was given). */
  search?: SmallestCap;
  /** A fresh run at the cap (must pass: the confirmation's last when the search found it) and one at 80 % of it (must fail). */
  atCap?: CapTrialRecord;
  at80?: CapTrialRecord;
  /** Every run at 80 % (a pass is run again: 80 % "passes" only as the cap had to, 2 of 2). */
  at80Runs: CapTrialRecord[];
  /** The figure holds: the run at the cap passed and 80 % of it did not pass 2 of 2. */
  holds: boolean;
  dir: string;
}

/**
 * The smallest cap checked on its own: for the profile's own tier, find the smallest passing cap (unless
 * given: `capBytes`; found, it has passed CONFIRM_RUNS fresh runs), then a fresh run at 80 % of it (it must
 * fail); a cap given gets a fresh run at it too (it must pass). The free-memory margin search is left out (the review does it). What
 * `npm run bench:capacity -- --check-cap [SIZE]` runs.
 */
export async function checkSmallestCap(opts: ProfileReviewOptions, capBytes?: number): Promise<CapCheck> {
  const own = loadProfile(opts.profile, { cap: opts.cap });
  const tier: Tier = { profile: own.name, stack: own, capBytes: own.capBytes, ownTier: true, cost: own.cost ? { monthly: own.cost.monthly, currency: own.cost.currency, source: own.cost.source ?? 'x-simulate.cost' } : null };
  const limits = stepLimits(opts, own);
  const baseScenario = await loadScenario(own.scenario);
  const dir = path.resolve(opts.outDir, opts.id);
  const runsDir = path.join(dir, 'runs');
  const files = new CapacityFiles(dir);
  const review = newCapacityReview({ id: opts.id, mode: 'profile', profile: own.name, target: null, quick: opts.quick, limits, targetRate: own.targets.minRps, timing: opts.timing, notes: ['the smallest cap checked: found and confirmed by repeat runs (or given, then a fresh run at it), then a fresh run at 80 % of it'] });
  const ctx: TierContext = { opts, limits, baseScenario, runsDir, files, review, laterS: 0 };
  const runDirs = new Set<string>();
  try {
    let search: SmallestCap | undefined;
    let cap = capBytes ?? null;
    if (cap === null) {
      // The peak to start from: one fresh stack at the tier's own cap, at the target rate.
      const first = await capTrial(tier, tier.capBytes, ctx, "the tier's own cap: the peak to start from", runDirs);
      const peaks = first.peakWorkingSetBytes !== null ? [first.peakWorkingSetBytes] : [];
      if (!opts.signal.aborted) search = await smallestCapSearch(tier, ctx, peaks, runDirs, { margin: false, check80: false }); // the pair below runs at 80 %
      if (search) search.trials.unshift(first);
      cap = search?.noOomLatencyBytes ?? null;
    }
    let atCap: CapTrialRecord | undefined;
    let at80: CapTrialRecord | undefined;
    let at80Runs: CapTrialRecord[] = [];
    if (cap !== null && !opts.signal.aborted) {
      // Found by the search: its confirmation's runs at the cap are the runs at it (all passed); given: one fresh run.
      atCap = search ? search.trials.filter((t) => t.capBytes === cap).at(-1) : await capTrial(tier, cap, ctx, 'check: the cap given, a fresh run', runDirs);
      if (!opts.signal.aborted) at80Runs = await runAt80(cap, (c, why) => capTrial(tier, c, ctx, why === 'first' ? 'check: 80 % of it, a fresh run' : why, runDirs), opts.signal);
      at80 = at80Runs[0];
    }
    const at80Passes = at80Runs.length > 0 && at80Runs.every((t) => t.pass) && at80Runs.length >= CONFIRM_RUNS;
    const result: CapCheck = { profile: own.name, capBytes: cap, search, atCap, at80, at80Runs, holds: Boolean(atCap?.pass && at80Runs.length && !at80Passes && !opts.signal.aborted), dir };
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'cap-check.json'), `${JSON.stringify({ format: 'simulate-cap-check/1', limits, targetRate: own.targets.minRps, timing: opts.timing, data: opts.data ?? null, ...result }, null, 2)}\n`);
    return result;
  } finally {
    files.close();
  }
}
