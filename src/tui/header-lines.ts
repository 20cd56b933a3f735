/** Who and where: profile, driver, cap, cgroup version, run id; then phase, stage and the clock. */
import type { RunState } from '../model/index.ts';
import { formatBytes, formatDuration, sanitize } from '../report/format.ts';
import { stageText } from '../report/reporters/event-text.ts';
import { lineWidth, seg, type LineModel, type SegmentTone } from './segments.ts';

const PHASE_TONE: Record<RunState['phase'], SegmentTone> = {
  starting: 'warn',
  running: 'good',
  stopping: 'warn',
  done: 'plain',
};

export function headerLines(state: RunState, opts: { keysHint?: boolean; width?: number } = {}): LineModel[] {
  const swap = state.swapBytes > 0 ? ` + ${formatBytes(state.swapBytes)} swap` : '';
  const first: LineModel = [
    seg('simulate ', 'accent', true),
    seg(sanitize(state.profile), 'plain', true),
    seg(` · ${state.driver} · cap ${formatBytes(state.capBytes)}${swap} · cgroup v${state.cgroupVersion}`),
  ];
  // The run id goes to the right end of the first line when it fits, else after it (and is cut).
  const runId = sanitize(state.runId);
  const room = (opts.width ?? Infinity) - lineWidth(first);
  if (Number.isFinite(room) && room >= runId.length + 1) first.push(seg(' '.repeat(room - runId.length) + runId, 'dim'));
  else first.push(seg(` · run ${runId}`, 'dim'));
  const second: LineModel = [seg(state.phase, PHASE_TONE[state.phase], true)];
  const stage = stageText(state);
  if (stage) second.push(seg(` · ${stage}`, state.stage?.excluded ? 'dim' : 'plain'));
  second.push(seg(` · ${formatDuration(state.elapsedS)} elapsed`));
  if (state.timeLeftS !== undefined) second.push(seg(` · ${formatDuration(state.timeLeftS)} left`));
  if (opts.keysHint) second.push(seg('  (q: stop)', 'dim'));
  return [first, second];
}
