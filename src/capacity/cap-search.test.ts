import { describe, expect, it } from 'vitest';
import { CapConfirm, CapSearch, MiB, p90 } from './cap-search.ts';

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

describe('CapConfirm', () => {
  /** Run a confirmation against a list of outcomes per cap (MiB → outcomes in order). */
  function confirm(first: number, prior: Array<[number, boolean]>, outcomes: Record<number, boolean[]>, maxCap = 4096) {
    const c = new CapConfirm(
      first * MiB,
      prior.map(([cap, pass]) => ({ capBytes: cap * MiB, pass })),
      { maxCapBytes: maxCap * MiB },
    );
    const ran: number[] = [];
    for (let cap = c.next(); cap !== undefined; cap = c.next()) {
      ran.push(cap / MiB);
      c.record(outcomes[cap / MiB]!.shift()!);
      if (ran.length > 20) throw new Error('no end');
    }
    return { ...c.result(), ran };
  }

  it('a pass that holds on its re-run is confirmed, with VPA\'s +15 % on top', () => {
    const r = confirm(768, [[960, true], [768, true], [704, false]], { 768: [true] });
    expect(r.ran).toEqual([768]);
    expect(r).toMatchObject({ status: 'confirmed', confirmedBytes: 768 * MiB, recommendedBytes: 896 * MiB }); // 768 × 1.15 = 883 → 896
    expect(r.how).toBe("768 MiB passed 2 of 2 fresh runs; +15 % (VPA's safety margin) → 896 MiB");
  });

  it('a re-run that fails moves the cap up 64 MiB, which must pass twice (the case seen here at 768 MiB)', () => {
    const r = confirm(768, [[960, true], [768, true], [704, false]], { 768: [false], 832: [true, true] });
    expect(r.ran).toEqual([768, 832, 832]);
    expect(r.confirmedBytes).toBe(832 * MiB);
    expect(r.passRates.map((p) => [p.capBytes / MiB, p.passes, p.runs])).toEqual([[768, 1, 2], [832, 2, 2], [960, 1, 1]]);
    expect(r.how).toMatch(/^832 MiB passed 2 of 2 fresh runs \(768 MiB passed 1 of 2\); \+15 %/);
  });

  it('counts the bisection\'s runs at a cap above: a cap already passed needs one more', () => {
    const r = confirm(768, [[832, true], [768, true]], { 768: [false], 832: [true] });
    expect(r.ran).toEqual([768, 832]);
    expect(r.confirmedBytes).toBe(832 * MiB);
  });

  it('gives up after three steps up and reports the pass rates', () => {
    const r = confirm(768, [[768, true]], { 768: [false], 832: [false], 896: [true, false], 960: [false] });
    expect(r.status).toBe('not-reproducible');
    expect(r.confirmedBytes).toBeNull();
    expect(r.recommendedBytes).toBeNull();
    expect(r.how).toMatch(/^no cap passed 2 of 2 fresh runs within 3 steps of 64 MiB: 768 MiB passed 1 of 2, 832 MiB passed 0 of 1, 896 MiB passed 1 of 2, 960 MiB passed 0 of 1$/);
  });

  it('never climbs past the ceiling', () => {
    const r = confirm(4096, [[4096, true]], { 4096: [false] });
    expect(r).toMatchObject({ status: 'not-reproducible', ran: [4096] });
  });
});
