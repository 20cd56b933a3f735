/**
 * How figures look in every report (TUI, plain lines, verdict tables). Pure functions: same input,
 * same text. Sizes are binary (1 GB = 1024³ bytes), like Docker, Compose and the profile parser,
 * so a `4g` cap prints as `4.00 GB`.
 */
import type { TargetResult } from '../model/index.ts';

const KB = 1024;
const MB = 1024 ** 2;
const GB = 1024 ** 3;
const TB = 1024 ** 4;

/** Fewer decimals as numbers grow, so a column stays about 7 characters wide. */
function scaled(value: number, unit: string): string {
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${unit}`;
}

/** `0 B`, `512 KB`, `12.5 MB`, `256 MB`, `3.20 GB`. Unknown (NaN) as `-`; unlimited as `unlimited`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return Number.isNaN(bytes) ? '-' : 'unlimited';
  const sign = bytes < 0 ? '-' : '';
  const b = Math.abs(bytes);
  if (b < KB) return `${sign}${Math.round(b)} B`;
  if (b < MB) return sign + `${Math.round(b / KB)} KB`;
  // Rounding 1023.9 MB up would print `1024 MB`; switch units at the rounded value instead.
  if (b < GB && Math.round(b / MB) < 1024) return sign + (b / MB >= 10 ? `${Math.round(b / MB)} MB` : scaled(b / MB, 'MB'));
  if (b < TB) return sign + scaled(b / GB, 'GB');
  return sign + scaled(b / TB, 'TB');
}

/** `0.42 ms`, `4.2 ms`, `45 ms`, `1.25 s`, `12.5 s`, `2m05s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** `300 req/s`, `42.5 req/s`, `0 req/s`. */
export function formatRate(rps: number): string {
  if (!Number.isFinite(rps)) return '-';
  if (rps === 0) return '0 req/s';
  return `${rps >= 100 ? Math.round(rps) : rps.toFixed(1)} req/s`;
}

/** Seconds as a clock: `0:07`, `2:05`, `1:02:03`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A ratio (0..1) as a percentage: `62.5%`, `0.10%`, `100%`. */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return '-';
  const p = ratio * 100;
  if (p === 0) return '0%';
  if (p < 1) return `${p.toFixed(2)}%`;
  if (p < 100) return `${p.toFixed(1)}%`;
  return `${Math.round(p)}%`;
}

/** `1,234,567`. Locale-free so tests and logs read the same everywhere. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const sign = n < 0 ? '-' : '';
  return sign + String(Math.round(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A target's figure in its own unit. */
export function formatTargetValue(value: number | null, unit: TargetResult['unit']): string {
  if (value === null) return 'n/a';
  switch (unit) {
    case 'ms':
      return formatMs(value);
    case 'req/s':
      return formatRate(value);
    case 'bytes':
      return formatBytes(value);
    case 'ratio':
      return formatPercent(value);
    case 'count':
      return formatCount(value);
  }
}

/** A comparison metric's unit (compare.json), shared by the text table and report.html. */
export type MetricUnit = 'ms' | 'req/s' | 'ratio' | 'count' | 'MB' | 'queries' | 'text';

/** A comparison figure in its own unit: the text table and report.html print the same string. */
export function formatMetricValue(v: number | string | null | undefined, unit: MetricUnit | string): string {
  if (v === null || v === undefined) return 'n/a';
  if (typeof v === 'string') return v;
  switch (unit) {
    case 'ms':
      return formatMs(v);
    case 'req/s':
      return formatRate(v);
    case 'ratio':
      return formatPercent(v);
    case 'MB':
      return `${Math.round(v)} MB`;
    case 'queries':
      return v.toFixed(2);
    case 'count':
      return Number.isInteger(v) ? formatCount(v) : v.toFixed(1);
    default:
      return `${Math.round(v * 100) / 100}${unit && unit !== 'text' ? ` ${unit}` : ''}`;
  }
}

/** `<= 60 ms`, `>= 300 req/s`, `< 1.00 s` (ASCII, so CI logs read the same everywhere). */
export function formatLimit(t: Pick<TargetResult, 'comparator' | 'limit' | 'unit'>): string {
  return `${t.comparator} ${formatTargetValue(t.limit, t.unit)}`;
}

/**
 * Drop escape sequences and control characters from text that came from outside (a service's
 * stderr line in an event's detail): reports must never move the cursor or change colours.
 */
export function sanitize(text: string): string {
  return (
    text
      // CSI (ESC [ ... final), OSC (ESC ] ... BEL/ST), and two-character escapes.
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?/g, '')
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b[@-_]?/g, '')
      // eslint-disable-next-line no-control-regex
      .replace(/[\r\n\t]+/g, ' ')
      // eslint-disable-next-line no-control-regex
      .replace(/[\x00-\x1f\x7f-\x9f]/g, '')
  );
}

/** Number of terminal columns a string takes. Our own glyphs (blocks, box lines) are one column each. */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    // East Asian wide and emoji ranges take two columns; combining marks take none.
    if (cp >= 0x300 && cp <= 0x36f) continue;
    w += (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd)
      ? 2
      : 1;
  }
  return w;
}

/** Cut to at most `width` columns, marking the cut with `…`. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  if (displayWidth(text) <= width) return text;
  let out = '';
  let w = 0;
  for (const ch of text) {
    const cw = displayWidth(ch);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return out + '…';
}

/** Exactly `width` columns: truncated, then padded (left-aligned, or right-aligned for numbers). */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const t = truncate(text, width);
  const pad = ' '.repeat(Math.max(0, width - displayWidth(t)));
  return align === 'left' ? t + pad : pad + t;
}
