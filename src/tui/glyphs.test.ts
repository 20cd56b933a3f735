import { describe, expect, it } from 'vitest';
import { bar, MARK, runs, sparkline } from './glyphs.ts';

describe('bar', () => {
  it('is always exactly the width asked', () => {
    for (const v of [0, 1, 49, 50, 99, 100, 250]) expect([...bar(v, 100, 10)]).toHaveLength(10);
  });
  it('fills in proportion, and fully when over', () => {
    expect(bar(0, 100, 4)).toBe('░░░░');
    expect(bar(50, 100, 4)).toBe('██░░');
    expect(bar(100, 100, 4)).toBe('████');
    expect(bar(400, 100, 4)).toBe('████');
    expect(bar(1, 8, 1)).toBe('▏');
  });
  it('marks the safety line', () => {
    const b = bar(1, 4, 20, 3.2);
    expect([...b].indexOf(MARK)).toBe(16);
  });
  it('survives a zero or unlimited max', () => {
    expect(bar(5, 0, 3)).toBe('░░░');
    expect(bar(5, Infinity, 3)).toBe('░░░');
  });
});

describe('sparkline', () => {
  it('keeps the newest values that fit', () => {
    const cells = sparkline([0, 1, 2, 3, 4, 5, 6, 7], 4, { max: 7 });
    expect(cells.map((c) => c.ch).join('')).toBe('▅▆▇█');
  });
  it('flags values at or over the alert line', () => {
    const cells = sparkline([1, 5, 2, 9], 4, { max: 10, alertAt: 5 });
    expect(cells.map((c) => c.alert)).toEqual([false, true, false, true]);
    expect(runs(cells)).toEqual([
      { text: cells[0].ch, alert: false },
      { text: cells[1].ch, alert: true },
      { text: cells[2].ch, alert: false },
      { text: cells[3].ch, alert: true },
    ]);
  });
  it('scales to its own maximum without one', () => {
    expect(sparkline([10, 20], 5).map((c) => c.ch).join('')).toBe('▅█');
    expect(sparkline([], 5)).toEqual([]);
  });
});
