import { describe, expect, it } from 'vitest';
import { planStages, totalDurationS } from './arrival-schedule.ts';

const stage = (over: object) => ({ name: 's', duration: 10, exclude: false, ...over });

describe('arrival schedule', () => {
  it('a fixed rate gives rate × duration evenly spaced arrivals', () => {
    const [p] = planStages([stage({ rate: 300, duration: 60 })]);
    expect(p!.count).toBe(18_000);
    expect(p!.arrivalS(1)).toBeCloseTo(1 / 300, 12);
    expect(p!.arrivalS(17_999)).toBeLessThan(60);
    expect(planStages([stage({ rate: 2.5, duration: 1 })])[0]!.count).toBe(3); // t = 0, 0.4, 0.8
    expect(planStages([stage({ rate: 0 })])[0]!.count).toBe(0);
  });

  it('a ramp integrates its linear rate', () => {
    const [p] = planStages([stage({ ramp: { from: 100, to: 300 }, duration: 10 })]);
    expect(p!.count).toBe(2000); // mean 200/s × 10 s
    // Half the arrivals come before the time where N(t) = 1000: 100t + 10t² = 1000 → t ≈ 5.8
    expect(p!.arrivalS(1000)).toBeCloseTo((-100 + Math.sqrt(100 ** 2 + 4 * 10 * 1000)) / 20, 9);
    let prev = -1;
    for (let k = 0; k < p!.count; k++) {
      const t = p!.arrivalS(k);
      expect(t).toBeGreaterThan(prev);
      prev = t;
    }
    expect(prev).toBeLessThan(10);
    const down = planStages([stage({ ramp: { from: 300, to: 0 }, duration: 10 })])[0]!;
    expect(down.count).toBe(1500);
    expect(down.arrivalS(down.count - 1)).toBeLessThan(10);
  });

  it('stages follow each other', () => {
    const plans = planStages([stage({ rate: 1, duration: 15 }), stage({ rate: 2, duration: 60 })]);
    expect(plans.map((p) => p.startS)).toEqual([0, 15]);
    expect(totalDurationS(plans)).toBe(75);
  });
});
