/**
 * `simulate capacity --target URL`: the highest rate a running service sustains under the latency and error
 * limits, with no stack and no cgroup (so no memory figures). Each step is its own load run.
 */
import path from 'node:path';
import { checkBaseUrl, loadScenario, simpleScenario, startLoad, type Scenario } from '../load/index.ts';
import { CapacityFiles } from './capacity-files.ts';
import type { StepLimits } from './judge-step.ts';
import { measureLoadStep } from './measure-step.ts';
import type { CapacityProgress } from './progress.ts';
import { newCapacityReview, type CapacityReview } from './review.ts';
import { searchMaxRate } from './search-rate.ts';
import type { StepTiming } from './step-scenario.ts';

export interface TargetReviewOptions {
  id: string;
  outDir: string;
  url: string;
  allowRemote: boolean;
  scenario?: string;
  limits: StepLimits;
  startRate: number;
  /** The rate it must sustain for exit 0 (--rate), if any. */
  requiredRate?: number;
  timing: StepTiming;
  quick: boolean;
  progress: CapacityProgress;
  signal: AbortSignal;
}

export async function targetReview(opts: TargetReviewOptions): Promise<{ review: CapacityReview; dir: string }> {
  const base = new URL(checkBaseUrl(opts.url, opts.allowRemote));
  const scenario: Scenario = opts.scenario ? await loadScenario(opts.scenario) : simpleScenario(opts.url, opts.startRate, opts.timing.measureS);
  const dir = path.resolve(opts.outDir, opts.id);
  const files = new CapacityFiles(dir);
  const review = newCapacityReview({
    id: opts.id,
    mode: 'target',
    profile: null,
    target: opts.url,
    quick: opts.quick,
    limits: opts.limits,
    targetRate: opts.requiredRate ?? null,
    timing: opts.timing,
    notes: ['open model: fixed arrival rate, latency counted from each request\'s scheduled send time', 'no stack: memory, OOM kills and cost are not measured with --target'],
  });
  files.write(review);
  const tier = base.host;
  try {
    const { result, steps, interrupted } = await searchMaxRate({
      tier,
      capBytes: null,
      base: scenario,
      limits: opts.limits,
      startRate: opts.startRate,
      timing: opts.timing,
      signal: opts.signal,
      onStepStart: (a) => opts.progress.stepStart(a),
      onStepEnd: (r) => {
        review.steps.push(r);
        files.step(r);
        opts.progress.stepEnd(r);
      },
      runStep: async (ctx) => {
        const run = startLoad(ctx.scenario, { baseUrl: base.origin, model: 'open', signal: opts.signal, allowRemote: opts.allowRemote });
        const measured = await measureLoadStep(run, ctx.rate, ctx.scenario.maxInFlight, { fromS: ctx.warmupS, toS: ctx.warmupS + ctx.measureS });
        const { measuredFromS: _f, measuredToS: _t, ...m } = measured;
        return { measurement: { ...m, oomKills: [] }, stack: 'none' };
      },
    });
    const firstFail = steps.find((s) => s.verdict.outcome !== 'pass');
    const atRequired = opts.requiredRate !== undefined ? steps.filter((s) => s.rate === opts.requiredRate).at(-1) : undefined;
    const sustained = result.maxRate !== null && (result.status === 'found' || result.status === 'above-max' || result.status === 'harness-limited');
    const pass = !interrupted && sustained && (opts.requiredRate === undefined || (result.maxRate ?? 0) >= opts.requiredRate);
    review.tiers.push({
      profile: tier,
      capBytes: null,
      ownTier: true,
      cost: null,
      search: result,
      atTarget: atRequired
        ? { rate: atRequired.rate, avgMs: atRequired.measurement.avgMs, p50Ms: atRequired.measurement.p50Ms, p99Ms: atRequired.measurement.p99Ms, errorRate: atRequired.verdict.errorRate, okRps: atRequired.verdict.okRps, cacheHitRate: null, pass: atRequired.verdict.outcome === 'pass', reasons: atRequired.verdict.reasons }
        : null,
      peakWorkingSetBytes: null,
      oomKills: 0,
      brokeFirst: firstFail ? `${firstFail.rate} req/s: ${firstFail.verdict.outcome === 'harness-limited' ? 'harness-limited: ' : ''}${firstFail.verdict.reasons[0] ?? ''}` : null,
      smallestCap: null,
      verdict: interrupted ? 'not judged' : pass ? 'PASS' : 'FAIL',
      verdictWhy: [result.summary],
      costPer100Rps: null,
      stackNotes: [],
      runDirs: [],
    });
    review.interrupted = interrupted;
    review.exitCode = interrupted ? 130 : pass ? 0 : 1;
    review.endedAt = new Date().toISOString();
    files.write(review);
    return { review, dir };
  } finally {
    files.close();
  }
}
