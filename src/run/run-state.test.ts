import { describe, expect, it } from 'vitest';
import type { MemoryStats } from '../cgroups/cgroup.ts';
import { newHistogram, summarize } from '../load/latency-histogram.ts';
import type { SecondWindow } from '../load/types.ts';
import { MB, testService, testStack } from '../../test/helpers/stack-model.ts';
import type { RunEvent, RunEventKind } from '../model/index.ts';
import { applyEvent, applyLoadWindow, applyMemory, initialState } from './run-state.ts';

const stack = testStack([
  testService('postgres', { budgetBytes: 1024 * MB }),
  testService('app'),
  testService('kibana', { launch: undefined, unavailableReason: 'not installed' }),
]);

const fresh = () => initialState({ runId: 'r', stack, driver: 'process', cgroupVersion: 1, startedAt: 0 });

let clock = 0;
function ev(kind: RunEventKind, service?: string, detail = '', pid?: number): RunEvent {
  clock += 1;
  return { at: clock * 1000, t: clock, kind, service, detail, pid };
}

const svc = (s: ReturnType<typeof fresh>, name: string) => s.services.find((x) => x.name === name)!;

function stats(workingSet: number, over: Partial<MemoryStats> = {}): MemoryStats {
  return { usage: workingSet, workingSet, rss: workingSet, cache: 0, inactiveFile: 0, activeFile: 0, swap: 0, peak: workingSet, failcnt: 0, oomKills: 0, limit: Infinity, ...over };
}

describe('initialState', () => {
  it('starts services waiting (not started yet), or unavailable with their reason', () => {
    const s = fresh();
    expect(svc(s, 'postgres')).toMatchObject({ status: 'waiting', kind: 'real', budgetBytes: 1024 * MB, restarts: 0, oomKills: 0 });
    expect(svc(s, 'kibana')).toMatchObject({ status: 'unavailable', kind: 'unavailable', reason: 'not installed' });
    expect(s.stack).toMatchObject({ limit: 4096 * MB, oomKills: 0, history: [] });
    expect(s.phase).toBe('starting');
  });
});

describe('applyEvent', () => {
  it('follows a service through start, ready, restart', () => {
    const s = fresh();
    applyEvent(s, ev('service-start', 'postgres', '', 11));
    expect(svc(s, 'postgres')).toMatchObject({ status: 'starting', pid: 11 });
    applyEvent(s, ev('service-ready', 'postgres'));
    expect(svc(s, 'postgres')).toMatchObject({ status: 'ready', pid: 11 });
    applyEvent(s, ev('service-exit', 'postgres', 'exit code 1'));
    expect(svc(s, 'postgres').status).toBe('exited');
    applyEvent(s, ev('service-restart', 'postgres', 'restarted by policy always', 12));
    expect(svc(s, 'postgres')).toMatchObject({ status: 'restarting', restarts: 1, pid: 12 });
    applyEvent(s, ev('service-restart', 'postgres', '', 13));
    expect(svc(s, 'postgres').restarts).toBe(2);
    // Other services untouched.
    expect(svc(s, 'app')).toMatchObject({ status: 'waiting', restarts: 0 });
  });

  it('counts OOM kills on the service and on the stack', () => {
    const s = fresh();
    applyEvent(s, ev('service-ready', 'app'));
    applyEvent(s, ev('oom-kill', 'app', 'kernel: Killed process 5'));
    expect(svc(s, 'app')).toMatchObject({ status: 'oom-killed', oomKills: 1 });
    applyEvent(s, ev('oom-kill', 'postgres', 'kernel: Killed process 6'));
    expect(svc(s, 'postgres').oomKills).toBe(1);
    expect(s.stack.oomKills).toBe(2);
  });

  it('marks an exit the driver flagged oomKilled as oom-killed (the field, not the wording)', () => {
    const s = fresh();
    applyEvent(s, ev('service-ready', 'app'));
    applyEvent(s, { ...ev('service-exit', 'app', 'killed by SIGKILL'), oomKilled: true });
    expect(svc(s, 'app').status).toBe('oom-killed');
    applyEvent(s, ev('service-restart', 'app'));
    // Text that mentions OOM does not make an exit an OOM kill.
    applyEvent(s, ev('service-exit', 'app', 'exit code 1: OOM-guard refused to start'));
    expect(svc(s, 'app').status).toBe('exited');
  });

  it('keeps oom-killed when the exit after the kill does not say OOM', () => {
    // The monitor reported the kill first; the driver's exit line then only says SIGKILL.
    const s = fresh();
    applyEvent(s, ev('service-ready', 'app'));
    applyEvent(s, ev('oom-kill', 'app', 'kernel: Killed process 5'));
    applyEvent(s, ev('service-exit', 'app', 'killed by SIGKILL'));
    expect(svc(s, 'app').status).toBe('oom-killed');
    // A restart and a later plain exit are a new story.
    applyEvent(s, ev('service-restart', 'app'));
    applyEvent(s, ev('service-exit', 'app', 'exit code 1'));
    expect(svc(s, 'app').status).toBe('exited');
  });

  it('records unavailability with its reason', () => {
    const s = fresh();
    applyEvent(s, ev('service-unavailable', 'app', 'port 8000 in use'));
    expect(svc(s, 'app')).toMatchObject({ status: 'unavailable', reason: 'port 8000 in use' });
  });

  it('keeps the newest 50 events, including ones about no service', () => {
    const s = fresh();
    const all: RunEvent[] = [];
    for (let i = 0; i < 60; i++) {
      const e = ev(i % 2 ? 'info' : 'service-start', i % 2 ? undefined : 'unknown-service', `event ${i}`);
      all.push(e);
      applyEvent(s, e);
    }
    expect(s.events).toHaveLength(50);
    expect(s.events).toEqual(all.slice(10));
    expect(s.events.at(-1)!.detail).toBe('event 59');
  });
});

describe('applyMemory', () => {
  it('keeps the last reading and the peak, per service and for the stack', () => {
    const s = fresh();
    applyMemory(s, stats(1000 * MB, { usage: 1200 * MB, swap: 5 }), new Map([['postgres', stats(300 * MB, { rss: 250 * MB, cache: 60 * MB, oomKills: 2 })]]), { some10: 1.5, full10: 0.5 });
    applyMemory(s, stats(800 * MB), new Map([['postgres', stats(200 * MB)]]));
    expect(s.stack).toMatchObject({ workingSet: 800 * MB, usage: 800 * MB, swap: 0, peakWorkingSet: 1000 * MB, psiSome10: 1.5, psiFull10: 0.5 });
    expect(s.stack.history).toEqual([1000 * MB, 800 * MB]);
    expect(svc(s, 'postgres').memory.workingSet).toBe(200 * MB);
    expect(svc(s, 'postgres').peakWorkingSet).toBe(300 * MB);
    // A service with no reading keeps its zeros.
    expect(svc(s, 'app').memory.workingSet).toBe(0);
  });

  it('keeps at most 120 seconds of stack history, newest last', () => {
    const s = fresh();
    for (let i = 1; i <= 130; i++) applyMemory(s, stats(i), new Map());
    expect(s.stack.history).toHaveLength(120);
    expect(s.stack.history[0]).toBe(11);
    expect(s.stack.history.at(-1)).toBe(130);
    expect(s.stack.peakWorkingSet).toBe(130);
  });
});

describe('applyLoadWindow', () => {
  function win(t: number, completed: number, latUs: number, excluded = false): SecondWindow {
    const h = newHistogram();
    for (let i = 0; i < completed; i++) h.recordValue(latUs);
    return {
      t,
      stage: 'steady',
      stageIndex: 0,
      excluded,
      scheduled: completed + 1,
      sent: completed,
      completed,
      dropped: 1,
      errors: 2,
      timeouts: 0,
      inFlight: 3,
      bytes: 0,
      latency: summarize(h),
      histogram: h,
    };
  }

  it('shows the last window and keeps 120 s of rate and p99 history', () => {
    const s = fresh();
    for (let t = 0; t < 125; t++) applyLoadWindow(s, win(t, t + 1, 1000 + t), 'open');
    const l = s.load!;
    // Ended each second: t+1 completed, 2 errors, 1 dropped; summed over t = 0..124.
    const ended = (125 * 126) / 2 + 125 * 3;
    expect(l).toMatchObject({ model: 'open', scheduledRps: 126, completedRps: 125, errors: 2, dropped: 1, inFlight: 3, totalRequests: ended, totalErrors: 375 });
    expect(l.p99Ms).toBeCloseTo(1.124, 3);
    expect(l.rpsHistory).toHaveLength(120);
    expect(l.rpsHistory[0]).toBe(6);
    expect(l.rpsHistory.at(-1)).toBe(125);
    expect(l.p99History).toHaveLength(120);
    expect(l.p99History.at(-1)).toBe(l.p99Ms);
  });

  it('keeps judged totals apart from the warm-up (what the live error rate and the verdict count)', () => {
    const s = fresh();
    applyLoadWindow(s, win(0, 10, 1000, true), 'open');
    expect(s.load?.judgedRequests).toBeUndefined();
    applyLoadWindow(s, win(1, 20, 1000), 'open');
    applyLoadWindow(s, win(2, 30, 1000, true), 'open');
    expect(s.load).toMatchObject({ totalRequests: 13 + 23 + 33, totalErrors: 9, judgedRequests: 23, judgedFailures: 3 });
  });
});

describe('an OOM kill of something that is not a service', () => {
  it('counts in the stack total (a fault memory hog inside the cap)', () => {
    const state = fresh();
    applyEvent(state, { at: 0, t: 0, kind: 'oom-kill', service: 'fault-hog-1', pid: 9, detail: 'kernel' });
    expect(state.stack.oomKills).toBe(1);
    expect(state.services.every((s) => s.oomKills === 0)).toBe(true);
  });
});
