/**
 * The HTML page around a report: uPlot (from node_modules) and the drawing script (client/) inlined, the
 * data as JSON, styles for screen and print. One file, no request leaves it, it opens from disk.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { ChartOrSkip } from './chart-spec.ts';
import { REPORT_CLIENT_JS } from './client/report-client.ts';
import { isSkipped } from './chart-spec.ts';

const require = createRequire(import.meta.url);

let assets: { uplotJs: string; uplotCss: string; client: string } | undefined;
function loadAssets() {
  assets ??= {
    uplotJs: fs.readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    uplotCss: fs.readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    client: REPORT_CLIENT_JS,
  };
  return assets;
}

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON inside <script>: `</script` and `<!--` cannot end or confuse the element. */
function scriptJson(data: unknown): string {
  return JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export interface Table {
  caption?: string;
  head: string[];
  /** Cells are HTML (escape text with `esc`); a row may carry a class (`fail`, `pass`). */
  rows: Array<{ cells: string[]; cls?: string }>;
  /** Right-align these columns (numbers). */
  numeric?: number[];
  /** A key-value table (settings, host): the key column keeps its words whole, the value wraps. */
  keyed?: boolean;
  note?: string;
}

export function table(t: Table): string {
  const align = (i: number) => (t.numeric?.includes(i) ? ' class="num"' : '');
  // Wrapped: a wide table (many variants) scrolls sideways on screen instead of running off the page.
  return `<div class="tw"><table${t.keyed ? ' class="kv"' : ''}>${t.caption ? `<caption>${esc(t.caption)}</caption>` : ''}<thead><tr>${t.head.map((h, i) => `<th${align(i)}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${t.rows
    .map((r) => `<tr${r.cls ? ` class="${r.cls}"` : ''}>${r.cells.map((c, i) => `<td${align(i)}>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div>${t.note ? `<p class="note">${esc(t.note)}</p>` : ''}`;
}

export function chartBlock(c: ChartOrSkip): string {
  if (isSkipped(c)) {
    return `<section class="chart skipped" data-chart-skipped="${esc(c.id)}"><h3>${esc(c.title)}</h3><p class="note">Not drawn: ${esc(c.skipped)}.</p></section>`;
  }
  const markers = (c.markers ?? []).filter((m) => ['oom-kill', 'service-restart', 'fault-start', 'fault-end'].includes(m.kind));
  const list = markers.length && c.id.startsWith('memory')
    ? `<p class="markers">${markers.map((m) => `<span class="${m.kind === 'oom-kill' ? 'oom' : m.kind.startsWith('fault') ? 'fault' : 'restart'}">${esc(m.label)} at ${clock(m.x)}</span>`).join(' · ')}</p>`
    : '';
  return `<section class="chart" data-chart="${esc(c.id)}"><h3>${esc(c.title)}</h3>${c.note ? `<p class="note">${esc(c.note)}</p>` : ''}<div class="plot"></div>${list}</section>`;
}

export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

const STYLE = `
:root { --fg:#1a1a1a; --muted:#5a5a5a; --line:#d8d8d8; --pass:#1e7b34; --fail:#b3261e; --warn:#8a5a00; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0 auto; padding: 16px 24px 48px; max-width: 1280px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 2px; }
.sub { color: var(--muted); margin: 0 0 12px; }
.verdict-badge { display: inline-block; padding: 2px 10px; border-radius: 4px; color: #fff; font-weight: 600; margin-right: 8px; }
.verdict-badge.pass { background: var(--pass); } .verdict-badge.fail { background: var(--fail); } .verdict-badge.none { background: var(--muted); }
.layout { display: grid; grid-template-columns: minmax(0, 1fr) 520px; gap: 24px; align-items: start; }
.side { overflow-x: auto; }
.side table { font-size: 12.5px; }
.side h2:first-child { margin-top: 0; }
.chart { margin: 0 0 22px; break-inside: avoid; page-break-inside: avoid; }
.chart .plot { width: 100%; min-height: 280px; }
.chart.skipped { border: 1px dashed var(--line); padding: 8px 12px; }
.note { color: var(--muted); font-size: 12.5px; margin: 2px 0 6px; }
.markers { font-size: 12.5px; margin: 4px 0; }
.markers .oom { color: #d62728; } .markers .restart { color: #b35f00; } .markers .fault { color: #7b3fa0; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; font-size: 13px; break-inside: avoid; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
th { font-weight: 600; background: #f4f4f4; }
table.kv td:first-child, table.kv th:first-child { white-space: nowrap; overflow-wrap: normal; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.fail td:first-child { border-left: 3px solid var(--fail); } tr.pass td:first-child { border-left: 3px solid var(--pass); }
.tag { display: inline-block; font-size: 11px; padding: 0 5px; border-radius: 3px; border: 1px solid var(--muted); color: var(--muted); }
.tag.standin { border-color: var(--warn); color: var(--warn); }
.pass-t { color: var(--pass); font-weight: 600; } .fail-t { color: var(--fail); font-weight: 600; } .none-t { color: var(--muted); font-weight: 600; }
.pass-t, .fail-t, .none-t { white-space: nowrap; }
.u-legend { font-size: 12px; } .u-legend .u-marker { width: 12px; height: 12px; }
/* Legend values are the cursor's: shown while it is over the chart, not as dashes on a still page or paper. */
.chart .u-legend .u-value, .chart .u-legend tr:first-child { display: none; }
.chart .plot:hover .u-legend .u-value, .chart .plot:hover .u-legend tr:first-child { display: revert; }
.single .layout { grid-template-columns: 1fr; }
.events { max-height: 420px; overflow: auto; }
.tw { overflow-x: auto; max-width: 100%; }
button.zoom { font: inherit; font-size: 12px; margin: 0 0 4px; padding: 1px 8px; cursor: pointer; }
footer { color: var(--muted); font-size: 12px; margin-top: 32px; }
@media (max-width: 1000px) { .layout { grid-template-columns: 1fr; } }
@media print {
  @page { size: A4; margin: 12mm; }
  body { max-width: none; padding: 0; font-size: 11px; }
  .layout { display: block; }
  .events { max-height: none; overflow: visible; }
  .tw { overflow: visible; }
  .single table { font-size: 9px; }
  button.zoom { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .u-legend { font-size: 10px; }
  a { color: inherit; text-decoration: none; }
}`;

export interface Page {
  title: string;
  /** HTML under the title: the verdict line, run id, dates. */
  header: string;
  /** The main column (charts) and the side column (tables). */
  main: string;
  side: string;
  /** Below both, full width (events). */
  after?: string;
  charts: ChartOrSkip[];
  /** One column (side tables below the main one): comparisons and reviews, whose tables are wide. */
  single?: boolean;
  /** Where the figures come from, for the footer. */
  sources?: string;
}

export function page(p: Page): string {
  const a = loadAssets();
  const drawn = p.charts.filter((c) => !isSkipped(c));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(p.title)}</title>
<style>${a.uplotCss}</style>
<style>${STYLE}</style>
</head>
<body${p.single ? ' class="single"' : ''}>
<header><h1>${esc(p.title)}</h1>${p.header}</header>
<div class="layout"><main>${p.main}</main><aside class="side">${p.side}</aside></div>
${p.after ?? ''}
<footer>Written by simulate. Every figure comes from ${esc(p.sources ?? "this run's own files (run.json, report.json, timeseries.csv, events.csv)")}; charts drawn with uPlot, inlined. Opens offline.</footer>
<script id="report-data" type="application/json">${scriptJson({ charts: drawn })}</script>
<script>${a.uplotJs}</script>
<script>${a.client}</script>
</body>
</html>
`;
}
