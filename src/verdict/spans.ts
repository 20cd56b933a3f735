/**
 * Spans: the figures a target reads (targets.ts), built from what the load engine and the monitor give.
 * One builder per stretch: one second of load, one stage or the judged run, and the live screen's state.
 */
import type { LoadResult, SecondWindow, StageResult } from '../load/index.ts';
import type { RunState } from '../model/index.ts';
import type { Span } from './targets.ts';

/** One second of load (the engine's window). */
export function secondSpan(w: SecondWindow): Span {
  const requests = w.completed + w.errors + w.dropped;
  return {
    load: {
      requests,
      failed: w.errors + w.dropped,
      okRps: w.completed,
      offeredRps: w.scheduled,
      seconds: 1,
      avgMs: requests > 0 ? w.latency.avgMs : null,
      p99Ms: requests > 0 ? w.latency.p99Ms : null,
    },
  };
}

/**
 * Completed and offered per second over the judged stages, by the second each response completed: the
 * seconds inside a judged stage's planned time, nothing from the drain after the last one (a server that
 * completes 400 of 440 offered per second must not be credited with the backlog it finishes later).
 */
export function judgedRates(load: LoadResult): { okRps: number; offeredRps: number; seconds: number } | undefined {
  const judged = load.stages.filter((st) => !st.excluded);
  let completed = 0;
  let offered = 0;
  let seconds = 0;
  for (const w of load.seconds) {
    if (w.excluded) continue;
    if (!judged.some((st) => w.t >= Math.floor(st.startS) && w.t < st.startS + st.durationS)) continue;
    completed += w.completed;
    offered += w.scheduled;
    seconds += 1;
  }
  return seconds > 0 ? { okRps: completed / seconds, offeredRps: offered / seconds, seconds } : undefined;
}

/** A stage, or the judged stages merged (LoadResult.overall). */
export function stageSpan(st: StageResult): Span {
  const a = st.aggregate;
  return {
    load: {
      requests: a.count,
      failed: a.failures,
      okRps: a.okRps,
      offeredRps: a.rps,
      seconds: st.durationS,
      avgMs: a.count > 0 ? a.avgMs : null,
      p99Ms: a.count > 0 ? a.percentiles['99'] : null,
    },
  };
}

/**
 * What the live screen judges: latency and rates of the last second, the error rate over the judged
 * seconds so far (as the verdict counts it: a warm-up's errors are not in it), the memory now and the
 * kills so far. Load is left out while an excluded stage runs (nothing of it is judged).
 */
export function liveSpan(state: RunState): Span {
  const span: Span = {};
  if (state.capBytes > 0 && Number.isFinite(state.capBytes)) {
    span.memory = { capBytes: state.capBytes, peakWorkingSet: state.stack.workingSet };
  }
  // Kills count with or without a cap we set: the screen shows them against the target either way.
  span.oomKills = state.stack.oomKills;
  const l = state.load;
  if (l && !state.stage?.excluded) {
    const ended = l.completedRps + l.errors + l.dropped;
    span.load = {
      requests: l.judgedRequests ?? 0,
      failed: l.judgedFailures ?? 0,
      okRps: l.completedRps,
      offeredRps: l.scheduledRps,
      avgMs: ended > 0 ? l.avgMs : null,
      p99Ms: ended > 0 ? l.p99Ms : null,
    };
  }
  return span;
}
