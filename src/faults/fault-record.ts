/**
 * What one fault did, from the run's own measurements: when it started and ended, how long until every
 * per-second target held again for 10 s in a row (time to recover), the errors, latency and memory of the
 * seconds around it, the restarts and OOM kills that followed it, and the acknowledged writes it lost.
 * Pure: the run gathers the inputs.
 */
import type { SecondWindow } from '../load/types.ts';
import type { Targets } from '../profile/stack.ts';
import type { RunEvent } from '../model/index.ts';
import type { AckedWrite, FaultRecord, FaultSecond } from '../model/index.ts';
import type { FaultKind } from './fault-spec.ts';
import { secondSpan } from '../verdict/spans.ts';
import { checkMoment } from '../verdict/targets.ts';

/** Seconds in a row every per-second target must hold for the stack to count as recovered. */
export const RECOVERED_AFTER_S = 10;
/** Seconds before the fault shown in its row of seconds. */
const BEFORE_S = 5;


export interface FaultWindow {
  text: string;
  kind: FaultKind;
  service?: string;
  how: string;
  /** ms since epoch */
  startAt: number;
  endAt: number;
  error?: string;
}

/**
 * Every per-second target of the table (verdict/targets.ts) holds in this second: the same check the
 * run's target-missed events and the live screen make.
 */
export function secondHolds(w: SecondWindow, tg: Targets): boolean {
  return checkMoment(secondSpan(w), tg).every((c) => c.pass);
}

export function faultRecords(input: {
  windows: FaultWindow[];
  seconds: SecondWindow[];
  loadStartT: number;
  runStartedAt: number;
  targets: Targets;
  memory: Array<{ t: number; workingSet: number }>;
  events: RunEvent[];
  /** Lost acknowledged writes (null: the check was not made or there were no acknowledged writes to check). */
  lost: AckedWrite[] | null;
}): FaultRecord[] {
  const { seconds, loadStartT, targets } = input;
  const t = (at: number) => Math.max(0, Math.floor((at - input.runStartedAt) / 1000));
  const byT = new Map(seconds.map((w) => [loadStartT + w.t, w]));
  const lastT = seconds.length ? loadStartT + seconds[seconds.length - 1]!.t : loadStartT;
  const sorted = [...input.windows].sort((a, b) => a.startAt - b.startAt);
  return sorted.map((f, i) => {
    const startT = t(f.startAt);
    const endT = Math.max(startT, t(f.endAt));
    let recoveredAtT: number | null = null;
    for (let s = endT; s + RECOVERED_AFTER_S - 1 <= lastT; s++) {
      let ok = true;
      for (let k = 0; k < RECOVERED_AFTER_S; k++) {
        const w = byT.get(s + k);
        if (!w || !secondHolds(w, targets)) {
          ok = false;
          s += k; // no start before the failing second can work
          break;
        }
      }
      if (ok) {
        recoveredAtT = s;
        break;
      }
    }
    // A service the fault took down that never answered its readiness check again: the clearest reason there is.
    const tookDown = f.service !== undefined && (f.kind === 'kill' || f.kind === 'stop' || f.kind === 'restart');
    const readyAgain = input.events.some((e) => e.kind === 'service-ready' && e.service === f.service && e.at >= f.startAt);
    const note =
      f.error !== undefined
        ? `the fault could not be injected: ${f.error}`
        : recoveredAtT !== null
          ? undefined
          : lastT - endT + 1 < RECOVERED_AFTER_S
            ? `the load ended less than ${RECOVERED_AFTER_S} s after the fault: recovery not judged`
            : tookDown && !readyAgain
              ? `${f.service} never became ready again before the load ended`
              : `targets did not hold for ${RECOVERED_AFTER_S} s in a row before the load ended: not recovered`;
    // The fault's window: until the second before it recovered, else until the next fault starts or the load ends.
    const next = sorted[i + 1];
    const windowEnd = recoveredAtT !== null ? Math.max(startT, recoveredAtT - 1) : Math.min(lastT, next ? t(next.startAt) - 1 : lastT);
    const inWindow = seconds.filter((w) => loadStartT + w.t >= startT && loadStartT + w.t <= windowEnd);
    const mem = input.memory.filter((m) => m.t >= startT && m.t <= Math.max(windowEnd, endT));
    const evs = input.events.filter((e) => e.t >= startT && e.t <= Math.max(windowEnd, endT));
    const kills = evs.filter((e) => e.kind === 'oom-kill');
    const lost = input.lost === null ? null : input.lost.filter((w) => t(w.at) >= startT && t(w.at) <= Math.max(windowEnd, endT)).length;
    const shownTo = Math.min(lastT, Math.max(windowEnd, endT) + 2, startT + 60);
    const secondsAround: FaultSecond[] = [];
    for (let s = Math.max(loadStartT, startT - BEFORE_S); s <= shownTo; s++) {
      const w = byT.get(s);
      if (!w) continue;
      const m = input.memory.filter((x) => x.t <= s).at(-1);
      secondsAround.push({ t: s, completed: w.completed, errors: w.errors + w.dropped, avgMs: round1(w.latency.avgMs), p99Ms: round1(w.latency.p99Ms), workingSetMb: m ? Math.round(m.workingSet / 1024 / 1024) : null, targetsHeld: secondHolds(w, targets) });
    }
    return {
      fault: f.text,
      kind: f.kind,
      ...(f.service ? { service: f.service } : {}),
      how: f.how,
      startT,
      endT,
      recoveredAtT,
      recoveryS: recoveredAtT === null ? null : recoveredAtT - endT,
      ...(note ? { note } : {}),
      errorsDuring: inWindow.reduce((a, w) => a + w.errors + w.dropped, 0),
      requestsDuring: inWindow.reduce((a, w) => a + w.completed + w.errors + w.dropped, 0),
      worstP99Ms: round1(inWindow.reduce((a, w) => Math.max(a, w.latency.p99Ms), 0)),
      peakWorkingSetBytes: mem.length ? mem.reduce((a, m) => Math.max(a, m.workingSet), 0) : null,
      restarts: evs.filter((e) => e.kind === 'service-restart').length,
      oomKills: kills.length,
      oomVictims: kills.map((k) => `${k.service ?? '?'}${k.pid !== undefined ? ` pid ${k.pid}` : ''}`),
      lostWrites: lost,
      pass: f.error === undefined && recoveredAtT !== null && (lost ?? 0) === 0,
      seconds: secondsAround,
    };
  });
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
