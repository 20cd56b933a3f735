/**
 * The end of a run, as it stays on screen: verdict headline, the targets (PASS green, FAIL red,
 * when each first broke), the OOM kills, then the per-service memory table and the stack total.
 * Same rows as the plain text (src/report/reporters), with colour.
 */
import type { RunState } from '../model/index.ts';
import { sanitize } from '../report/format.ts';
import { MEMORY_COLUMNS, kindLabel, memoryRow, stackTotalParts } from '../report/reporters/memory-table.ts';
import { columnWidths, layoutRow } from '../report/reporters/text-table.ts';
import { FAULT_COLUMNS, faultNotes, faultRows, modelText, oomKillParts, verdictColumns, verdictHeadline, verdictRows, writesLine } from '../report/reporters/verdict-text.ts';
import { packParts, seg, type LineModel } from './segments.ts';

export function verdictLines(state: RunState, width: number): LineModel[] {
  const v = state.verdict;
  if (!v) return [[seg('Verdict: none - the run ended before the targets were checked', 'warn', true)]];
  const lines: LineModel[] = [
    [seg(verdictHeadline(v), v.pass ? 'good' : 'bad', true)],
    [seg(`Load: ${modelText(v.model)}`, 'dim')],
  ];
  if (v.targets.length > 0) {
    const cols = verdictColumns(v);
    const rows = verdictRows(v);
    const widths = columnWidths(cols, rows, width, 2);
    lines.push([], [seg(layoutRow(cols, widths, cols.map((c) => c.header)).join('  '), 'dim', true)]);
    v.targets.forEach((t, i) => {
      const cells = layoutRow(cols, widths, rows[i]);
      const tone = t.notJudged !== undefined ? 'warn' : t.pass ? 'good' : 'bad';
      lines.push(cells.flatMap((cell, j) => [seg(j === 0 ? '' : '  '), seg(cell, j === 3 || (j === 1 && !t.pass) ? tone : 'plain', j === 3)]));
    });
  }
  if (v.oomKills.length > 0) {
    lines.push([], [seg(`OOM kills (${v.oomKills.length}):`, 'bad', true)]);
    for (const k of oomKillParts(v)) {
      lines.push([seg(`  ${k.line}`, 'bad')]);
      if (k.around) for (const l of packParts(k.around.split(' '), width - 4, ' ', '')) lines.push([seg(`    ${l}`, 'dim')]);
    }
  }
  const writes = writesLine(v);
  if (writes) lines.push([], [seg(writes, v.writes?.lost || v.writes?.notChecked ? 'bad' : 'good')]);
  if (v.faults?.length) {
    const rows = faultRows(v);
    const widths = columnWidths(FAULT_COLUMNS, rows, width, 2);
    lines.push([], [seg(`Faults (${v.faults.length}); recovery = until every per-second target held for 10 s:`, 'plain', true)]);
    lines.push([seg(layoutRow(FAULT_COLUMNS, widths, FAULT_COLUMNS.map((c) => c.header)).join('  '), 'dim', true)]);
    v.faults.forEach((f, i) => {
      const cells = layoutRow(FAULT_COLUMNS, widths, rows[i]);
      lines.push(cells.flatMap((cell, j) => [seg(j === 0 ? '' : '  '), seg(cell, j === cells.length - 1 ? (f.pass ? 'good' : 'bad') : 'plain', j === cells.length - 1)]));
    });
    for (const l of faultNotes(v)) lines.push([seg(l, 'dim')]);
  }
  return lines;
}

export function memoryLines(state: RunState, width: number): LineModel[] {
  const rows = state.services.map(memoryRow);
  const widths = columnWidths(MEMORY_COLUMNS, rows, width, 2);
  const lines: LineModel[] = [[seg(layoutRow(MEMORY_COLUMNS, widths, MEMORY_COLUMNS.map((c) => c.header)).join('  '), 'dim', true)]];
  state.services.forEach((s, i) => {
    const cells = layoutRow(MEMORY_COLUMNS, widths, rows[i]);
    const kind = kindLabel(s);
    lines.push(
      cells.flatMap((cell, j) => [
        seg(j === 0 ? '' : '  '),
        seg(cell, j === 1 && kind === 'standin' ? 'accent' : j === 1 && kind === 'unavailable' ? 'dim' : j === 7 && s.oomKills > 0 ? 'bad' : 'plain', j === 7 && s.oomKills > 0),
      ]),
    );
  });
  for (const l of packParts(stackTotalParts(state), width)) lines.push([seg(l, state.stack.oomKills > 0 ? 'bad' : 'plain')]);
  for (const s of state.services) {
    if (kindLabel(s) === 'unavailable' && s.reason) lines.push([seg(`  ${s.name}: ${sanitize(s.reason)}`, 'dim')]);
  }
  return lines;
}

/** Everything printed at the end, in order. Long lines are cut to the width, never wrapped. */
export function finalLines(state: RunState, width: number, header: LineModel): LineModel[] {
  const lines: LineModel[] = [header, [], ...verdictLines(state, width), [], ...memoryLines(state, width)];
  const standins = state.verdict?.standins ?? [];
  if (standins.length > 0) {
    lines.push([], [seg("standin = a model of the service's memory, not the real program:", 'accent')]);
    for (const l of packParts(standins, width - 2, ', ', '')) lines.push([seg(`  ${l}`, 'accent')]);
  }
  return lines;
}
