import { describe, expect, it } from 'vitest';
import { CapSearch, MiB, p90 } from './cap-search.ts';

/** A stack that needs `need` bytes: below it, an OOM kill. */
function run(need: number, peaks: number[], maxCapBytes = 8192 * MiB) {
  const s = new CapSearch({ peaks, maxCapBytes });
  const tried: number[] = [];
  for (let cap = s.next(); cap !== undefined; cap = s.next()) {
    tried.push(cap);
    s.record({ pass: cap >= need, oomKilled: cap < need });
    if (tried.length > 50) throw new Error('no end');
  }
  return { ...s.result(), tried };
}

describe('CapSearch', () => {
  it('starts at P90 of the peaks + 15 %, then bisects down to 64 MiB', () => {
    const r = run(700 * MiB, [600 * MiB, 650 * MiB, 620 * MiB]);
    expect(r.tried[0]).toBe(768 * MiB); // 650 × 1.15 = 747.5 → 768 (a multiple of 64 MiB)
    expect(r.status).toBe('found');
    expect(r.smallestPassBytes! - r.largestFailBytes!).toBeLessThanOrEqual(64 * MiB);
    expect(r.smallestPassBytes!).toBeGreaterThanOrEqual(700 * MiB);
    expect(r.smallestPassBytes!).toBeLessThan(764 * MiB);
  });

  it('after a kill grows by max(+100 MiB, ×1.2) until a pass', () => {
    const r = run(2000 * MiB, [600 * MiB]);
    expect(r.tried.slice(0, 4).map((b) => b / MiB)).toEqual([704, 896, 1088, 1344]);
    expect(r.status).toBe('found');
    expect(r.smallestPassBytes!).toBeGreaterThanOrEqual(2000 * MiB);
    expect(r.smallestPassBytes! - r.largestFailBytes!).toBeLessThanOrEqual(64 * MiB);
  });

  it('says when nothing passes up to the ceiling', () => {
    expect(run(9000 * MiB, [600 * MiB], 1024 * MiB).status).toBe('none-passed');
  });

  it('P90 is nearest-rank', () => {
    expect(p90([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toBe(9);
    expect(p90([5])).toBe(5);
  });
});
