/**
 * `--json`: one JSON object per line on stdout, for scripts: `start`, `event`, `status` (every
 * `statusIntervalS` of run time), `end` (with the verdict). Sizes in bytes, times in ms or s as
 * named; an unlimited figure (Infinity) is written as null.
 */
import type { Reporter, RunEvent, RunState } from '../../model/index.ts';
import { flushSink, type TextSink } from './sink.ts';

export interface JsonReporterOptions {
  stdout: TextSink;
  statusIntervalS?: number;
}

function services(s: RunState) {
  return s.services.map((x) => ({
    name: x.name,
    kind: x.kind,
    status: x.status,
    pid: x.pid,
    containerId: x.containerId,
    version: x.version,
    reason: x.reason,
    budgetBytes: x.budgetBytes,
    ...x.memory,
    peakWorkingSet: x.peakWorkingSet,
    restarts: x.restarts,
    oomKills: x.oomKills,
  }));
}

/** The state without its histories (the status lines are the history). */
export function statusRecord(s: RunState) {
  const { history: _history, ...stack } = s.stack;
  const load = s.load ? (({ rpsHistory: _r, p99History: _p, ...rest }) => rest)(s.load) : undefined;
  return {
    type: 'status' as const,
    t: s.elapsedS,
    phase: s.phase,
    timeLeftS: s.timeLeftS,
    stage: s.stage,
    stack,
    load,
    services: services(s),
  };
}

export function createJsonReporter(opts: JsonReporterOptions): Reporter {
  const interval = opts.statusIntervalS ?? 1;
  const line = (obj: unknown) => opts.stdout.write(JSON.stringify(obj) + '\n');
  let lastStatusAt = -Infinity;
  let ended = false;
  return {
    onStart(s) {
      line({
        type: 'start',
        runId: s.runId,
        profile: s.profile,
        driver: s.driver,
        cgroupVersion: s.cgroupVersion,
        capBytes: s.capBytes,
        swapBytes: s.swapBytes,
        safetyLineBytes: s.safetyLineBytes,
        startedAt: s.startedAt,
        targets: s.targets,
        services: services(s),
      });
    },
    onEvent(e: RunEvent) {
      line({ type: 'event', ...e });
    },
    onTick(s) {
      if (s.elapsedS - lastStatusAt < interval) return;
      lastStatusAt = s.elapsedS;
      line(statusRecord(s));
    },
    onEnd(s) {
      if (ended) return;
      ended = true;
      const { history: _history, ...stack } = s.stack;
      line({
        type: 'end',
        runId: s.runId,
        profile: s.profile,
        elapsedS: s.elapsedS,
        pass: s.verdict?.pass ?? null,
        verdict: s.verdict ?? null,
        stack,
        services: services(s),
      });
    },
    async close() {
      await flushSink(opts.stdout);
    },
  };
}
