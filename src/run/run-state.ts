/**
 * RunState is what every reporter sees. These functions fold events, memory samples and load windows into it;
 * they compute nothing a reporter would need to compute again.
 */
import type { MemoryStats } from '../cgroups/cgroup.ts';
import type { SecondWindow } from '../load/index.ts';
import type { Stack } from '../profile/stack.ts';
import type { RunEvent, RunState, ServiceState } from '../model/index.ts';

const HISTORY = 120;
const EVENTS_KEPT = 50;

export function initialState(opts: {
  runId: string;
  stack: Stack;
  driver: 'process' | 'docker';
  cgroupVersion: 1 | 2;
  startedAt: number;
}): RunState {
  const { stack } = opts;
  return {
    runId: opts.runId,
    profile: stack.name,
    driver: opts.driver,
    cgroupVersion: opts.cgroupVersion,
    capBytes: stack.capBytes,
    swapBytes: stack.swapBytes,
    startedAt: opts.startedAt,
    phase: 'starting',
    elapsedS: 0,
    services: stack.services.map(
      (s): ServiceState => ({
        name: s.name,
        kind: s.launch ? s.kind : 'unavailable',
        status: s.launch ? 'waiting' : 'unavailable',
        reason: s.unavailableReason,
        budgetBytes: s.budgetBytes,
        memory: { workingSet: 0, rss: 0, cache: 0, swap: 0, peak: 0, oomKills: 0 },
        peakWorkingSet: 0,
        restarts: 0,
        oomKills: 0,
      }),
    ),
    stack: { workingSet: 0, usage: 0, swap: 0, peakWorkingSet: 0, limit: stack.capBytes, oomKills: 0, history: [] },
    safetyLineBytes: stack.safetyLineBytes,
    targets: stack.targets,
    events: [],
  };
}

export function applyEvent(state: RunState, e: RunEvent): void {
  state.events.push(e);
  if (state.events.length > EVENTS_KEPT) state.events.shift();
  const svc = e.service ? state.services.find((s) => s.name === e.service) : undefined;
  if (!svc) {
    // A kill of something that is not a service (a fault's memory hog) is still a kill inside the stack's cap.
    if (e.kind === 'oom-kill') state.stack.oomKills += 1;
    return;
  }
  switch (e.kind) {
    case 'service-start':
      svc.status = 'starting';
      svc.pid = e.pid;
      break;
    case 'service-ready':
      svc.status = 'ready';
      svc.pid = e.pid ?? svc.pid;
      break;
    case 'service-restart':
      svc.status = 'restarting';
      svc.restarts += 1;
      svc.pid = e.pid;
      break;
    case 'oom-kill':
      svc.status = 'oom-killed';
      svc.oomKills += 1;
      state.stack.oomKills += 1;
      break;
    case 'service-exit':
      // The exit that follows an oom-kill event keeps 'oom-killed': the monitor may have claimed the kill from the
      // cgroup counter first, and then the driver's exit line does not say OOM.
      if (svc.status !== 'oom-killed') svc.status = e.oomKilled ? 'oom-killed' : 'exited';
      break;
    case 'service-unavailable':
      svc.status = 'unavailable';
      svc.reason = e.detail;
      break;
  }
}

export function applyMemory(state: RunState, stack: MemoryStats, services: Map<string, MemoryStats>, psi?: { some10: number; full10: number }): void {
  state.stack.workingSet = stack.workingSet;
  state.stack.usage = stack.usage;
  state.stack.swap = stack.swap;
  state.stack.peakWorkingSet = Math.max(state.stack.peakWorkingSet, stack.workingSet);
  state.stack.peakPageCache = Math.max(state.stack.peakPageCache ?? 0, stack.cache);
  state.stack.history.push(stack.workingSet);
  if (state.stack.history.length > HISTORY) state.stack.history.shift();
  if (psi) {
    state.stack.psiSome10 = psi.some10;
    state.stack.psiFull10 = psi.full10;
  }
  for (const svc of state.services) {
    const m = services.get(svc.name);
    if (!m) continue;
    svc.memory = { workingSet: m.workingSet, rss: m.rss, cache: m.cache, swap: m.swap, peak: m.peak, oomKills: m.oomKills };
    svc.peakWorkingSet = Math.max(svc.peakWorkingSet, m.workingSet);
  }
}

/** Folds one second of load in: the last second's figures, running totals, and the judged totals the verdict counts. */
export function applyLoadWindow(state: RunState, w: SecondWindow, model: 'open' | 'closed'): void {
  const prev = state.load;
  const ended = w.completed + w.errors + w.dropped;
  const failed = w.errors + w.dropped;
  const judged =
    w.excluded
      ? prev?.judgedRequests === undefined
        ? {}
        : { judgedRequests: prev.judgedRequests, judgedFailures: prev.judgedFailures ?? 0 }
      : { judgedRequests: (prev?.judgedRequests ?? 0) + ended, judgedFailures: (prev?.judgedFailures ?? 0) + failed };
  const rpsHistory = [...(prev?.rpsHistory ?? []), w.completed].slice(-HISTORY);
  const p99History = [...(prev?.p99History ?? []), w.latency.p99Ms].slice(-HISTORY);
  state.load = {
    model,
    scheduledRps: w.scheduled,
    completedRps: w.completed,
    avgMs: w.latency.avgMs,
    p50Ms: w.latency.p50Ms,
    p99Ms: w.latency.p99Ms,
    maxMs: w.latency.maxMs,
    errors: w.errors,
    dropped: w.dropped,
    inFlight: w.inFlight,
    totalRequests: (prev?.totalRequests ?? 0) + ended,
    totalErrors: (prev?.totalErrors ?? 0) + failed,
    ...judged,
    rpsHistory,
    p99History,
  };
}
