import { describe, expect, it } from 'vitest';
import { fitLine, projectGrowth, secondsUntil, slopeBound, trendReport } from './trend.ts';

const MB = 1024 * 1024;
const GB = 1024 * MB;

describe('working-set trend', () => {
  it('fits the slope of a growing working set and projects the lines it crosses', () => {
    // 1 GB growing 3 MB/min for 10 minutes, none of it page cache.
    const pts = Array.from({ length: 600 }, (_, i) => ({ t: 100 + i, v: GB + (i * 3 * MB) / 60, held: GB + (i * 3 * MB) / 60 }));
    const f = fitLine(pts)!;
    expect(f.slope * 60 / MB).toBeCloseTo(3, 6);
    expect(f.r2).toBeCloseTo(1, 6);
    const r = trendReport(pts, { app: pts }, { safetyLineBytes: 3.2 * GB, capBytes: 4 * GB })!;
    expect(r.stack.slopeMbPerMin).toBe(3);
    // From ~1.03 GB at the end to 4 GB at 3 MB/min: ~1014 minutes.
    expect(r.stack.capInS! / 60).toBeCloseTo((4 * 1024 - (1024 + 3 * 599 / 60)) / 3, 0);
    expect(r.line).toBe('working set +3.0 MB/min (R² 1.00) over 10 min judged: 3.2 GB line reached in 12 h; held memory (less the page cache, reclaimed before any OOM kill) +3.0 MB/min (R² 1.00): cap reached in 17 h');
    expect(r.services.app!.slopeMbPerMin).toBe(3);
  });

  it('says never for a flat or falling line, and fits nothing under 2 minutes', () => {
    const flat = Array.from({ length: 200 }, (_, i) => ({ t: i, v: GB + (i % 2) * MB, held: GB }));
    const r = trendReport(flat, {}, { safetyLineBytes: 3.2 * GB, capBytes: 4 * GB })!;
    expect(r.line).toMatch(/3\.2 GB line never reached at this slope; .*: cap never reached at this slope$/);
    expect(trendReport(flat.slice(0, 100), {}, { safetyLineBytes: 3.2 * GB, capBytes: 4 * GB })).toBeUndefined();
    expect(secondsUntil({ slope: -1, end: 0, r2: 0, points: 2, spanS: 1, slopeSe: NaN }, 10)).toBeNull();
  });

  it('projects the cap from held memory: a working set grown by page cache (a database being read) is not a leak', () => {
    // As in a 10-minute soak of the 3 GB dataset here: the working set +98 MB/min, all of it file cache
    // (active after a second read), while anon + shared memory stayed flat around 900 MB.
    const pts = Array.from({ length: 600 }, (_, i) => ({ t: i, v: GB + (i * 98 * MB) / 60, held: 900 * MB + ((i * 7) % 11) * MB }));
    const r = trendReport(pts, { postgres: pts }, { safetyLineBytes: 3.2 * GB, capBytes: 4 * GB })!;
    expect(r.stack.slopeMbPerMin).toBeCloseTo(98, 0);
    expect(r.stack.safetyLineInS! / 60).toBeGreaterThan(10); // the working-set alert would fire in ~13 min
    expect(r.stack.safetyLineInS! / 60).toBeLessThan(20);
    expect(r.stack.capInS).toBeNull();
    expect(r.stack.growthBytesPerS).toBe(0);
    expect(r.line).toMatch(/3\.2 GB line reached in 1\d min; held memory .*: cap never reached at this slope$/);
    expect(r.services.postgres).toMatchObject({ slopeMbPerMin: expect.closeTo(98, 0) });
    expect(Math.abs(r.services.postgres!.heldSlopeMbPerMin!)).toBeLessThan(1);
    // The same readings with the growth held (a leak): the cap is reached, and growth is what leaks.
    const leak = trendReport(pts.map((p) => ({ ...p, held: p.v })), {}, { safetyLineBytes: 3.2 * GB, capBytes: 4 * GB })!;
    expect(leak.stack.capInS! / 60).toBeGreaterThan(20);
    expect(leak.stack.capInS! / 60).toBeLessThan(30);
    expect(leak.stack.growthBytesPerS * 60 / MB).toBeCloseTo(98, 0);
  });

  it('bounds the held slope from minute means: a steady leak is told from scatter, and the interval holds the true slope', () => {
    // A deterministic jitter of ±20 MB (a 17-second cycle), on a flat level and on a 2 MB/min leak, 10 minutes at 1 Hz.
    const jitter = (i: number) => (((i * 7) % 17) - 8) * 2.5 * MB;
    const flat = Array.from({ length: 600 }, (_, i) => ({ t: i, v: GB + jitter(i) }));
    const leak = flat.map((p) => ({ t: p.t, v: p.v + (p.t * 2 * MB) / 60 }));
    const f = slopeBound(flat)!;
    const l = slopeBound(leak)!;
    expect(f.blocks).toBe(10);
    expect(Math.abs(f.slope)).toBeLessThan(f.halfWidth); // 0 inside the interval: no growth shown
    expect(((l.slope - l.halfWidth) * 60) / MB).toBeLessThan(2);
    expect(((l.slope + l.halfWidth) * 60) / MB).toBeGreaterThan(2);
    expect(l.slope - l.halfWidth).toBeGreaterThan(0); // growth shown
    // Two whole minutes (and a third under half full, left out) are too few to bound a slope.
    expect(slopeBound(flat.slice(0, 140))).toBeUndefined();
  });

  it('projects the held memory to a horizon at the interval\'s low end, middle and high end; a falling end projects no growth', () => {
    const pts = Array.from({ length: 600 }, (_, i) => ({ t: i, v: GB + (((i * 7) % 17) - 8) * 2.5 * MB, held: GB + (((i * 7) % 17) - 8) * 2.5 * MB + (i * 2 * MB) / 60 }));
    const r = trendReport(pts, {}, { safetyLineBytes: 3.2 * GB, capBytes: 4 * GB })!;
    const week = 7 * 86400;
    const g = projectGrowth(r, week);
    expect(g.lowBytes).toBeLessThan(g.projectedBytes);
    expect(g.highBytes).toBeGreaterThan(g.projectedBytes);
    expect((g.projectedBytes - r.stack.held.endBytes) / (week / 60) / MB).toBeCloseTo(2, 0);
    const flat = trendReport(pts.map((p) => ({ ...p, held: p.v })), {}, { safetyLineBytes: 3.2 * GB, capBytes: 4 * GB })!;
    const gf = projectGrowth(flat, week);
    expect(gf.lowBytes).toBe(flat.stack.held.endBytes);
    expect(gf.highBytes).toBeGreaterThan(gf.lowBytes);
  });
});
