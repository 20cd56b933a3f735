/**
 * A TUI line is a list of segments (text + tone). Sections build lines as data (pure, testable);
 * <Line> draws them, cut to the terminal width so nothing wraps into the next line.
 */
import { displayWidth, truncate } from '../report/format.ts';

export type SegmentTone = 'bad' | 'warn' | 'good' | 'plain' | 'dim' | 'accent';

export interface Segment {
  text: string;
  tone?: SegmentTone;
  bold?: boolean;
}

export type LineModel = Segment[];

export const seg = (text: string, tone?: SegmentTone, bold?: boolean): Segment => ({ text, tone, bold });

/** Tone for a pass/fail check; `undefined` (not judged) stays plain. */
export const passTone = (pass: boolean | undefined): SegmentTone => (pass === undefined ? 'plain' : pass ? 'good' : 'bad');

/** Cut a line to `width` columns (the last kept segment ends with `…`). */
export function clipLine(line: LineModel, width: number): LineModel {
  const out: LineModel = [];
  let used = 0;
  for (const s of line) {
    const w = displayWidth(s.text);
    if (used + w <= width) {
      out.push(s);
      used += w;
      continue;
    }
    const room = width - used;
    if (room > 0) out.push({ ...s, text: truncate(s.text, room) });
    break;
  }
  return out;
}

export function lineText(line: LineModel): string {
  return line.map((s) => s.text).join('');
}

export function lineWidth(line: LineModel): number {
  return displayWidth(lineText(line));
}

/**
 * Phrases packed into as few lines of at most `width` columns as fit, joined by `sep`; later
 * lines start with `indent`. For long summaries that must not lose words to truncation.
 */
export function packParts(parts: readonly string[], width: number, sep = '; ', indent = '  '): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const p of parts) {
    const candidate = cur === '' ? p : cur + sep + p;
    if (cur !== '' && displayWidth(candidate) > width) {
      lines.push(cur + sep.trimEnd());
      cur = indent + p;
    } else cur = candidate;
  }
  if (cur !== '') lines.push(cur);
  return lines;
}
