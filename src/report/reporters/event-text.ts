/**
 * One line per engine event and the periodic status line, shared by the plain reporter and the
 * TUI's event log. Text only; the TUI adds colour from `eventTone`.
 */
import type { RunEvent, RunEventKind, RunState } from '../../model/index.ts';
import { formatBytes, formatCount, formatDuration, formatMs, formatPercent, formatRate, sanitize } from '../format.ts';

const LABELS: Record<RunEventKind, string> = {
  'run-start': 'run start',
  'service-start': 'start',
  'service-ready': 'ready',
  'service-exit': 'exit',
  'oom-kill': 'OOM kill',
  'service-restart': 'restart',
  'service-unavailable': 'unavailable',
  'swap-start': 'swap',
  'stage-start': 'stage',
  'target-missed': 'missed',
  'alert-pending': 'pending',
  'alert-firing': 'alert',
  'fault-start': 'fault',
  'fault-end': 'fault end',
  'alert-resolved': 'resolved',
  'run-end': 'run end',
  info: 'info',
};
/** Widest label, so event lines line up in columns. */
export const EVENT_LABEL_WIDTH = Math.max(...Object.values(LABELS).map((l) => l.length));

export function eventLabel(kind: RunEventKind): string {
  return LABELS[kind] ?? kind;
}

export type Tone = 'bad' | 'warn' | 'good' | 'plain';

export function eventTone(kind: RunEventKind): Tone {
  switch (kind) {
    case 'oom-kill':
    case 'target-missed':
    case 'service-exit':
    case 'alert-firing':
      return 'bad';
    case 'service-restart':
    case 'swap-start':
    case 'fault-start':
    case 'service-unavailable':
    case 'alert-pending':
      return 'warn';
    case 'service-ready':
      return 'good';
    default:
      return 'plain';
  }
}

/** `1:42  OOM kill     elasticsearch pid 4242: killed at 1.02 GB` (no trailing newline). */
export function formatEventLine(e: RunEvent): string {
  const who = e.service ? ` ${e.service}${e.pid !== undefined ? ` pid ${e.pid}` : ''}` : '';
  const detail = e.detail ? `${who ? ':' : ''} ${sanitize(e.detail)}` : '';
  return `${formatDuration(e.t).padStart(5)}  ${eventLabel(e.kind).padEnd(EVENT_LABEL_WIDTH)}${who}${detail}`;
}

/** `stage 2/3 steady` (+ `(warm-up, not judged)` when the stage is excluded from the verdict). */
export function stageText(state: RunState): string | undefined {
  const st = state.stage;
  if (!st) return undefined;
  return `stage ${st.index + 1}/${st.count} ${st.name}${st.excluded ? ' (not judged)' : ''}`;
}

/**
 * The status line printed every few seconds: elapsed, stack working set / cap, rates, p99,
 * errors. Everything from the state, nothing computed but a percentage.
 */
export function formatStatusLine(state: RunState): string {
  const parts = [`${formatDuration(state.elapsedS).padStart(5)}  status`];
  const stage = stageText(state);
  if (stage) parts.push(stage);
  const st = state.stack;
  const ofCap = state.capBytes > 0 ? ` (${formatPercent(st.workingSet / state.capBytes)})` : '';
  parts.push(`stack ${formatBytes(st.workingSet)} / ${formatBytes(state.capBytes)}${ofCap}`);
  if (st.swap > 0) parts.push(`swap ${formatBytes(st.swap)}`);
  const l = state.load;
  if (l) {
    parts.push(`${formatRate(l.completedRps)} of ${formatRate(l.scheduledRps)} scheduled`);
    parts.push(`avg ${formatMs(l.avgMs)}`, `p99 ${formatMs(l.p99Ms)}`);
    parts.push(`errors ${formatCount(l.errors)}/s (${formatCount(l.totalErrors)} total)`);
    if (l.dropped > 0) parts.push(`dropped ${formatCount(l.dropped)}`);
  }
  if (st.oomKills > 0) parts.push(`OOM kills ${formatCount(st.oomKills)}`);
  if (state.timeLeftS !== undefined) parts.push(`${formatDuration(state.timeLeftS)} left`);
  return parts.join('  ');
}
