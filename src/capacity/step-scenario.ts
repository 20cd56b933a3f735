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
