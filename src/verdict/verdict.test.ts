import { describe, expect, it } from 'vitest';
import { loadResult, type WindowSpec } from '../../test/helpers/load-result.ts';
import type { Targets } from '../profile/stack.ts';
import type { OomKillRecord, TargetResult } from '../model/index.ts';
import { computeVerdict, type VerdictInput } from './verdict.ts';

const MB = 1024 * 1024;
const GB = 1024 * MB;

const TARGETS: Targets = {
  avgLatencyMs: 60,
  minRps: 10,
  p99Ms: 1000,
  maxOomKills: 0,
  minFreeBytes: 800 * MB,
  minCacheHitRate: 0.5,
  maxErrorRate: 0.1,
};

const fast = (n: number, ms = 10) => Array.from({ length: n }, () => ms);

/** Warm-up second 0 breaks every target; the verdict must not see it. */
const BAD_WARMUP: WindowSpec = { excluded: true, completed: 1, errors: 9, latMs: fast(10, 5000) };

function input(over: Partial<VerdictInput> = {}): VerdictInput {
  return {
    targets: TARGETS,
    capBytes: 4 * GB,
    load: loadResult([BAD_WARMUP, { completed: 10, latMs: fast(10) }, { completed: 10, latMs: fast(10) }, { completed: 10, latMs: fast(10) }]),
    loadStartT: 100,
    memory: [
      { t: 100, workingSet: 1 * GB },
      { t: 101, workingSet: 2 * GB },
    ],
    oomKills: [],
    standins: [],
    interrupted: false,
    ...over,
  };
}

function target(results: TargetResult[], name: string): TargetResult {
  const r = results.find((x) => x.name === name);
  if (!r) throw new Error(`no target ${name} in ${results.map((x) => x.name).join(', ')}`);
  return r;
}

describe('computeVerdict', () => {
  it('passes a run that meets every target, ignoring a bad excluded warm-up', () => {
    const v = computeVerdict(input({ cacheHitRate: 0.6, standins: ['grafana'] }));
    expect(v.targets.map((t) => t.name)).toEqual(['avg_latency', 'throughput', 'p99_latency', 'error_rate', 'cache_hit_rate', 'oom_kills', 'free_memory']);
    for (const t of v.targets) {
      expect(t.pass, t.name).toBe(true);
      expect(t.firstBrokeAtS, t.name).toBeUndefined();
    }
    expect(v.pass).toBe(true);
    expect(v.model).toBe('open');
    expect(v.standins).toEqual(['grafana']);
    expect(target(v.targets, 'avg_latency').measured).toBeCloseTo(10, 1);
    expect(target(v.targets, 'throughput').measured).toBe(10);
    expect(target(v.targets, 'error_rate').measured).toBe(0);
    expect(target(v.targets, 'free_memory').measured).toBe(2 * GB);
  });

  it('uses each target\'s comparator: p99 strictly below, the others inclusive', () => {
    const first = computeVerdict(input());
    const p99 = target(first.targets, 'p99_latency');
    const avg = target(first.targets, 'avg_latency');
    expect(p99.comparator).toBe('<');
    expect(avg.comparator).toBe('<=');
    expect(target(first.targets, 'throughput').comparator).toBe('>=');
    expect(target(first.targets, 'error_rate').comparator).toBe('<=');

    // A limit equal to the measured value: p99 fails (strict), avg passes (inclusive).
    const atLimit = computeVerdict(input({ targets: { ...TARGETS, p99Ms: p99.measured!, avgLatencyMs: avg.measured! } }));
    expect(target(atLimit.targets, 'p99_latency').pass).toBe(false);
    expect(target(atLimit.targets, 'avg_latency').pass).toBe(true);
    expect(atLimit.pass).toBe(false);
    // Each window's p99 equals the overall one: the first measured second broke it.
    expect(target(atLimit.targets, 'p99_latency').firstBrokeAtS).toBe(101);

    const justAbove = computeVerdict(input({ targets: { ...TARGETS, p99Ms: p99.measured! + 0.001 } }));
    expect(target(justAbove.targets, 'p99_latency').pass).toBe(true);
  });

  it('judges throughput against the target itself, by completion time; the error budget is the error row\'s', () => {
    // A judged stage offered 290 req/s against a 300 target: not tested, whatever completed.
    const offered290 = loadResult([BAD_WARMUP, ...Array.from({ length: 10 }, () => ({ completed: 290, latMs: fast(290) }))]);
    const v = computeVerdict(input({ load: offered290, targets: { ...TARGETS, minRps: 300, maxErrorRate: 0.01 } }));
    const tp = target(v.targets, 'throughput');
    expect(tp).toMatchObject({ limit: 300, pass: false, measured: null });
    expect(tp.notJudged).toMatch(/^not tested: the judged stages offered 290 req\/s, below the 300 req\/s target/);

    // 9.5 completed/s against 10: a miss (no error budget to hide the failed request in).
    const load = loadResult([{ completed: 10, latMs: fast(10) }, { completed: 9, errors: 1, latMs: fast(10) }]);
    const missed = computeVerdict(input({ load }));
    expect(target(missed.targets, 'throughput')).toMatchObject({ limit: 10, measured: 10, pass: true });
    const load2 = loadResult([{ completed: 10, latMs: fast(10) }, { completed: 8, errors: 2, latMs: fast(10) }]);
    expect(target(computeVerdict(input({ load: load2 })).targets, 'throughput')).toMatchObject({ limit: 10, measured: 9, pass: false });
  });

  it('counts completions in the judged seconds only, not the backlog finished after the last stage', () => {
    // 2 judged seconds offered 10/s; the server completed 5 a second, then 10 more in a drain second.
    const load = loadResult([{ completed: 5, dropped: 0, latMs: fast(5) }, { completed: 5, latMs: fast(5) }]);
    for (const w of load.seconds) w.scheduled = 10;
    load.seconds.push({ ...load.seconds[1]!, t: 2, completed: 10, scheduled: 0 });
    load.overall.durationS = 2;
    for (const st of load.stages) if (!st.excluded) st.durationS = 2;
    const tp = target(computeVerdict(input({ load })).targets, 'throughput');
    expect(tp).toMatchObject({ measured: 5, pass: false });
  });

  it('reports the run second each missed target first broke, from the first non-excluded window', () => {
    const load = loadResult([
      BAD_WARMUP, // t 0
      { completed: 10, latMs: fast(10) }, // t 1: fine
      { completed: 10, latMs: [...fast(9), 3000] }, // t 2: avg 309 ms, p99 3 s
      { completed: 5, errors: 5, latMs: fast(10) }, // t 3: 5 completed/s, half failed
      { completed: 10, latMs: fast(10, 200) }, // t 4: slow on average
    ]);
    const v = computeVerdict(input({ load, loadStartT: 100 }));
    expect(v.pass).toBe(false);
    expect(target(v.targets, 'avg_latency')).toMatchObject({ pass: false, firstBrokeAtS: 102 });
    expect(target(v.targets, 'p99_latency')).toMatchObject({ pass: false, firstBrokeAtS: 102 });
    expect(target(v.targets, 'throughput')).toMatchObject({ pass: false, firstBrokeAtS: 103 });
    expect(target(v.targets, 'error_rate')).toMatchObject({ pass: false, firstBrokeAtS: 103 });
    expect(target(v.targets, 'error_rate').measured).toBeCloseTo(5 / 40, 6);
    // The memory targets passed: no firstBrokeAtS on a pass.
    expect(target(v.targets, 'free_memory')).not.toHaveProperty('firstBrokeAtS');
  });

  it('counts drops as failures for the error rate', () => {
    const load = loadResult([{ completed: 8, dropped: 2, latMs: fast(10) }, { completed: 10, latMs: fast(10) }]);
    const v = computeVerdict(input({ load, loadStartT: 0 }));
    expect(target(v.targets, 'error_rate')).toMatchObject({ measured: 0.1, pass: true });
    const strict = computeVerdict(input({ load, loadStartT: 0, targets: { ...TARGETS, maxErrorRate: 0.05 } }));
    expect(target(strict.targets, 'error_rate')).toMatchObject({ pass: false, firstBrokeAtS: 0 });
  });

  it('fails load targets as not measured when no request ended in a measured second', () => {
    const load = loadResult([BAD_WARMUP]);
    const v = computeVerdict(input({ load }));
    for (const name of ['avg_latency', 'throughput', 'p99_latency', 'error_rate']) {
      expect(target(v.targets, name), name).toMatchObject({ measured: null, pass: false, detail: 'not measured' });
      expect(target(v.targets, name).firstBrokeAtS, name).toBeUndefined();
    }
    expect(v.pass).toBe(false);
  });

  it('has a cache hit rate target only when the run asked for one', () => {
    expect(computeVerdict(input()).targets.some((t) => t.name === 'cache_hit_rate')).toBe(false);
    expect(target(computeVerdict(input({ cacheHitRate: 0.5 })).targets, 'cache_hit_rate')).toMatchObject({ pass: true, limit: 0.5, comparator: '>=' });
    const low = computeVerdict(input({ cacheHitRate: 0.4 }));
    expect(target(low.targets, 'cache_hit_rate').pass).toBe(false);
    expect(low.pass).toBe(false);

    const none = computeVerdict(input({ cacheHitRate: null }));
    const c = target(none.targets, 'cache_hit_rate');
    expect(c.measured).toBeNull();
    expect(c.pass).toBe(false);
    expect(c.detail).toBeTruthy();
    expect(none.pass).toBe(false);
  });

  it('omits memory targets when there is no cap (--target runs)', () => {
    const v = computeVerdict(input({ capBytes: 0, memory: [], oomKills: [{ t: 3, service: 'x', workingSetBytes: 1 }] }));
    expect(v.targets.map((t) => t.name)).toEqual(['avg_latency', 'throughput', 'p99_latency', 'error_rate']);
    expect(v.pass).toBe(true);
  });

  it('measures free memory as cap minus the peak working set and says when it first went below', () => {
    const memory = [
      { t: 5, workingSet: 1 * GB },
      { t: 6, workingSet: 3.5 * GB },
      { t: 7, workingSet: 3.4 * GB },
    ];
    const v = computeVerdict(input({ memory }));
    expect(target(v.targets, 'free_memory')).toMatchObject({ measured: 0.5 * GB, limit: 800 * MB, pass: false, firstBrokeAtS: 6, unit: 'bytes' });

    const unmeasured = computeVerdict(input({ memory: [] }));
    expect(target(unmeasured.targets, 'free_memory')).toMatchObject({ measured: null, pass: false, detail: 'not measured' });
  });

  it('takes the peak of a long memory series (a soak run sampled often)', () => {
    // Spreading 300,000 readings into Math.max overflows the call stack.
    const memory = Array.from({ length: 300_000 }, (_, i) => ({ t: i / 10, workingSet: i === 123_456 ? 3 * GB : GB }));
    const v = computeVerdict(input({ memory }));
    expect(target(v.targets, 'free_memory').measured).toBe(1 * GB);
  });

  it('dates an OOM-kill miss at the kill that went over the allowance', () => {
    const kills: OomKillRecord[] = [
      { t: 10, service: 'postgres', workingSetBytes: GB },
      { t: 20, service: 'app', workingSetBytes: GB },
      { t: 30, service: 'app', workingSetBytes: GB },
    ];
    const none = computeVerdict(input({ oomKills: kills.slice(0, 1) }));
    expect(target(none.targets, 'oom_kills')).toMatchObject({ measured: 1, limit: 0, pass: false, firstBrokeAtS: 10 });

    const one = computeVerdict(input({ oomKills: kills, targets: { ...TARGETS, maxOomKills: 1 } }));
    const o = target(one.targets, 'oom_kills');
    expect(o).toMatchObject({ measured: 3, limit: 1, pass: false, firstBrokeAtS: 20 });
    expect(o.detail).toBe('postgres at 10s, app at 20s, app at 30s');
    expect(one.oomKills).toBe(kills);

    const allowed = computeVerdict(input({ oomKills: kills, targets: { ...TARGETS, maxOomKills: 3 } }));
    expect(target(allowed.targets, 'oom_kills').pass).toBe(true);
  });

  it('never passes an interrupted run, even when every target was met', () => {
    const v = computeVerdict(input({ interrupted: true }));
    expect(v.targets.every((t) => t.pass)).toBe(true);
    expect(v.pass).toBe(false);
    expect(v.interrupted).toBe(true);
  });

  it('judges memory only when there was no load', () => {
    const v = computeVerdict(input({ load: undefined, cacheHitRate: 0.9 }));
    expect(v.model).toBe('none');
    expect(v.targets.map((t) => t.name)).toEqual(['oom_kills', 'free_memory']);
    expect(v.pass).toBe(true);
  });

  it('keeps the load model', () => {
    const load = loadResult([{ completed: 10, latMs: fast(10) }], 'closed');
    expect(computeVerdict(input({ load })).model).toBe('closed');
  });
});
