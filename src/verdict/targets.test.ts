import { describe, expect, it } from 'vitest';
import { loadResult, type WindowSpec } from '../../test/helpers/load-result.ts';
import { testService, testStack } from '../../test/helpers/stack-model.ts';
import type { Targets } from '../profile/stack.ts';
import { liveChecks } from '../report/reporters/live-checks.ts';
import { applyLoadWindow, applyMemory, initialState } from '../run/run-state.ts';
import { secondSpan } from './spans.ts';
import { checkMoment, firstBroke, judge, meets, missedText, notJudged, TARGETS, targetDef, type Span, type TargetDef } from './targets.ts';
import { computeVerdict } from './verdict.ts';

const MB = 1024 * 1024;
const GB = 1024 * MB;

const TG: Targets = {
  avgLatencyMs: 60,
  minRps: 100,
  p99Ms: 1000,
  maxOomKills: 0,
  minFreeBytes: 800 * MB,
  minCacheHitRate: 0.5,
  maxErrorRate: 0.1,
  growthHorizonS: 7 * 86400,
};

const load = (over: Partial<NonNullable<Span['load']>> = {}): Span => ({
  load: { requests: 100, failed: 0, okRps: 100, offeredRps: 100, avgMs: 10, p99Ms: 50, ...over },
});

/** Per entry: a span that meets it, one that misses it, and one it does not read. */
const CASES: Record<string, { pass: Span; fail: Span; failValue: number; absent: Span }> = {
  avg_latency: { pass: load({ avgMs: 60 }), fail: load({ avgMs: 61 }), failValue: 61, absent: { oomKills: 0 } },
  throughput: { pass: load({ okRps: 99.5, seconds: 60 }), fail: load({ okRps: 99.4, seconds: 60 }), failValue: 99, absent: { oomKills: 0 } },
  p99_latency: { pass: load({ p99Ms: 999 }), fail: load({ p99Ms: 1000 }), failValue: 1000, absent: { oomKills: 0 } },
  error_rate: { pass: load({ failed: 10 }), fail: load({ failed: 11 }), failValue: 0.11, absent: { oomKills: 0 } },
  cache_hit_rate: { pass: { cacheHitRate: 0.5 }, fail: { cacheHitRate: 0.49 }, failValue: 0.49, absent: load() },
  growth: {
    pass: { memory: { capBytes: 4 * GB }, growth: { judgedS: 600, projectedBytes: 4 * GB } },
    fail: { memory: { capBytes: 4 * GB }, growth: { judgedS: 600, projectedBytes: 4 * GB + 1 } },
    failValue: -1,
    absent: load(),
  },
  oom_kills: { pass: { oomKills: 0 }, fail: { oomKills: 1 }, failValue: 1, absent: load() },
  free_memory: {
    pass: { memory: { capBytes: 4 * GB, peakWorkingSet: 4 * GB - 800 * MB } },
    fail: { memory: { capBytes: 4 * GB, peakWorkingSet: 4 * GB - 799 * MB } },
    failValue: 799 * MB,
    absent: load(),
  },
  lost_writes: {
    pass: { writes: { acknowledged: 10, found: 10, lost: 0, lostIds: [] } },
    fail: { writes: { acknowledged: 10, found: 9, lost: 1, lostIds: ['7'] } },
    failValue: 1,
    absent: load(),
  },
  faults_recovered: {
    pass: { faults: [{ fault: 'kill postgres@20s', recovered: true, pass: true }] },
    fail: { faults: [{ fault: 'kill postgres@20s', recovered: true, pass: true }, { fault: 'pause redis@30s+10s', recovered: false, pass: false, note: 'not recovered' }] },
    failValue: 1,
    absent: load(),
  },
};

describe('the table of targets', () => {
  it('has a test case for every entry (adding a target means adding its case here)', () => {
    expect(TARGETS.map((d) => d.name).sort()).toEqual(Object.keys(CASES).sort());
    expect(new Set(TARGETS.map((d) => d.name)).size).toBe(TARGETS.length);
  });

  for (const def of TARGETS) {
    describe(def.name, () => {
      const c = CASES[def.name];
      it('passes at its limit, fails just past it, and has no row where it reads nothing', () => {
        expect(judge(def, c.pass, TG)).toMatchObject({ name: def.name, pass: true, limit: def.limit(TG), comparator: def.comparator, unit: def.unit });
        const miss = judge(def, c.fail, TG)!;
        expect(miss.pass).toBe(false);
        expect(miss.measured).toBeCloseTo(c.failValue, 6);
        expect(judge(def, c.absent, TG)).toBeUndefined();
      });
      it('gives a target-missed line naming the figure and the limit', () => {
        const [m] = checkMoment(c.fail, TG, [def]);
        expect(m.pass).toBe(false);
        const text = missedText(m, c.fail, 'in second 7 of the run');
        expect(text).toMatch(/target (<=|>=|<) /);
        expect(text.length).toBeGreaterThan(15);
      });
    });
  }

  it('fails a run whose acknowledged writes could not be looked up, saying why', () => {
    const r = judge(targetDef('lost_writes'), { writes: { acknowledged: 5, found: 0, lost: 0, lostIds: [], notChecked: 'the database did not answer' } }, TG)!;
    expect(r).toMatchObject({ pass: false, measured: null, detail: 'the database did not answer' });
    expect(judge(targetDef('lost_writes'), { writes: { acknowledged: 9, found: 8, lost: 1, lostIds: ['41'] } }, TG)!.detail).toBe('8 of 9 found in the database; lost ids: 41');
  });

  it('compares with each comparator, and never passes a figure that is not a number', () => {
    expect([meets(1, '<=', 1), meets(1, '<', 1), meets(1, '>=', 1), meets(0.9, '>=', 1)]).toEqual([true, false, true, false]);
    expect(meets(Number.NaN, '<=', 1)).toBe(false);
    expect(meets(Number.POSITIVE_INFINITY, '>=', 1)).toBe(false);
  });

  it('fails a target that applies but measured nothing, and leaves it out of a single second', () => {
    const span = load({ requests: 0, okRps: 0, offeredRps: 0, avgMs: null, p99Ms: null });
    expect(judge(targetDef('avg_latency'), span, TG)).toMatchObject({ pass: false, measured: null, detail: 'not measured' });
    expect(checkMoment(span, TG).map((c) => c.def.name)).toEqual([]);
  });

  it('says "not tested" when the judged stages offered less than the target, never pass, whatever completed', () => {
    const r = judge(targetDef('throughput'), load({ offeredRps: 290, okRps: 290, seconds: 60 }), { ...TG, minRps: 300 })!;
    expect(r).toMatchObject({ pass: false, measured: null });
    expect(r.notJudged).toMatch(/^not tested: the judged stages offered 290 req\/s, below the 300 req\/s target/);
    // At the target (an arrival either side of a second's edge): judged.
    expect(judge(targetDef('throughput'), load({ offeredRps: 299, okRps: 299, seconds: 60 }), { ...TG, minRps: 300 })).toMatchObject({ pass: false, measured: 299 });
  });

  it('leaves one second a request or two of jitter; the judged run none beyond rounding', () => {
    expect(checkMoment(load({ okRps: 99, offeredRps: 100, seconds: 1 }), TG, [targetDef('throughput')])[0]!.pass).toBe(true);
    expect(checkMoment(load({ okRps: 97, offeredRps: 100, seconds: 1 }), TG, [targetDef('throughput')])[0]!.pass).toBe(false);
    expect(judge(targetDef('throughput'), load({ okRps: 99, seconds: 60 }), TG)!.pass).toBe(false);
  });

  it('judges growth only when the judged time is long enough, else "not judged"; no horizon, no row', () => {
    const short = judge(targetDef('growth'), { memory: { capBytes: 4 * GB }, growth: { judgedS: 300, projectedBytes: GB } }, TG)!;
    expect(short).toMatchObject({ pass: false, measured: null });
    expect(short.notJudged).toMatch(/^5 min judged; a growth trend needs at least 10 min/);
    expect(judge(targetDef('growth'), { memory: { capBytes: 4 * GB }, growth: { judgedS: 900, projectedBytes: GB } }, { ...TG, growthHorizonS: undefined })).toBeUndefined();
  });

  it('judges growth on the slope\'s 95 % interval: pass if its high end stays under the cap, fail if its low end crosses, else not judged', () => {
    const at = (low: number, high: number) => judge(targetDef('growth'), { memory: { capBytes: 4 * GB }, growth: { judgedS: 600, lowBytes: low, projectedBytes: (low + high) / 2, highBytes: high, slopeMbPerMin: 0.3, halfWidthMbPerMin: 0.2 } }, TG)!;
    expect(at(2 * GB, 3 * GB)).toMatchObject({ pass: true, measured: GB });
    expect(at(4 * GB + 10, 5 * GB)).toMatchObject({ pass: false, measured: -10 });
    const between = at(3 * GB, 5 * GB);
    expect(between).toMatchObject({ pass: false, measured: null });
    expect(between.notJudged).toBe('held memory +0.30 ± 0.20 MB/min (95 %): the cap is reached within 7 days at the interval\'s high end, not at its low end; a longer soak narrows it');
  });

  it('counts a second in which nothing completed as a throughput miss (a stall)', () => {
    const stalled = load({ requests: 0, okRps: 0, offeredRps: 100, avgMs: null, p99Ms: null });
    expect(checkMoment(stalled, TG).map((c) => [c.def.name, c.pass])).toEqual([['throughput', false]]);
  });

  it('reports a target that cannot fail in the run as not judged, with its reason, never as a pass', () => {
    const growth: TargetDef = {
      name: 'growth',
      label: 'memory growth',
      unit: 'bytes',
      comparator: '<=',
      limit: () => 0,
      measure: () => notJudged('the judged time is shorter than 10 minutes'),
    };
    expect(judge(growth, {}, TG)).toMatchObject({ pass: false, notJudged: 'the judged time is shorter than 10 minutes', measured: null });
    expect(checkMoment({}, TG, [growth])).toEqual([]);
    const v = computeVerdict({ targets: TG, capBytes: 0, loadStartT: 0, memory: [], oomKills: [], standins: [], interrupted: false, defs: [growth] });
    expect(v.pass).toBe(true); // nothing judged missed...
    expect(v.targets[0].pass).toBe(false); // ...and nothing shown as a pass
  });

  it('dates the first miss from the moments in time order', () => {
    const def = targetDef('free_memory');
    const at = (t: number, ws: number) => ({ t, span: { memory: { capBytes: 4 * GB, peakWorkingSet: ws } } });
    expect(firstBroke(def, [at(9, 3.5 * GB), at(3, 1 * GB), at(5, 3.9 * GB)], TG)).toBe(5);
  });

  it('adds a target as one entry: the verdict judges it with the rest', () => {
    const extra: TargetDef = { name: 'p50_twice', label: 'twice p50', unit: 'ms', comparator: '<', limit: () => 5, measure: (s) => (s.load ? (s.load.avgMs ?? 0) * 2 : undefined) };
    const v = computeVerdict({
      targets: TG,
      capBytes: 0,
      load: loadResult([{ completed: 200, latMs: Array(200).fill(10) }]),
      loadStartT: 0,
      memory: [],
      oomKills: [],
      standins: [],
      interrupted: false,
      defs: [...TARGETS, extra],
    });
    expect(v.targets.at(-1)).toMatchObject({ name: 'p50_twice', pass: false, firstBrokeAtS: 0 });
  });
});

describe('the live checks and the verdict', () => {
  /** Warm-up: every request fails and is slow; then a steady judged stretch that meets every target. */
  const BAD_WARMUP: WindowSpec[] = [
    { excluded: true, completed: 10, errors: 90, latMs: Array(100).fill(4000) },
    { excluded: true, completed: 50, errors: 50, latMs: Array(100).fill(2000) },
    ...Array.from({ length: 5 }, (): WindowSpec => ({ completed: 120, errors: 1, latMs: Array(121).fill(12) })),
  ];

  it('agree at the end of a run whose warm-up broke every target', () => {
    const result = loadResult(BAD_WARMUP);
    const stack = testStack([testService('app')]);
    const state = initialState({ runId: 'r', stack: { ...stack, targets: TG }, driver: 'process', cgroupVersion: 1, startedAt: 0 });
    applyMemory(state, { workingSet: 1 * GB } as never, new Map());
    for (const w of result.seconds) {
      state.stage = { name: w.stage, index: w.stageIndex, count: 2, startedAtS: 0, durationS: 1, excluded: w.excluded };
      applyLoadWindow(state, w, 'open');
    }
    // The warm-up's errors are in the totals, but not in what is judged.
    expect(state.load!.totalErrors).toBeGreaterThan(100);
    const verdict = computeVerdict({
      targets: TG,
      capBytes: 4 * GB,
      load: result,
      loadStartT: 0,
      memory: [{ t: 0, workingSet: 1 * GB }],
      oomKills: [],
      standins: [],
      interrupted: false,
    });
    expect(verdict.pass).toBe(true);
    const live = liveChecks(state);
    for (const r of verdict.targets) expect([r.name, live[r.name]?.pass]).toEqual([r.name, r.pass]);
    expect(live.error_rate?.value).toBeCloseTo(verdict.targets.find((t) => t.name === 'error_rate')!.measured!, 9);
  });

  it('agree that a judged second breaks a target: the live check, the missed event and the first-broke second', () => {
    const result = loadResult([...BAD_WARMUP, { completed: 20, errors: 80, latMs: Array(100).fill(3000) }]);
    const last = result.seconds.at(-1)!;
    const moment = checkMoment(secondSpan(last), TG).filter((c) => !c.pass).map((c) => c.def.name);
    const verdict = computeVerdict({ targets: TG, capBytes: 0, load: result, loadStartT: 10, memory: [], oomKills: [], standins: [], interrupted: false });
    for (const name of moment) expect(verdict.targets.find((t) => t.name === name)?.firstBrokeAtS ?? 10 + last.t).toBe(10 + last.t);
    expect(moment).toEqual(expect.arrayContaining(['avg_latency', 'throughput', 'p99_latency', 'error_rate']));
  });
});
