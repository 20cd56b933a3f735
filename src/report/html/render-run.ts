/** report.html of one run: charts on one time axis, the verdict and the facts beside them. */
import { formatBytes } from '../format.ts';
import { chartBlock, clock, esc, page } from './page.ts';
import { runCharts } from './run-charts.ts';
import type { RunFolder } from './run-folder.ts';
import { alertsTable, claimsTable, eventsTable, hostTable, servicesTable, settingsTable, verdictTable, verdictWord } from './run-tables.ts';

export function renderRunReport(run: RunFolder): string {
  const charts = runCharts(run);
  const v = verdictWord(run);
  const r = run.run;
  const kills = run.events.filter((e) => e.event === 'oom-kill');
  const length = run.series.length ? clock(run.series.t.at(-1)! - run.series.t[0]) : '0:00';
  const header = `<p class="sub"><span class="verdict-badge ${v.cls}">${v.word}</span>${r.capBytes > 0 ? `profile <b>${esc(r.profile)}</b> under a ${esc(formatBytes(r.capBytes))} cap, ${esc(r.driver)} driver` : `<b>${esc(r.profile)}</b> (no stack: a running service loaded)`} · run ${esc(r.runId)} · started ${esc(r.startedAt)} · ${esc(length)} recorded${kills.length ? ` · <span class="fail-t">${kills.length} OOM kill${kills.length > 1 ? 's' : ''}</span>` : ''}</p>`;
  const main = `<h2>Timeline</h2>${charts.map(chartBlock).join('')}`;
  const side = `<h2>Verdict</h2>${verdictTable(run)}<h2>Services</h2>${servicesTable(run)}<h2>The seed's plan, measured</h2>${claimsTable(run)}<h2>Alerts</h2>${alertsTable(run)}<h2>Settings</h2>${settingsTable(run)}<h2>Host</h2>${hostTable(run)}`;
  const after = `<h2>Events</h2>${eventsTable(run)}`;
  return page({ title: `simulate: ${r.profile} — ${v.word}`, header, main, side, after, charts });
}
