/**
 * Whether the latest figures meet each target, for colouring live numbers green or red. This is
 * a comparison of figures the engine gave against the profile's targets, not a verdict: the
 * verdict (state.verdict) comes from the engine at the end. `undefined` = not judged now (no load
 * yet, or a warm-up stage the verdict excludes).
 */
import type { RunState } from '../../model/index.ts';
import { throughputLimit } from '../../verdict/verdict.ts';

export interface LiveChecks {
  completedRps?: boolean;
  avgMs?: boolean;
  p99Ms?: boolean;
  errorRate?: boolean;
  /** The stack leaves at least `minFreeBytes` of the cap free. */
  freeMemory?: boolean;
  oomKills: boolean;
}

export function liveChecks(state: RunState): LiveChecks {
  const t = state.targets;
  const out: LiveChecks = { oomKills: state.stack.oomKills <= t.maxOomKills };
  if (state.capBytes > 0 && Number.isFinite(state.capBytes)) {
    out.freeMemory = state.capBytes - state.stack.workingSet >= t.minFreeBytes;
  }
  const l = state.load;
  if (!l || state.stage?.excluded) return out;
  out.completedRps = l.completedRps >= throughputLimit(t);
  out.avgMs = l.avgMs <= t.avgLatencyMs;
  out.p99Ms = l.p99Ms < t.p99Ms;
  if (l.totalRequests > 0) out.errorRate = l.totalErrors / l.totalRequests <= t.maxErrorRate;
  return out;
}
