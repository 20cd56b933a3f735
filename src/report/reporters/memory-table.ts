/**
 * Per-service memory at the end of a run, as plain text: peak working set against its budget,
 * last rss and swap, OOM kills, and whether the figures are from the real program or a stand-in.
 */
import type { RunState, ServiceState } from '../../model/index.ts';
import { formatBytes, formatCount, formatPercent, sanitize } from '../format.ts';
import { renderTable, type Column } from './text-table.ts';

export const MEMORY_COLUMNS: Column[] = [
  { header: 'SERVICE', shrink: true, min: 6 },
  { header: 'KIND' },
  { header: 'STATUS' },
  { header: 'PEAK WS', align: 'right' },
  { header: 'BUDGET', align: 'right' },
  { header: 'RSS', align: 'right' },
  { header: 'SWAP', align: 'right' },
  { header: 'OOM', align: 'right' },
  { header: 'RESTARTS', align: 'right' },
];

/** `real`, `standin` or `unavailable`: every output names a stand-in as such. */
export function kindLabel(s: ServiceState): 'real' | 'standin' | 'unavailable' {
  if (s.kind === 'unavailable' || s.status === 'unavailable') return 'unavailable';
  return s.kind;
}

export function statusLabel(status: ServiceState['status']): string {
  return status === 'oom-killed' ? 'OOM-killed' : status;
}

export function memoryRow(s: ServiceState): string[] {
  const none = kindLabel(s) === 'unavailable';
  return [
    s.name,
    kindLabel(s),
    statusLabel(s.status),
    none ? '-' : formatBytes(s.peakWorkingSet),
    s.budgetBytes !== undefined ? formatBytes(s.budgetBytes) : '-',
    none ? '-' : formatBytes(s.memory.rss),
    none ? '-' : formatBytes(s.memory.swap),
    formatCount(s.oomKills),
    formatCount(s.restarts),
  ];
}

/** The stack's total against the cap and the seed's safety line, as separate phrases. */
export function stackTotalParts(state: RunState): string[] {
  const st = state.stack;
  const ofCap = state.capBytes > 0 && Number.isFinite(state.capBytes) ? ` (${formatPercent(st.peakWorkingSet / state.capBytes)})` : '';
  const parts = [`Stack: peak working set ${formatBytes(st.peakWorkingSet)} of cap ${formatBytes(state.capBytes)}${ofCap}`];
  // The page cache, apart: usage counts it, the kernel takes it back before any OOM kill.
  if (st.peakPageCache) parts.push(`page cache up to ${formatBytes(st.peakPageCache)} (reclaimable)`);
  if (state.safetyLineBytes > 0) {
    parts.push(`safety line ${formatBytes(state.safetyLineBytes)} ${st.peakWorkingSet > state.safetyLineBytes ? 'CROSSED' : 'not crossed'}`);
  }
  parts.push(`swap ${formatBytes(st.swap)}`, `OOM kills ${formatCount(st.oomKills)}`);
  return parts;
}

export function stackTotalLine(state: RunState): string {
  return stackTotalParts(state).join('; ');
}

export function renderMemoryTable(state: RunState, opts: { maxWidth?: number } = {}): string {
  const lines = renderTable(MEMORY_COLUMNS, state.services.map(memoryRow), { maxWidth: opts.maxWidth });
  lines.push(stackTotalLine(state));
  for (const s of state.services) {
    if (kindLabel(s) === 'unavailable' && s.reason) lines.push(`  ${s.name}: ${sanitize(s.reason)}`);
  }
  return lines.join('\n') + '\n';
}
