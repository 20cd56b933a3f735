/**
 * Bars and sparklines as plain characters, so they still read without colour (NO_COLOR, a
 * terminal without colours) and tests can assert on them. Each glyph is one terminal column.
 */

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const FULL = '█';
const EMPTY = '░';
const SPARKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
export const MARK = '│';

/**
 * `value` against `max` in exactly `width` columns, in eighths of a cell. Values above `max`
 * fill the bar (the caller says "over" in words or colour). `markAt` (same unit as `value`) puts
 * a `│` at that point, e.g. the safety line on the stack's bar.
 */
export function bar(value: number, max: number, width: number, markAt?: number): string {
  if (width <= 0) return '';
  const ratio = max > 0 && Number.isFinite(max) && Number.isFinite(value) ? Math.min(1, Math.max(0, value / max)) : 0;
  const eighths = Math.round(ratio * width * 8);
  const full = Math.floor(eighths / 8);
  const part = EIGHTHS[eighths % 8];
  const cells = [...(FULL.repeat(full) + part).padEnd(width, EMPTY)].slice(0, width);
  if (markAt !== undefined && max > 0 && Number.isFinite(max) && markAt > 0 && markAt < max) {
    const i = Math.min(width - 1, Math.floor((markAt / max) * width));
    cells[i] = MARK;
  }
  return cells.join('');
}

/**
 * The last `width` values as a sparkline scaled 0..`max` (or 0..the largest value when `max` is
 * not given). Returns one entry per column with whether it reached `alertAt`, so a caller can
 * colour the seconds above a threshold.
 */
export function sparkline(
  values: readonly number[],
  width: number,
  opts: { max?: number; alertAt?: number } = {},
): Array<{ ch: string; alert: boolean }> {
  if (width <= 0) return [];
  const recent = values.slice(-width).filter((v) => Number.isFinite(v));
  const max = opts.max && opts.max > 0 && Number.isFinite(opts.max) ? opts.max : Math.max(0, ...recent);
  return recent.map((v) => {
    const level = max > 0 ? Math.min(SPARKS.length - 1, Math.max(0, Math.round((v / max) * (SPARKS.length - 1)))) : 0;
    return { ch: SPARKS[level], alert: opts.alertAt !== undefined && v >= opts.alertAt };
  });
}

/** Group consecutive cells with the same flag: each run becomes one coloured <Text>. */
export function runs<T extends { ch: string; alert: boolean }>(cells: readonly T[]): Array<{ text: string; alert: boolean }> {
  const out: Array<{ text: string; alert: boolean }> = [];
  for (const c of cells) {
    const last = out[out.length - 1];
    if (last && last.alert === c.alert) last.text += c.ch;
    else out.push({ text: c.ch, alert: c.alert });
  }
  return out;
}
