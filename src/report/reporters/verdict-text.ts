/**
 * The verdict as plain text: what the plain reporter prints at the end, and what the lead prints
 * for short runs. The TUI draws the same rows with colour (see src/tui/verdict-lines.ts).
 */
import type { RunState, TargetResult, Verdict } from '../../model/index.ts';
import { formatBytes, formatDuration, formatLimit, formatTargetValue, sanitize } from '../format.ts';
import { renderTable, type Column } from './text-table.ts';

export const VERDICT_COLUMNS: Column[] = [
  { header: 'TARGET', shrink: true, min: 10 },
  { header: 'MEASURED', align: 'right' },
  { header: 'LIMIT', align: 'right' },
  { header: 'RESULT' },
  { header: 'FIRST BROKE AT', align: 'right', shrink: true, min: 5 },
];
const NOTE_COLUMN: Column = { header: 'NOTE', shrink: true, min: 8 };

export function verdictColumns(v: Verdict): Column[] {
  return v.targets.some((t) => t.detail) ? [...VERDICT_COLUMNS, NOTE_COLUMN] : VERDICT_COLUMNS;
}

export function verdictRow(t: TargetResult, withNote: boolean): string[] {
  const row = [
    t.label || t.name,
    formatTargetValue(t.measured, t.unit),
    formatLimit(t),
    resultText(t),
    !t.pass && t.firstBrokeAtS !== undefined ? formatDuration(t.firstBrokeAtS) : '-',
  ];
  return withNote ? [...row, sanitize(t.detail ?? '')] : row;
}

/** PASS, FAIL, or NOT JUDGED (a target this run could not fail is never shown as a pass). */
export function resultText(t: TargetResult): string {
  return t.notJudged !== undefined ? 'NOT JUDGED' : t.pass ? 'PASS' : 'FAIL';
}

export function verdictRows(v: Verdict): string[][] {
  const withNote = verdictColumns(v).length > VERDICT_COLUMNS.length;
  return v.targets.map((t) => verdictRow(t, withNote));
}

export function modelText(model: Verdict['model']): string {
  switch (model) {
    case 'open':
      return 'open model: latency counted from each request\'s scheduled send time';
    case 'closed':
      return 'closed model (autocannon): latency counted from the actual send, so stalls are under-counted';
    case 'none':
      return 'no load was run';
  }
}

/** `Verdict: FAIL - 2 of 7 targets missed`, plus `(interrupted)`. */
export function verdictHeadline(v: Verdict): string {
  const unjudged = v.targets.filter((t) => t.notJudged !== undefined).length;
  const judged = v.targets.length - unjudged;
  const missed = v.targets.filter((t) => !t.pass && t.notJudged === undefined).length;
  const what =
    v.targets.length === 0 ? 'no targets checked' : missed === 0 ? `all ${judged} targets met` : `${missed} of ${judged} targets missed`;
  const rest = unjudged > 0 ? `, ${unjudged} not judged` : '';
  return `Verdict: ${v.pass ? 'PASS' : 'FAIL'} - ${what}${rest}${v.interrupted ? ' (interrupted: partial run)' : ''}`;
}

/** Each kill as `1:42  elasticsearch pid 4242 killed at 1.02 GB working set`, and what happened around it. */
export function oomKillParts(v: Verdict): Array<{ line: string; around?: string }> {
  return v.oomKills.map((k) => ({
    line: `${formatDuration(k.t)}  ${k.service}${k.pid !== undefined ? ` pid ${k.pid}` : ''} killed at ${formatBytes(k.workingSetBytes)} working set`,
    around: k.around ? `around it: ${sanitize(k.around)}` : undefined,
  }));
}

export function oomKillLines(v: Verdict): string[] {
  return oomKillParts(v).map((k) => (k.around ? `${k.line}; ${k.around}` : k.line));
}

export const FAULT_COLUMNS: Column[] = [
  { header: 'FAULT', shrink: true, min: 12 },
  { header: 'AT', align: 'right' },
  { header: 'RECOVERY', align: 'right' },
  { header: 'ERRORS DURING', align: 'right' },
  { header: 'WORST P99', align: 'right' },
  { header: 'RESTARTS', align: 'right' },
  { header: 'OOM KILLS', align: 'right' },
  { header: 'LOST WRITES', align: 'right' },
  { header: 'RESULT' },
];

/** A row per fault: when, time to recover (every per-second target held 10 s again), what it cost. */
export function faultRows(v: Verdict): string[][] {
  return (v.faults ?? []).map((f) => [
    sanitize(f.fault),
    formatDuration(f.startT),
    f.recoveryS === null ? 'none' : `${f.recoveryS} s`,
    `${f.errorsDuring} of ${f.requestsDuring}`,
    `${Math.round(f.worstP99Ms)} ms`,
    String(f.restarts),
    String(f.oomKills),
    f.lostWrites === null ? 'n/a' : String(f.lostWrites),
    f.pass ? 'PASS' : 'FAIL',
  ]);
}

/** Under the table: how each fault was injected, and why a recovery is missing. */
export function faultNotes(v: Verdict): string[] {
  return (v.faults ?? []).flatMap((f) => [
    `${sanitize(f.fault)}: ${sanitize(f.how)}`,
    ...(f.note ? [`  ${sanitize(f.note)}`] : []),
    ...(f.oomVictims.length ? [`  OOM-killed: ${f.oomVictims.join(', ')}`] : []),
  ]);
}

export function writesLine(v: Verdict): string | undefined {
  const w = v.writes;
  if (!w || (w.acknowledged === 0 && !w.notChecked)) return undefined;
  return w.notChecked
    ? `Acknowledged writes: ${w.acknowledged}, not checked: ${sanitize(w.notChecked)}`
    : `Acknowledged writes: ${w.acknowledged} acknowledged, ${w.found} found in the database, ${w.lost} lost${w.unreadable ? ` (${w.unreadable} 2xx answers had no id)` : ''}`;
}

export function standinLine(v: Verdict): string | undefined {
  if (v.standins.length === 0) return undefined;
  return `standin (a model of the service's memory, not the real program): ${v.standins.join(', ')}`;
}

/** The whole verdict block, lines joined with `\n`, ending with a newline. */
export function renderVerdictText(state: RunState, opts: { maxWidth?: number } = {}): string {
  const v = state.verdict;
  if (!v) return 'Verdict: none - the run ended before the targets were checked\n';
  const lines = [verdictHeadline(v), `Load: ${modelText(v.model)}`];
  if (v.targets.length > 0) {
    lines.push('', ...renderTable(verdictColumns(v), verdictRows(v), { maxWidth: opts.maxWidth }));
  }
  if (v.oomKills.length > 0) {
    lines.push('', `OOM kills (${v.oomKills.length}):`, ...oomKillLines(v).map((l) => `  ${l}`));
  }
  const writes = writesLine(v);
  if (writes) lines.push('', writes);
  if (v.faults?.length) {
    lines.push('', `Faults (${v.faults.length}); recovery = from the fault's end until every per-second target held for 10 s:`);
    lines.push(...renderTable(FAULT_COLUMNS, faultRows(v), { maxWidth: opts.maxWidth }), ...faultNotes(v));
  }
  const standins = standinLine(v);
  if (standins) lines.push('', standins);
  return lines.join('\n') + '\n';
}
