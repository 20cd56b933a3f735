import { describe, expect, it } from 'vitest';
import type { SecondWindow } from '../load/index.ts';
import type { Targets } from '../profile/stack.ts';
import type { RunEvent } from '../model/index.ts';
import { faultRecords, secondHolds } from './fault-record.ts';

const targets: Targets = { avgLatencyMs: 60, minRps: 300, p99Ms: 1000, maxOomKills: 0, minFreeBytes: 0, minCacheHitRate: 0.5, maxErrorRate: 0.01 };

function second(t: number, o: Partial<{ completed: number; errors: number; avg: number; p99: number }> = {}): SecondWindow {
  const completed = o.completed ?? 300;
  return {
    t, stage: 's', stageIndex: 0, excluded: false, scheduled: 300, sent: 300, completed, dropped: 0, errors: o.errors ?? 0, timeouts: 0, inFlight: 0, bytes: 0,
    latency: { avgMs: o.avg ?? 5, p50Ms: 4, p95Ms: 10, p99Ms: o.p99 ?? 20, maxMs: 30 },
    histogram: undefined as never,
  };
}

const T0 = 1_000_000;
const at = (runS: number) => T0 + runS * 1000;

describe('secondHolds', () => {
  it('fails on each per-second target', () => {
    expect(secondHolds(second(0), targets)).toBe(true);
    expect(secondHolds(second(0, { completed: 200 }), targets)).toBe(false);
    expect(secondHolds(second(0, { avg: 61 }), targets)).toBe(false);
    expect(secondHolds(second(0, { p99: 1000 }), targets)).toBe(false);
    expect(secondHolds(second(0, { completed: 297, errors: 4 }), targets)).toBe(false);
  });
});

describe('faultRecords', () => {
  // Load starts at run second 10; 60 load seconds. Fault: kill at run second 30; seconds 30-34 broken.
  const broken = new Set([20, 21, 22, 23, 24]);
  const seconds = Array.from({ length: 60 }, (_, i) => (broken.has(i) ? second(i, { completed: 100, errors: 50, p99: 3000 }) : second(i)));
  const events: RunEvent[] = [
    { at: at(30), t: 30, kind: 'service-exit', service: 'postgres', detail: 'killed by SIGKILL' },
    { at: at(30), t: 30, kind: 'service-restart', service: 'postgres', detail: 'restarted' },
    { at: at(60), t: 60, kind: 'oom-kill', service: 'app', pid: 7, detail: 'later' },
  ];
  const memory = Array.from({ length: 80 }, (_, t) => ({ t, workingSet: (t === 31 ? 900 : 500) * 1024 * 1024 }));
  const base = { seconds, loadStartT: 10, runStartedAt: T0, targets, memory, events };

  it('recovery: from the end until 10 s of targets held; errors, restarts and memory of the window', () => {
    const [r] = faultRecords({ ...base, windows: [{ text: 'kill postgres@20s', kind: 'kill', service: 'postgres', how: 'SIGKILL', startAt: at(30), endAt: at(30) }], lost: [] });
    expect(r).toMatchObject({ startT: 30, endT: 30, recoveredAtT: 35, recoveryS: 5, errorsDuring: 250, requestsDuring: 750, worstP99Ms: 3000, restarts: 1, oomKills: 0, lostWrites: 0, pass: true });
    expect(r!.peakWorkingSetBytes).toBe(900 * 1024 * 1024);
    expect(r!.seconds[0]).toMatchObject({ t: 25, targetsHeld: true });
    expect(r!.seconds.find((s) => s.t === 31)).toMatchObject({ targetsHeld: false, errors: 50, workingSetMb: 900 });
  });

  it('a lost write in its window fails it', () => {
    const [r] = faultRecords({ ...base, windows: [{ text: 'kill postgres@20s', kind: 'kill', service: 'postgres', how: '', startAt: at(30), endAt: at(30) }], lost: [{ table: 'messages', column: 'id', id: '9', at: at(31) }] });
    expect(r).toMatchObject({ lostWrites: 1, pass: false });
  });

  it('never recovered, or too little load left to say', () => {
    const bad = seconds.map((w) => (w.t >= 20 ? second(w.t, { errors: 100 }) : w));
    const [never] = faultRecords({ ...base, seconds: bad, windows: [{ text: 'pause redis@20s+5s', kind: 'pause', service: 'redis', how: '', startAt: at(30), endAt: at(35) }], lost: null });
    expect(never).toMatchObject({ recoveredAtT: null, recoveryS: null, pass: false, lostWrites: null });
    expect(never!.note).toMatch(/not recovered/);
    const [late] = faultRecords({ ...base, windows: [{ text: 'kill app@55s', kind: 'kill', service: 'app', how: '', startAt: at(65), endAt: at(65) }], lost: null });
    expect(late!.note).toMatch(/not judged/);
    expect(late!.pass).toBe(false);
  });

  it('a service that never became ready again is the reason given', () => {
    const bad = seconds.map((w) => (w.t >= 20 ? second(w.t, { errors: 100 }) : w));
    const [r] = faultRecords({ ...base, seconds: bad, windows: [{ text: 'kill postgres@20s', kind: 'kill', service: 'postgres', how: '', startAt: at(30), endAt: at(30) }], lost: null });
    expect(r!.note).toBe('postgres never became ready again before the load ended');
    const ready: RunEvent = { at: at(33), t: 33, kind: 'service-ready', service: 'postgres', detail: 'ready' };
    const [r2] = faultRecords({ ...base, events: [...events, ready], seconds: bad, windows: [{ text: 'kill postgres@20s', kind: 'kill', service: 'postgres', how: '', startAt: at(30), endAt: at(30) }], lost: null });
    expect(r2!.note).toMatch(/not recovered/);
  });

  it('a fault that could not be injected fails and says why', () => {
    const [r] = faultRecords({ ...base, windows: [{ text: 'kill x@1s', kind: 'kill', service: 'x', how: 'not injected', startAt: at(30), endAt: at(30), error: 'x is not running' }], lost: [] });
    expect(r).toMatchObject({ pass: false, note: 'the fault could not be injected: x is not running' });
  });
});
