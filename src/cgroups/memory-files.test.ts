import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  heldMemory,
  parseFlatKeyed,
  parseLimit,
  parseMemoryEvents,
  parseMemoryStatV1,
  parseMemoryStatV2,
  parseOomControl,
  parseProcs,
  statsFromV1,
  statsFromV2,
  type V1MemoryFiles,
} from './memory-files.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../test/fixtures');
const v1 = (dir: string, file: string) => readFileSync(path.join(FIXTURES, 'cgroup-v1', dir, file), 'utf8');
const v2 = (dir: string, file: string) => readFileSync(path.join(FIXTURES, 'cgroup-v2/simulate', dir, file), 'utf8');

function v1Files(dir: string): V1MemoryFiles {
  const names = ['memory.stat', 'memory.usage_in_bytes', 'memory.max_usage_in_bytes', 'memory.failcnt', 'memory.oom_control', 'memory.limit_in_bytes'] as const;
  return Object.fromEntries(names.map((n) => [n, v1(dir, n)])) as unknown as V1MemoryFiles;
}

describe('parseLimit', () => {
  it('reads v2 "max" and v1 unlimited page-counter maximum as Infinity', () => {
    expect(parseLimit('max\n')).toBe(Infinity);
    expect(parseLimit('9223372036854771712\n')).toBe(Infinity);
    expect(parseLimit('-1')).toBe(Infinity);
    // 64 KiB pages give another "unlimited" figure
    expect(parseLimit('9223372036854710272')).toBe(Infinity);
  });
  it('reads a real limit exactly', () => {
    expect(parseLimit('4294967296\n')).toBe(4 * 1024 ** 3);
    expect(parseLimit(v1('parent', 'memory.limit_in_bytes'))).toBe(256 * 1024 ** 2);
  });
  it('rejects junk', () => {
    expect(() => parseLimit('')).toThrow();
    expect(() => parseLimit('lots')).toThrow();
  });
});

describe('v1 files recorded on this machine', () => {
  it('memory.stat of the process-less parent: only total_* keys carry the children', () => {
    const stat = parseMemoryStatV1(v1('parent', 'memory.stat'));
    expect(stat.raw.rss).toBe(0);
    expect(stat).toMatchObject({ rss: 76251136, cache: 31789056, inactiveFile: 31494144, swap: 0, hierarchicalLimit: 268435456 });
  });
  it('memory.stat of an unlimited child reports the hierarchical limit of its capped parent', () => {
    expect(parseMemoryStatV1(v1('svc', 'memory.stat')).hierarchicalLimit).toBe(268435456);
  });
  it('memory.oom_control counts the kill in the victim, not in the capped parent', () => {
    expect(parseOomControl(v1('hog', 'memory.oom_control'))).toEqual({ oomKillDisable: false, underOom: false, oomKill: 1 });
    expect(parseOomControl(v1('parent', 'memory.oom_control')).oomKill).toBe(0);
  });
  it('assembles MemoryStats for the parent', () => {
    expect(statsFromV1(v1Files('parent'))).toEqual({
      usage: 109846528,
      workingSet: 109846528 - 31494144,
      rss: 76251136,
      cache: 31789056,
      inactiveFile: 31494144,
      activeFile: 294912,
      swap: 0,
      peak: 109850624,
      failcnt: 0,
      oomKills: 0,
      limit: 268435456,
    });
  });
  it('held memory is usage less all file cache (active and inactive), the working set less the active file pages', () => {
    const s = statsFromV1(v1Files('parent'));
    expect(heldMemory(s)).toBe(109846528 - 294912 - 31494144);
    expect(heldMemory(s)).toBe(s.workingSet - s.activeFile);
  });
  it('assembles MemoryStats for the OOM victim (unlimited itself)', () => {
    const s = statsFromV1(v1Files('hog'));
    expect(s).toMatchObject({ usage: 16384, workingSet: 12288, oomKills: 1, limit: Infinity, peak: 67096576 });
  });
  it('cgroup.procs', () => {
    expect(parseProcs(v1('svc', 'cgroup.procs'))).toEqual([18141]);
    expect(parseProcs(v1('parent', 'cgroup.procs'))).toEqual([]);
  });
});

describe('v2 files (kernel 6.x format)', () => {
  it('memory.stat: anon, file, inactive_file', () => {
    const stat = parseMemoryStatV2(v2('r-fixture', 'memory.stat'));
    // Recorded in the qemu guest (Debian 6.1 kernel) with a hog just OOM-killed inside a 256 MiB cap.
    expect(stat).toMatchObject({ anon: 69824512, file: 57344, inactiveFile: 24576 });
    expect(stat.raw.pgscan).toBe(15094);
  });
  it('memory.events: max and oom_kill', () => {
    expect(parseMemoryEvents(v2('r-fixture', 'memory.events'))).toEqual({ low: 0, high: 0, max: 367, oom: 1, oomKill: 1, oomGroupKill: 0 });
    expect(parseMemoryEvents(v2('r-fixture', 'memory.events.local')).oomKill).toBe(0);
  });
  it('assembles MemoryStats with peak and swap files', () => {
    const read = (f: string) => v2('r-fixture', f);
    expect(
      statsFromV2({
        'memory.current': read('memory.current'),
        'memory.stat': read('memory.stat'),
        'memory.events': read('memory.events'),
        'memory.max': read('memory.max'),
        'memory.swap.current': read('memory.swap.current'),
        'memory.peak': read('memory.peak'),
      }),
    ).toEqual({
      usage: 70287360,
      workingSet: 70287360 - 24576,
      rss: 69824512,
      cache: 57344,
      inactiveFile: 24576,
      activeFile: 28672,
      swap: 0,
      peak: 268435456,
      failcnt: 367,
      oomKills: 1,
      limit: 268435456,
    });
  });
  it('without memory.peak the peak is the highest usage seen', () => {
    const read = (f: string) => v2('r-fixture/svc', f);
    const files = { 'memory.current': read('memory.current'), 'memory.stat': read('memory.stat'), 'memory.events': read('memory.events'), 'memory.max': read('memory.max') };
    expect(statsFromV2(files).peak).toBe(131698688);
    expect(statsFromV2(files, 600_000_000).peak).toBe(600_000_000);
    expect(statsFromV2(files).swap).toBe(0);
  });
});

describe('parseFlatKeyed', () => {
  it('skips blank and malformed lines', () => {
    expect(parseFlatKeyed('a 1\n\nb\nc x\nd 4\n')).toEqual({ a: 1, d: 4 });
  });
});
