/**
 * The whole stack's working set against the cap, with the seed's 3.2 GB safety line marked (`│`)
 * on the bar, and the last two minutes as a sparkline scaled to the cap (seconds at or above
 * the safety line in red).
 */
import type { RunState } from '../model/index.ts';
import { formatBytes, formatCount, formatPercent } from '../report/format.ts';
import { liveChecks } from '../report/reporters/live-checks.ts';
import { bar, runs, sparkline } from './glyphs.ts';
import { passTone, seg, type LineModel, type SegmentTone } from './segments.ts';

function stackTone(state: RunState): SegmentTone {
  const checks = liveChecks(state);
  if (checks.free_memory?.pass === false || state.stack.oomKills > 0) return 'bad';
  if (state.safetyLineBytes > 0 && state.stack.workingSet >= state.safetyLineBytes) return 'warn';
  return 'good';
}

export function stackLines(state: RunState, width: number, opts: { details?: boolean } = {}): LineModel[] {
  const st = state.stack;
  const cap = state.capBytes;
  const tone = stackTone(state);
  const pct = cap > 0 && Number.isFinite(cap) ? ` ${formatPercent(st.workingSet / cap)}` : '';
  const head = `Stack ${formatBytes(st.workingSet)} / ${formatBytes(cap)}${pct} `;
  const tail = state.safetyLineBytes > 0 ? ` │ safety ${formatBytes(state.safetyLineBytes)} · peak ${formatBytes(st.peakWorkingSet)}` : ` peak ${formatBytes(st.peakWorkingSet)}`;
  const barWidth = Math.max(4, width - head.length - tail.length);
  const first: LineModel = [
    seg('Stack ', 'plain', true),
    seg(head.slice('Stack '.length), tone),
    seg(bar(st.workingSet, cap, barWidth, state.safetyLineBytes || undefined), tone),
    seg(tail, 'dim'),
  ];

  const label = 'history ';
  const suffixFor = (n: number) => ` last ${n} s, scale 0-${formatBytes(cap)}`;
  const sparkWidth = Math.max(0, width - label.length - suffixFor(width).length);
  const cells = sparkline(st.history, sparkWidth, { max: cap, alertAt: state.safetyLineBytes || undefined });
  const suffix = suffixFor(cells.length);
  const second: LineModel = [seg(label, 'dim')];
  if (cells.length === 0) second.push(seg('(no samples yet)', 'dim'));
  else {
    for (const r of runs(cells)) second.push(seg(r.text, r.alert ? 'bad' : 'accent'));
    second.push(seg(suffix, 'dim'));
  }
  const lines = [first, second];

  if (opts.details) {
    const checks = liveChecks(state);
    const third: LineModel = [seg(`swap ${formatBytes(st.swap)}`, st.swap > 0 ? 'warn' : 'plain')];
    if (st.psiSome10 !== undefined) third.push(seg(` · PSI some ${st.psiSome10.toFixed(1)}%`, st.psiSome10 >= 10 ? 'warn' : 'plain'));
    if (st.psiFull10 !== undefined) third.push(seg(` full ${st.psiFull10.toFixed(1)}%`, st.psiFull10 >= 5 ? 'bad' : 'plain'));
    third.push(seg(` · OOM kills ${formatCount(st.oomKills)} (max ${formatCount(state.targets.maxOomKills)})`, passTone(checks.oom_kills?.pass)));
    third.push(seg(` · keep ${formatBytes(state.targets.minFreeBytes)} free`, passTone(checks.free_memory?.pass)));
    lines.push(third);
  }
  return lines;
}
