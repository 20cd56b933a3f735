/** The newest events (kills, restarts, swap starts, targets first missed, ...), newest last. */
import type { RunEvent, RunState } from '../model/index.ts';
import { eventTone, formatEventLine } from '../report/reporters/event-text.ts';
import { seg, type LineModel } from './segments.ts';

/**
 * The `n` events to show, in order. When not all fit, kills, restarts, exits, swap starts, missed
 * targets and alerts win over routine starts and stage changes, so a kill never scrolls away
 * behind `ready` lines.
 */
export function pickEvents(events: readonly RunEvent[], n: number): RunEvent[] {
  if (n <= 0) return [];
  if (events.length <= n) return [...events];
  const rank = (e: RunEvent) => (e.kind === 'oom-kill' ? 3 : eventTone(e.kind) === 'bad' ? 2 : eventTone(e.kind) === 'warn' ? 1 : 0);
  // Highest rank first, newest first within a rank; then back into time order.
  const keep = events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => rank(b.e) - rank(a.e) || b.i - a.i)
    .slice(0, n)
    .sort((a, b) => a.i - b.i);
  return keep.map(({ e }) => e);
}

/** At most `maxLines` lines including the title; nothing when there is no room for one event. */
export function eventLines(state: RunState, maxLines: number): LineModel[] {
  if (maxLines < 2) return [];
  const shown = pickEvents(state.events, maxLines - 1);
  const title: LineModel = [seg('Events', 'plain', true)];
  if (state.events.length === 0) return [[...title, seg(' none yet', 'dim')]];
  if (shown.length < state.events.length) title.push(seg(` (${shown.length} of ${state.events.length}, notable first)`, 'dim'));
  return [
    title,
    ...shown.map((e) => {
      const tone = eventTone(e.kind);
      return [seg(formatEventLine(e), tone, tone === 'bad')];
    }),
  ];
}
