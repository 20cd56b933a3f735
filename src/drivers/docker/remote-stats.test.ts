import { describe, expect, it } from 'vitest';
import { memoryFromEngine } from './remote-stats.ts';

describe('memoryFromEngine', () => {
  it('reads a cgroup v1 reading as docker stats does: working set = usage − total_inactive_file', () => {
    // Field names as engine 20.10 sends them on cgroup v1 (a redis container).
    const m = { usage: 10_000_000, max_usage: 12_000_000, failcnt: 3, limit: 4_294_967_296, stats: { total_inactive_file: 1_500_000, total_active_file: 700_000, total_rss: 7_000_000, total_cache: 2_500_000, total_swap: 0, inactive_file: 99 } };
    expect(memoryFromEngine(m, 1)).toEqual({ usage: 10_000_000, workingSet: 8_500_000, rss: 7_000_000, cache: 2_500_000, inactiveFile: 1_500_000, activeFile: 700_000, swap: 0, peak: 12_000_000, failcnt: 3, oomKills: 0, limit: 4_294_967_296 });
  });

  it('reads a cgroup v2 reading by its own field names (anon, file, inactive_file)', () => {
    const m = { usage: 50_000_000, limit: 1e9, stats: { inactive_file: 10_000_000, anon: 30_000_000, file: 18_000_000, total_inactive_file: 1 } };
    expect(memoryFromEngine(m, 2)).toMatchObject({ workingSet: 40_000_000, rss: 30_000_000, cache: 18_000_000, peak: 50_000_000, failcnt: 0 });
  });

  it('has no reading for a stopped container (the engine sends empty memory stats)', () => {
    expect(memoryFromEngine({}, 1)).toBeUndefined();
    expect(memoryFromEngine(undefined, 2)).toBeUndefined();
  });
});
