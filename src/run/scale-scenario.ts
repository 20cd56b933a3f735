import type { Scenario } from '../load/index.ts';

/**
 * `--duration N` with a scenario: the stages keep their shape and proportions, scaled so the whole load
 * lasts N seconds (a 20 s smoke run still has its warm-up before its steady stage).
 */
export function scaleScenario(scenario: Scenario, totalS: number): Scenario {
  const current = scenario.stages.reduce((a, s) => a + s.duration, 0);
  const f = totalS / current;
  return { ...scenario, stages: scenario.stages.map((s) => ({ ...s, duration: Math.max(1, Math.round(s.duration * f)) })) };
}
