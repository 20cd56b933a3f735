import { describe, expect, it } from 'vitest';
import {
  displayWidth,
  fit,
  formatBytes,
  formatCount,
  formatDuration,
  formatLimit,
  formatMs,
  formatPercent,
  formatRate,
  formatTargetValue,
  sanitize,
  truncate,
} from './format.ts';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [512, '512 B'],
    [3 * 1024, '3 KB'],
    [3.4 * MiB, '3.40 MB'],
    [12.5 * MiB, '13 MB'],
    [256 * MiB, '256 MB'],
    [800 * MiB, '800 MB'],
    [1023.7 * MiB, '1.00 GB'],
    [3.2 * GiB, '3.20 GB'],
    [4 * GiB, '4.00 GB'],
    [12.25 * GiB, '12.3 GB'],
    [-300 * MiB, '-300 MB'],
    [Infinity, 'unlimited'],
    [NaN, '-'],
  ])('%d -> %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('always names a unit', () => {
    for (let b = 1; b < 20 * GiB; b *= 3.7) expect(formatBytes(b)).toMatch(/ (B|KB|MB|GB)$/);
  });
});

describe('formatMs', () => {
  it.each([
    [0.42, '0.42 ms'],
    [7.94, '7.9 ms'],
    [48.2, '48 ms'],
    [999.4, '999 ms'],
    [1000, '1.00 s'],
    [2410, '2.41 s'],
    [12_500, '12.5 s'],
    [125_000, '2m05s'],
    [Infinity, '-'],
  ])('%d -> %s', (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });
});

describe('other formats', () => {
  it('rates', () => {
    expect(formatRate(300)).toBe('300 req/s');
    expect(formatRate(299.6)).toBe('300 req/s');
    expect(formatRate(42.25)).toBe('42.3 req/s');
    expect(formatRate(0)).toBe('0 req/s');
  });
  it('durations as a clock', () => {
    expect(formatDuration(7)).toBe('0:07');
    expect(formatDuration(125.9)).toBe('2:05');
    expect(formatDuration(3723)).toBe('1:02:03');
    expect(formatDuration(-1)).toBe('-');
  });
  it('percentages', () => {
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.008)).toBe('0.80%');
    expect(formatPercent(0.634)).toBe('63.4%');
    expect(formatPercent(1)).toBe('100%');
  });
  it('counts with thousands separators', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(12)).toBe('12');
    expect(formatCount(-4000)).toBe('-4,000');
  });
  it('target values and limits in their unit', () => {
    expect(formatTargetValue(null, 'ms')).toBe('n/a');
    expect(formatTargetValue(0.5, 'ratio')).toBe('50.0%');
    expect(formatTargetValue(800 * MiB, 'bytes')).toBe('800 MB');
    expect(formatLimit({ comparator: '<', limit: 1000, unit: 'ms' })).toBe('< 1.00 s');
    expect(formatLimit({ comparator: '>=', limit: 300, unit: 'req/s' })).toBe('>= 300 req/s');
  });
});

describe('text helpers', () => {
  it('sanitize removes escape sequences and control characters', () => {
    const dirty = '\x1b[31mred\x1b[0m \x1b]0;title\x07line\r\nnext\x1b[2K\x00';
    const clean = sanitize(dirty);
    expect(clean).toBe('red line next');
    expect(clean).not.toMatch(/[\x00-\x1f]/);
  });
  it('truncate and fit keep to the width', () => {
    expect(truncate('elasticsearch', 8)).toBe('elastic…');
    expect(truncate('redis', 8)).toBe('redis');
    expect(fit('redis', 8)).toBe('redis   ');
    expect(fit('42 MB', 8, 'right')).toBe('   42 MB');
    expect(displayWidth('██░░│')).toBe(5);
    expect(displayWidth('内存')).toBe(4);
    expect(displayWidth(truncate('内存分配方案', 5))).toBeLessThanOrEqual(5);
  });
});
