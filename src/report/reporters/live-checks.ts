/**
 * Whether the latest figures meet each target, for colouring live numbers green or red: the table of
 * targets (src/verdict/targets.ts) over the live span (last second; errors over the judged seconds so
 * far, as the verdict counts them). Not a verdict: that comes from the engine at the end. A target
 * missing from the result is not judged now (no load yet, or a warm-up stage the verdict excludes).
 */
import type { RunState } from '../../model/index.ts';
import { liveSpan } from '../../verdict/spans.ts';
import { checkMoment, type TargetName } from '../../verdict/targets.ts';

export interface LiveCheck {
  value: number;
  limit: number;
  pass: boolean;
}

export type LiveChecks = Partial<Record<TargetName, LiveCheck>>;

export function liveChecks(state: RunState): LiveChecks {
  const out: LiveChecks = {};
  for (const c of checkMoment(liveSpan(state), state.targets)) out[c.def.name] = { value: c.value, limit: c.limit, pass: c.pass };
  return out;
}
