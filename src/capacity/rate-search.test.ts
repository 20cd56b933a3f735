import { describe, expect, it } from 'vitest';
import { RateSearch, searchWith } from './rate-search.ts';

describe('RateSearch', () => {
  it('doubles, bisects to within 5 %, then confirms with a full-length step', () => {
    const capacity = 730;
    const { result, steps } = searchWith({ startRate: 50 }, (rate) => (rate <= capacity ? 'pass' : 'fail'));
    expect(result.status).toBe('found');
    expect(result.maxRate).not.toBeNull();
    expect(result.maxRate!).toBeLessThanOrEqual(capacity);
    expect((result.firstFail! - result.maxRate!) / result.maxRate!).toBeLessThanOrEqual(0.05);
    expect(steps.slice(0, 6).map((s) => s.rate)).toEqual([50, 100, 200, 400, 800, 600]);
    expect(steps.at(-1)).toMatchObject({ kind: 'confirm', rate: result.maxRate });
    expect(steps.filter((s) => s.kind === 'confirm')).toHaveLength(1);
  });

  it('finds the capacity within 5 % whatever it is', () => {
    for (const capacity of [3, 17, 99, 301, 1234, 5000]) {
      const { result } = searchWith({ startRate: 10 }, (rate) => (rate <= capacity ? 'pass' : 'fail'));
      expect(result.status).toBe('found');
      expect(result.maxRate!).toBeLessThanOrEqual(capacity);
      expect(result.maxRate!).toBeGreaterThanOrEqual(Math.floor(capacity / 1.05) - 1);
    }
  });

  it('halves from a start rate that fails', () => {
    const { result, steps } = searchWith({ startRate: 400 }, (rate) => (rate <= 70 ? 'pass' : 'fail'));
    expect(steps.slice(0, 4).map((s) => s.rate)).toEqual([400, 200, 100, 50]);
    expect(result.status).toBe('found');
    expect(result.maxRate!).toBeGreaterThanOrEqual(66);
    expect(result.maxRate!).toBeLessThanOrEqual(70);
  });

  it('stops at a harness-limited step and reports the last pass as a lower bound only', () => {
    const { result, steps } = searchWith({ startRate: 1000 }, (rate) => (rate >= 8000 ? 'harness-limited' : 'pass'));
    expect(steps.map((s) => s.rate)).toEqual([1000, 2000, 4000, 8000]);
    expect(result.status).toBe('harness-limited');
    expect(result.harnessLimitedAt).toBe(8000);
    expect(result.maxRate).toBe(4000);
    expect(result.summary).toMatch(/generator's limit, not the stack's.*at least 4000 req\/s/);
  });

  it('a failed confirmation moves the bound down and tries again', () => {
    // Short steps pass up to 500; a full-length step only holds up to 440 (a slow leak, say).
    const { result, steps } = searchWith({ startRate: 100 }, (rate, step) => (rate <= (step.fullLength ? 440 : 500) ? 'pass' : 'fail'));
    const confirms = steps.filter((s) => s.kind === 'confirm');
    expect(confirms.length).toBe(2);
    expect(confirms[0]!.outcome).toBe('fail');
    // After it, every step runs full length: short ones were shown to over-estimate.
    const after = steps.slice(steps.indexOf(confirms[0]!) + 1);
    expect(after.every((s) => s.fullLength)).toBe(true);
    expect(result.status).toBe('found');
    expect(result.maxRate!).toBeLessThanOrEqual(440);
  });

  it('says when nothing passed and when the ceiling passed', () => {
    expect(searchWith({ startRate: 8 }, () => 'fail').result).toMatchObject({ status: 'none-passed', maxRate: null });
    expect(searchWith({ startRate: 100, maxRate: 1000 }, () => 'pass').result).toMatchObject({ status: 'above-max', maxRate: 1000 });
  });

  it('estimates the steps left', () => {
    const s = new RateSearch({ startRate: 50 });
    expect(s.remainingEstimate()).toBeGreaterThanOrEqual(3);
    s.record('pass');
    s.record('fail'); // 100 fails: bisect 50..100
    expect(s.next()).toMatchObject({ phase: 'bisecting', rate: 75 });
    expect(s.remainingEstimate()).toBe(6); // log2(50 / 2.5) → 5 bisections, then the confirmation
  });

  it('with one confirmation (--quick) a failed confirmation ends the search as not confirmed', () => {
    // Short steps pass up to 110, full-length ones only up to 90: the confirmation at the rate found fails.
    const judge = (rate: number, step: { fullLength: boolean }): 'pass' | 'fail' => (rate <= (step.fullLength ? 90 : 110) ? 'pass' : 'fail');
    const one = searchWith({ startRate: 100, maxConfirmations: 1 }, judge);
    expect(one.result.status).toBe('not-confirmed');
    expect(one.steps.filter((x) => x.kind === 'confirm')).toHaveLength(1);
    expect(one.steps.at(-1)).toMatchObject({ kind: 'confirm', outcome: 'fail' });
    // The default tries again lower, at full length.
    expect(searchWith({ startRate: 100 }, judge).steps.filter((x) => x.kind === 'confirm').length).toBeGreaterThan(1);
  });
});
