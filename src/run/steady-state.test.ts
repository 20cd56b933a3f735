import { describe, expect, it } from 'vitest';
import { SteadyStateDetector } from './steady-state.ts';

const MB = 1024 * 1024;

function feed(d: SteadyStateDetector, from: number, n: number, f: (i: number) => Parameters<SteadyStateDetector['add']>[0] extends infer T ? Omit<T, 't'> : never) {
  let v = d.add({ t: from, ...f(0) });
  for (let i = 1; i < n; i++) v = d.add({ t: from + i, ...f(i) });
  return v;
}

describe('steady state', () => {
  it('is not steady while Redis fills, then steady once it is full and the figures stop moving', () => {
    const d = new SteadyStateDetector();
    // Filling: 10 MB a second towards 256 MB, hit rate climbing.
    let v = feed(d, 0, 20, (i) => ({ workingSet: 1000 * MB + i * 10 * MB, hitRatio: 0.2 + i * 0.01, redisUsed: i * 10 * MB, redisMax: 256 * MB, redisKeys: i * 100 }));
    expect(v).toMatchObject({ steady: false });
    expect(v.reason).toMatch(/Redis still filling \(74 % of maxmemory\)/);
    // Full and evicting, hit rate and working set flat.
    v = feed(d, 20, 20, () => ({ workingSet: 1300 * MB, hitRatio: 0.55, redisUsed: 255 * MB, redisMax: 256 * MB, redisEvictedPerS: 40, redisKeys: 5000 }));
    expect(v.steady).toBe(true);
    // Once the two 10 s windows before it hold (almost) only the flat seconds.
    expect(d.reachedAtS).toBeGreaterThanOrEqual(36);
    expect(d.reachedAtS).toBeLessThanOrEqual(39);
  });

  it('a hit rate still moving by more than 2 points keeps it unsteady', () => {
    const d = new SteadyStateDetector();
    const v = feed(d, 0, 20, (i) => ({ workingSet: 1000 * MB, hitRatio: i < 10 ? 0.5 : 0.53, redisUsed: 256 * MB, redisMax: 256 * MB, redisKeys: 10 }));
    expect(v).toMatchObject({ steady: false });
    expect(v.reason).toMatch(/hit rate still moving \(50\.0 → 53\.0 %\)/);
  });

  it('a working set still growing by more than 2 % keeps it unsteady; a small key space fully cached counts as full', () => {
    const d = new SteadyStateDetector();
    const v = feed(d, 0, 20, (i) => ({ workingSet: (i < 10 ? 1000 : 1030) * MB, hitRatio: 0.99, redisUsed: 20 * MB, redisMax: 256 * MB, redisKeys: 3000 }));
    expect(v.reason).toMatch(/working set still moving \(1000 → 1030 MB\)/);
    const d2 = new SteadyStateDetector();
    expect(feed(d2, 0, 20, () => ({ workingSet: 1000 * MB, hitRatio: 0.99, redisUsed: 20 * MB, redisMax: 256 * MB, redisKeys: 3000 })).steady).toBe(true);
  });

  it('without Redis, judges the working set alone', () => {
    const d = new SteadyStateDetector();
    expect(feed(d, 0, 20, () => ({ workingSet: 500 * MB })).steady).toBe(true);
  });
});
