import { describe, expect, it } from 'vitest';
import { sumCounter } from './metrics-exporter.ts';

describe('sumCounter', () => {
  it('adds a counter over its label sets and ignores look-alikes', () => {
    const text = [
      '# HELP cache_hits_total Cache hits',
      '# TYPE cache_hits_total counter',
      'cache_hits_total{kind="user"} 3.0',
      'cache_hits_total{kind="conversation"} 4',
      'cache_hits_total_created 1.7e9',
      'cache_misses_total 2',
    ].join('\n');
    expect(sumCounter(text, 'cache_hits_total')).toBe(7);
    expect(sumCounter(text, 'cache_misses_total')).toBe(2);
    expect(sumCounter(text, 'nope')).toBeUndefined();
  });
});
