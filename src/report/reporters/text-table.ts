/**
 * Column layout for plain-text tables (verdict, memory) and the TUI's tables: widths from the
 * content, shrunk to fit a terminal when asked. No borders, no escape codes.
 */
import { displayWidth, fit } from '../format.ts';

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** May be cut (with `…`) when the table is wider than `maxWidth`. Names and details, not numbers. */
  shrink?: boolean;
  /** Never narrower than this when shrinking. */
  min?: number;
}

/** Width of each column: its widest cell, then shrinkable columns cut until the row fits `maxWidth`. */
export function columnWidths(columns: readonly Column[], rows: readonly string[][], maxWidth = Infinity, gap = 2): number[] {
  const widths = columns.map((c, i) => Math.max(displayWidth(c.header), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const total = () => widths.reduce((a, b) => a + b, 0) + gap * (columns.length - 1);
  // Take one column at a time from the widest shrinkable column until it fits or nothing can give.
  while (total() > maxWidth) {
    let pick = -1;
    for (let i = 0; i < columns.length; i++) {
      const c = columns[i];
      if (!c.shrink || widths[i] <= (c.min ?? 4)) continue;
      if (pick === -1 || widths[i] > widths[pick]) pick = i;
    }
    if (pick === -1) break;
    widths[pick] -= 1;
  }
  return widths;
}

/** One string per cell, each exactly its column's width. */
export function layoutRow(columns: readonly Column[], widths: readonly number[], row: readonly string[]): string[] {
  return columns.map((c, i) => fit(row[i] ?? '', widths[i], c.align ?? 'left'));
}

/** Header and rows as lines, columns separated by `gap` spaces, trailing spaces trimmed. */
export function renderTable(
  columns: readonly Column[],
  rows: readonly string[][],
  opts: { maxWidth?: number; gap?: number; indent?: string } = {},
): string[] {
  const gap = opts.gap ?? 2;
  const indent = opts.indent ?? '';
  const widths = columnWidths(columns, rows, (opts.maxWidth ?? Infinity) - displayWidth(indent), gap);
  const line = (cells: readonly string[]) => (indent + layoutRow(columns, widths, cells).join(' '.repeat(gap))).trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)];
}
