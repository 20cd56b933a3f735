import { describe, expect, it } from 'vitest';
import { seededRandom, uniformSampler, zipfSampler } from './id-sampler.ts';

function frequencies(sample: () => number, draws: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < draws; i++) {
    const v = sample();
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return counts;
}

describe('id samplers', () => {
  it('zipf matches the exact distribution P(k) ∝ 1/k^s', () => {
    for (const s of [0.9, 1, 1.1, 2]) {
      const n = 50;
      const draws = 200_000;
      const counts = frequencies(zipfSampler(101, 100 + n, s, seededRandom(7)), draws);
      let norm = 0;
      for (let k = 1; k <= n; k++) norm += 1 / k ** s;
      for (const k of [1, 2, 5, 20, 50]) {
        const expected = draws / k ** s / norm;
        const got = counts.get(100 + k) ?? 0;
        // Within 5 standard deviations of a binomial count.
        expect(Math.abs(got - expected)).toBeLessThan(5 * Math.sqrt(expected) + 1);
      }
      expect(Math.min(...counts.keys())).toBeGreaterThanOrEqual(101);
      expect(Math.max(...counts.keys())).toBeLessThanOrEqual(150);
    }
  });

  it('zipf over 1..10000 s=1.1 leaves a realistic hot set, not one id', () => {
    const counts = frequencies(zipfSampler(1, 10_000, 1.1, seededRandom(1)), 100_000);
    const top = (counts.get(1) ?? 0) / 100_000;
    expect(top).toBeGreaterThan(0.1);
    expect(top).toBeLessThan(0.3);
    expect(counts.size).toBeGreaterThan(2000);
  });

  it('uniform covers the range evenly and is seeded', () => {
    const counts = frequencies(uniformSampler(1, 10, seededRandom(3)), 100_000);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const c of counts.values()) expect(Math.abs(c - 10_000)).toBeLessThan(600);
    const a = uniformSampler(1, 1e6, seededRandom(9));
    const b = uniformSampler(1, 1e6, seededRandom(9));
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });
});
