import { describe, expect, it } from 'vitest';
import { loadResult } from '../../test/helpers/load-result.ts';
import type { RunEvent } from '../model/index.ts';
import { cacheHitRate, killRecords, loadSummary, psiOf, stageExtras } from './run-bookkeeping.ts';

const MiB = 1024 * 1024;
const kill = (t: number, over: Partial<RunEvent> = {}): RunEvent => ({ at: t * 1000, t, kind: 'oom-kill', service: 'es', pid: 42, detail: 'kernel: ...', ...over });

describe('killRecords', () => {
  const load = loadResult([
    { completed: 10, latMs: Array(10).fill(5) },
    { completed: 5, errors: 5, latMs: Array(10).fill(900) },
    { completed: 10, latMs: Array(10).fill(5) },
  ]);

  it('takes the victim working set from the event, and sums up the load seconds around the kill', () => {
    const [r] = killRecords([kill(11, { workingSetBytes: 300 * MiB })], load.seconds, 10, [{ t: 10, workingSet: 900 * MiB }]);
    expect(r).toMatchObject({ t: 11, service: 'es', pid: 42, workingSetBytes: 300 * MiB });
    expect(r.around).toMatch(/^±3 s: p99 up to 9\d\d ms, 5 errors\/drops$/);
  });

  it("falls back to the stack's last reading before the kill, and has no 'around' without load near it", () => {
    const [r] = killRecords([kill(50)], load.seconds, 10, [{ t: 40, workingSet: 700 * MiB }, { t: 60, workingSet: 1 }]);
    expect(r.workingSetBytes).toBe(700 * MiB);
    expect(r.around).toBeUndefined();
  });

  it('ignores other events', () => {
    expect(killRecords([{ ...kill(1), kind: 'service-exit' }], [], 0, [])).toEqual([]);
  });
});

describe('stageExtras', () => {
  it('peak working set (MiB) and kills inside the stage, in run seconds', () => {
    const load = loadResult([{ excluded: true, completed: 1, latMs: [1] }, { completed: 1, latMs: [1] }, { completed: 1, latMs: [1] }]);
    const steady = load.stages[1];
    const memory = [
      { t: 100, workingSet: 999 * MiB }, // before the stage
      { t: 101, workingSet: 200 * MiB },
      { t: 102, workingSet: 300 * MiB },
    ];
    const extras = stageExtras({ ...steady, startS: 1, durationS: 2 }, 100, memory, [kill(102), kill(99)]);
    expect(extras).toEqual({ peakWorkingSetMb: 300, oomKills: 1, verdict: '' });
    expect(stageExtras({ ...load.stages[0], startS: 0, durationS: 1 }, 500, memory, []).peakWorkingSetMb).toBeNull();
    expect(stageExtras(load.stages[0], 0, [], []).verdict).toBe('excluded');
  });
});

describe('cacheHitRate', () => {
  it('is hits over lookups between the two readings', () => {
    expect(cacheHitRate({ hits: 10, misses: 10 }, { hits: 40, misses: 20 })).toBeCloseTo(0.75, 9);
  });
  it('is null when a reading is missing, nothing was looked up, or a counter went down (the app restarted)', () => {
    expect(cacheHitRate(undefined, { hits: 1, misses: 1 })).toBeNull();
    expect(cacheHitRate({ hits: 1, misses: 1 }, { hits: 1, misses: 1 })).toBeNull();
    expect(cacheHitRate({ hits: 100, misses: 5 }, { hits: 3, misses: 9 })).toBeNull();
    expect(cacheHitRate({ hits: 5, misses: 100 }, { hits: 9, misses: 3 })).toBeNull();
  });
});

describe('psiOf and loadSummary', () => {
  it('PSI over 10 s, full 0 where the kernel gives no full line', () => {
    const line = { avg10: 1.5, avg60: 0, avg300: 0, total: 0 };
    expect(psiOf({ at: 0, stack: {} as never, services: new Map(), psi: { some: line } })).toEqual({ some10: 1.5, full10: 0 });
    expect(psiOf({ at: 0, stack: {} as never, services: new Map() })).toBeUndefined();
  });
  it('the judged figures and one entry per stage', () => {
    const s = loadSummary(loadResult([{ excluded: true, completed: 1, errors: 1, latMs: [1, 1] }, { completed: 4, latMs: [2, 2, 2, 2] }]));
    expect(s.measured).toMatchObject({ requests: 4, ok: 4, failures: 0 });
    expect(s.stages.map((x) => [x.name, x.excluded, x.requests])).toEqual([
      ['warm-up', true, 2],
      ['steady', false, 4],
    ]);
  });
});
