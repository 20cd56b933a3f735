/**
 * When each request of an open-model run is due. Arrivals are evenly spaced by the stage's
 * rate (a ramp integrates its linear rate), so the k-th arrival of a stage has an exact intended
 * time; the engine sends what is due at each tick and measures latency from that time.
 */
import type { Stage } from './scenario.ts';
import { stageRates } from './scenario.ts';

export interface StagePlan {
  index: number;
  name: string;
  excluded: boolean;
  /** Seconds after load start. */
  startS: number;
  durationS: number;
  /** Arrivals in the stage. */
  count: number;
  /** Seconds after the stage start of arrival k (0-based), k < count. */
  arrivalS(k: number): number;
}

/**
 * Rate r(t) = a + (b − a)·t/D, so arrivals up to t: N(t) = a·t + c·t² with c = (b − a)/(2D).
 * Arrival k is at N(t) = k: t = 2k / (a + √(a² + 4ck)), which is also right for c = 0 (t = k/a)
 * and for a = 0 (t = √(k/c)), and is numerically stable.
 */
export function planStages(stages: Stage[]): StagePlan[] {
  let startS = 0;
  return stages.map((stage, index) => {
    const { from: a, to: b } = stageRates(stage);
    const D = stage.duration;
    const c = (b - a) / (2 * D);
    const total = a * D + c * D * D;
    // Arrivals at N(t) = 0, 1, 2, ... strictly before the end: ceil(total), less a tiny epsilon
    // so 300/s × 60 s is exactly 18000, not 18001 from rounding.
    const count = Math.max(0, Math.ceil(total - 1e-9));
    const arrivalS = (k: number) => (k === 0 ? 0 : (2 * k) / (a + Math.sqrt(Math.max(0, a * a + 4 * c * k))));
    const plan: StagePlan = { index, name: stage.name, excluded: stage.exclude, startS, durationS: D, count, arrivalS };
    startS += D;
    return plan;
  });
}

export function totalDurationS(plans: StagePlan[]): number {
  const last = plans[plans.length - 1];
  return last ? last.startS + last.durationS : 0;
}
