/**
 * `simulate capacity`: a capacity review. With --target, of a running service; with --profile, of the
 * profile's tiers under their caps (one Run per stack, load steps through it).
 */
import { setMaxListeners } from 'node:events';
import { InputError } from '../errors.ts';
import { createCapacityProgress } from '../capacity/progress.ts';
import { renderReviewText } from '../capacity/review-text.ts';
import { QUICK_STEP_TIMING, STEP_TIMING } from '../capacity/step-scenario.ts';
import { targetReview } from '../capacity/target-review.ts';
import { profileReview } from '../capacity/profile-review.ts';
import { SEED_TARGETS } from '../profile/load-profile.ts';
import { newRunId } from '../run/run.ts';
import type { CliArgs } from './args.ts';
import { abortOnSignals } from './interrupts.ts';
import { stackOptions } from './run-command.ts';

export async function capacityCommand(args: CliArgs): Promise<number> {
  if (!args.target && !args.profile) throw new InputError('capacity needs --profile or --target', 'e.g. simulate capacity --profile 4gb --quick, or simulate capacity --target http://127.0.0.1:8080/');
  if (args.target && args.profile) throw new InputError('capacity takes --profile or --target, not both', 'drop one of them');
  if (args.target && (args.caps || args.costs.length)) throw new InputError('--caps and --cost need --profile: --target has no stack to cap', 'drop --caps/--cost, or use --profile');
  const timing = args.stepTime ?? (args.quick ? QUICK_STEP_TIMING : STEP_TIMING);
  const interrupts = abortOnSignals();
  // Every Run of the review (one per stack, a few dozen) listens on this one signal.
  setMaxListeners(200, interrupts.signal);
  const progress = createCapacityProgress({ json: args.json, stderr: process.stderr, stdout: process.stdout });
  const id = `${newRunId()}-capacity`;
  try {
    const { review, dir } = args.target
      ? await targetReview({
          id,
          outDir: args.out,
          url: args.target,
          allowRemote: args.allowRemote,
          scenario: args.scenario,
          limits: {
            avgLatencyMs: args.maxAvgMs ?? SEED_TARGETS.avgLatencyMs,
            p99Ms: args.maxP99Ms ?? SEED_TARGETS.p99Ms,
            maxErrorRate: args.maxErrorRate ?? SEED_TARGETS.maxErrorRate,
          },
          startRate: args.startRate ?? args.rate ?? 10,
          requiredRate: args.rate,
          timing,
          quick: args.quick,
          progress,
          signal: interrupts.signal,
        })
      : await profileReview({
          id,
          ...stackOptions({ ...args, profile: args.profile! }),
          caps: args.caps,
          costs: args.costs,
          limits: { avgLatencyMs: args.maxAvgMs, p99Ms: args.maxP99Ms, maxErrorRate: args.maxErrorRate },
          startRate: args.startRate,
          timing,
          quick: args.quick,
          progress,
          signal: interrupts.signal,
        });
    if (args.json) process.stdout.write(`${JSON.stringify({ type: 'review', review })}\n`);
    else process.stdout.write(renderReviewText(review));
    process.stderr.write(`simulate: capacity review in ${dir}\n`);
    return review.exitCode ?? 1;
  } finally {
    interrupts.dispose();
  }
}
