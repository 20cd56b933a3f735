/**
 * The scenario one capacity step runs: the profile's (or --target's) request mix at one fixed rate, a warm-up
 * at that same rate (excluded, so queues, pools and caches settle at this rate before it is judged), then the
 * measured window. Each step is its own load run: its figures are its own window, never cumulative.
 */
import type { Scenario } from '../load/index.ts';

export interface StepTiming {
  warmupS: number;
  measureS: number;
  /** Length of the measured window of a confirmation (and of every step after a failed confirmation). */
  confirmS: number;
}

export const STEP_TIMING: StepTiming = { warmupS: 10, measureS: 20, confirmS: 60 };
export const QUICK_STEP_TIMING: StepTiming = { warmupS: 4, measureS: 8, confirmS: 20 };

export const WARMUP_STAGE = 'warm-up';
export const MEASURED_STAGE_INDEX = 1;

export function stepScenario(base: Scenario, rate: number, warmupS: number, measureS: number, p99LimitMs: number): Scenario {
  return {
    ...base,
    name: `${base.name}@${rate}`,
    // A request already three times past the p99 limit fails the step whatever it does next: give up on it
    // then (it counts as a timeout) rather than let an overloaded step run on for the scenario's full timeout.
    timeout: Math.min(base.timeout, Math.max(2, (3 * p99LimitMs) / 1000)),
    stages: [
      { name: WARMUP_STAGE, duration: warmupS, rate, exclude: true },
      { name: `${rate} req/s`, duration: measureS, rate, exclude: false },
    ],
  };
}

/**
 * Does the profile's data call for a warm-up to steady state? Its own scenario says so: a first stage
 * `until: steady` (caches that take a minute or more to fill). The bound is that stage's.
 */
export function steadyWarmupBound(base: Scenario): number | undefined {
  const first = base.stages[0];
  return first?.until === 'steady' ? first.duration : undefined;
}

/**
 * The same step after a warm-up that runs until the stack is at steady state (at most `maxS`) at `warmRate`:
 * for the first step on a fresh stack, whose caches are cold. The caches fill at the profile's own target
 * rate (or the step's, if lower): a rate past what the stack sustains would keep them from settling. The
 * step's own fixed warm-up at its rate follows, then its measured window. The Run runs the steady warm-up as
 * a load of its own and stops it at steady state; the step's stages follow at once, as they would alone.
 */
export function withSteadyWarmup(step: Scenario, maxS: number, warmRate: number): Scenario {
  const [warm, measured] = step.stages;
  if (!warm || !measured) throw new Error('a step scenario has a warm-up and a measured stage');
  return { ...step, stages: [{ ...warm, name: 'warm-up to steady state', until: 'steady', duration: maxS, rate: warmRate }, warm, measured] };
}

/** `--quick` bounds a fresh stack's warm-up to steady state tighter than a scenario's 10 minutes. */
export const QUICK_STEADY_MAX_S = 240;
