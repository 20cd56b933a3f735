/**
 * One row per service: status, real or standin, working set with a bar against the seed's budget
 * (and against the cap where the terminal is wide), swap, restarts, OOM kills.
 */
import type { RunState, ServiceState } from '../model/index.ts';
import { fit, formatBytes, formatCount, formatPercent } from '../report/format.ts';
import { kindLabel, statusLabel } from '../report/reporters/memory-table.ts';
import { bar } from './glyphs.ts';
import { seg, type LineModel, type SegmentTone } from './segments.ts';

const STATUS_TONE: Record<ServiceState['status'], SegmentTone> = {
  unavailable: 'dim',
  waiting: 'dim',
  starting: 'warn',
  ready: 'good',
  restarting: 'warn',
  'oom-killed': 'bad',
  exited: 'bad',
  stopped: 'dim',
};

interface Widths {
  name: number;
  budgetBar: number;
  capBar: number;
}

const STATUS_W = 11;
const KIND_W = 7;
const SIZE_W = 7;
const COUNT_W = 3;
const PCT_W = 5;
const MIN_BAR = 4;

/**
 * Share the width: fixed columns first, then the bars get what is left. A row is
 * name+1, status 11+1, kind 7+1, ws 7+1, bar+1+budget 7+1, (cap bar+1 | %cap 5+1), swap 7+1, rst 3+1, oom 3.
 */
export function serviceWidths(state: RunState, width: number): Widths {
  const longest = Math.max(7, ...state.services.map((s) => s.name.length));
  const name = Math.min(longest, 14);
  const fixedWide = name + 1 + (STATUS_W + 1) + (KIND_W + 1) + (SIZE_W + 1) + (1 + SIZE_W + 1) + 1 + (SIZE_W + 1) + (COUNT_W + 1) + COUNT_W;
  const wide = width - fixedWide;
  if (wide >= 24) {
    const capBar = Math.floor(wide / 2);
    return { name, budgetBar: wide - capBar, capBar };
  }
  const narrow = width - fixedWide - PCT_W;
  return { name, budgetBar: Math.max(MIN_BAR, narrow), capBar: 0 };
}

export function serviceHeader(w: Widths): LineModel {
  const capCol = w.capBar > 0 ? fit('OF CAP', w.capBar) : fit('%CAP', PCT_W, 'right');
  const text = [
    fit('SERVICE', w.name),
    fit('STATUS', STATUS_W),
    fit('KIND', KIND_W),
    fit('WORKING', SIZE_W, 'right'),
    fit('SET VS BUDGET', w.budgetBar + 1 + SIZE_W),
    capCol,
    fit('SWAP', SIZE_W, 'right'),
    fit('RST', COUNT_W, 'right'),
    fit('OOM', COUNT_W, 'right'),
  ].join(' ');
  return [seg(text, 'dim', true)];
}

export function serviceRow(s: ServiceState, state: RunState, w: Widths): LineModel {
  const kind = kindLabel(s);
  const none = kind === 'unavailable';
  const ws = s.memory.workingSet;
  const over = s.budgetBytes !== undefined && ws > s.budgetBytes;
  const row: LineModel = [
    seg(fit(s.name, w.name) + ' '),
    seg(fit(statusLabel(s.status), STATUS_W) + ' ', STATUS_TONE[s.status], s.status === 'oom-killed'),
    seg(fit(kind === 'unavailable' ? '-' : kind, KIND_W) + ' ', kind === 'standin' ? 'accent' : 'plain'),
    seg(fit(none ? '-' : formatBytes(ws), SIZE_W, 'right') + ' ', over ? 'bad' : 'plain'),
  ];
  if (none || s.budgetBytes === undefined) {
    row.push(seg(fit(none ? '' : 'no budget', w.budgetBar + 1 + SIZE_W) + ' ', 'dim'));
  } else {
    row.push(seg(bar(ws, s.budgetBytes, w.budgetBar), over ? 'bad' : 'good'));
    row.push(seg(' ' + fit(formatBytes(s.budgetBytes), SIZE_W, 'right') + ' ', 'dim'));
  }
  const ofCap = state.capBytes > 0 && !none ? ws / state.capBytes : undefined;
  if (w.capBar > 0) {
    row.push(seg(ofCap === undefined ? ' '.repeat(w.capBar) : bar(ws, state.capBytes, w.capBar), 'accent'));
    row.push(seg(' '));
  } else {
    row.push(seg(fit(ofCap === undefined ? '' : formatPercent(ofCap), PCT_W, 'right') + ' ', 'dim'));
  }
  row.push(seg(fit(none ? '-' : formatBytes(s.memory.swap), SIZE_W, 'right') + ' ', s.memory.swap > 0 ? 'warn' : 'plain'));
  row.push(seg(fit(formatCount(s.restarts), COUNT_W, 'right') + ' ', s.restarts > 0 ? 'warn' : 'plain'));
  row.push(seg(fit(formatCount(s.oomKills), COUNT_W, 'right'), s.oomKills > 0 ? 'bad' : 'plain', s.oomKills > 0));
  return row;
}

export function serviceLines(state: RunState, width: number, maxRows = Infinity): LineModel[] {
  const w = serviceWidths(state, width);
  const rows = state.services.map((s) => serviceRow(s, state, w));
  if (rows.length > maxRows) {
    const shown = Math.max(0, maxRows - 1);
    return [serviceHeader(w), ...rows.slice(0, shown), [seg(`… ${rows.length - shown} more services`, 'dim')]];
  }
  return [serviceHeader(w), ...rows];
}
