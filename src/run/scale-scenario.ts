import type { Scenario } from '../load/index.ts';

/** An `until: steady` warm-up scaled down never gets less than this: the detector compares two 10 s windows. */
export const MIN_STEADY_BOUND_S = 20;

/**
 * `--duration N` with a scenario: the stages keep their shape and proportions, scaled so the load lasts
 * N seconds (a 20 s smoke run still has its warm-up before its steady stage). A warm-up that runs
 * `until: steady` is not part of N: N is what is judged after it; its bound scales by the same factor
 * (a 10-minute soak of a 30-minute scenario waits a third as long for steady state).
 */
export function scaleScenario(scenario: Scenario, totalS: number): Scenario {
  const warm = scenario.stages[0]?.until ? scenario.stages[0] : undefined;
  const rest = warm ? scenario.stages.slice(1) : scenario.stages;
  if (rest.length === 0) return { ...scenario, stages: [{ ...warm!, duration: Math.max(MIN_STEADY_BOUND_S, Math.round(totalS)) }] };
  const current = rest.reduce((a, s) => a + s.duration, 0);
  const f = totalS / current;
  const scaled = rest.map((s) => ({ ...s, duration: Math.max(1, Math.round(s.duration * f)) }));
  return { ...scenario, stages: warm ? [{ ...warm, duration: Math.max(MIN_STEADY_BOUND_S, Math.round(warm.duration * Math.min(1, f))) }, ...scaled] : scaled };
}
