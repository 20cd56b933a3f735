/**
 * The tables beside a run's charts: the verdict, the services, the seed's claims next to the measurements, the
 * settings, the host, and the events. Each figure is read from the run's files; nothing is recomputed that the
 * run already judged.
 */
import { formatBytes, formatLimit, formatTargetValue } from '../format.ts';
import type { TargetResult } from '../../model/index.ts';
import { safetyLine, serviceColumns } from './run-charts.ts';
import type { RunFolder, TargetJson } from './run-folder.ts';
import { clock, esc, table } from './page.ts';

const MB = 1024 * 1024;

const targetValue = (t: TargetJson, v: number | null) => formatTargetValue(v, t.unit as TargetResult['unit']);
const targetLimit = (t: TargetJson) => formatLimit({ comparator: t.comparator as TargetResult['comparator'], limit: t.limit, unit: t.unit as TargetResult['unit'] });

export function verdictWord(run: RunFolder): { word: string; cls: 'pass' | 'fail' | 'none' } {
  const v = run.report?.verdict;
  if (!v) return { word: 'NO VERDICT', cls: 'none' };
  if (v.interrupted) return { word: 'INTERRUPTED', cls: 'none' };
  return v.pass ? { word: 'PASS', cls: 'pass' } : { word: 'FAIL', cls: 'fail' };
}

export function verdictTable(run: RunFolder): string {
  const v = run.report?.verdict;
  if (!v) return '<p class="note">No report.json: the run did not reach its end, so there is no verdict.</p>';
  return table({
    head: ['target', 'measured', 'limit', 'result'],
    numeric: [1, 2],
    rows: v.targets.map((t) => {
      const judged = !t.notJudged;
      const result = !judged ? '<span class="none-t">not judged</span>' : t.measured === null ? '<span class="none-t">not measured</span>' : t.pass ? '<span class="pass-t">pass</span>' : '<span class="fail-t">FAIL</span>';
      const broke = judged && !t.pass && t.firstBrokeAtS !== undefined ? ` first at ${clock(t.firstBrokeAtS)}` : '';
      const notes = [t.notJudged, t.detail].filter(Boolean).map((n) => `<div class="note">${esc(n)}</div>`).join('');
      return {
        cls: !judged || t.measured === null ? undefined : t.pass ? 'pass' : 'fail',
        cells: [`${esc(t.label)}${notes}`, esc(targetValue(t, t.measured)), esc(targetLimit(t)), `${result}${esc(broke)}`],
      };
    }),
    note: `Load model: ${v.model}${v.model === 'open' ? ' (fixed arrival rate; latency from the scheduled send)' : v.model === 'closed' ? ' (autocannon, closed loop)' : ''}. Judged over the stages not marked "not judged".${v.standins.length ? ` Stand-ins (models, not the real programs): ${v.standins.join(', ')}.` : ''}`,
  });
}

function maxOf(v: Array<number | null>): number | null {
  let m: number | null = null;
  for (const x of v) if (x !== null && (m === null || x > m)) m = x;
  return m;
}

export interface ServiceRow {
  name: string;
  kind: string;
  version?: string | null;
  budgetBytes?: number | null;
  peakWorkingSetMb: number | null;
  peakRssMb: number | null;
  peakSwapMb: number | null;
  oomKills: number;
  restarts: number;
}

export function serviceRows(run: RunFolder): ServiceRow[] {
  const cols = new Map(serviceColumns(run).map((c) => [c.name, c]));
  return run.run.services.map((s) => {
    const c = cols.get(s.name);
    const col = (suffix: string) => (c && run.series.has(`${c.prefix}_${suffix}`) ? maxOf(run.series.num(`${c.prefix}_${suffix}`)) : null);
    return {
      name: s.name,
      kind: s.kind,
      version: s.version,
      budgetBytes: s.budgetBytes,
      peakWorkingSetMb: col('working_set_mb'),
      peakRssMb: col('rss_mb'),
      peakSwapMb: col('swap_mb'),
      oomKills: run.events.filter((e) => e.event === 'oom-kill' && e.service === s.name).length,
      restarts: run.events.filter((e) => e.event === 'service-restart' && e.service === s.name).length,
    };
  });
}

const mbText = (mb: number | null) => (mb === null ? '–' : formatBytes(mb * MB));

export function servicesTable(run: RunFolder): string {
  const rows = serviceRows(run);
  return table({
    head: ['service', 'peak', 'budget', 'RSS', 'swap', 'OOM', 'restarts'],
    numeric: [1, 2, 3, 4, 5, 6],
    rows: rows.map((r) => {
      const over = r.budgetBytes && r.peakWorkingSetMb !== null && r.peakWorkingSetMb * MB > r.budgetBytes;
      return {
        cls: r.oomKills ? 'fail' : undefined,
        cells: [
          `${esc(r.name)} ${r.kind === 'standin' ? '<span class="tag standin">standin</span>' : r.kind === 'unavailable' ? '<span class="tag">not run</span>' : '<span class="tag">real</span>'}${r.version ? `<div class="note" title="${esc(r.version)}">${esc(r.version.length > 34 ? `${r.version.slice(0, 33)}…` : r.version)}</div>` : ''}`,
          `${esc(mbText(r.peakWorkingSetMb))}${over ? ' <span class="fail-t">over</span>' : ''}`,
          esc(r.budgetBytes ? formatBytes(r.budgetBytes) : '–'),
          esc(mbText(r.peakRssMb)),
          esc(mbText(r.peakSwapMb)),
          r.oomKills ? `<span class="fail-t">${r.oomKills}</span>` : '0',
          String(r.restarts),
        ],
      };
    }),
    note: 'Peak = highest working set; RSS and swap: their highest. Over the whole run (start-up included), from timeseries.csv. OOM = kills by the kernel. Budget: the profile\'s per-service allocation (the seed\'s plan for the shipped profiles). A stand-in is a model of the service\'s memory, not the program.',
  });
}

/**
 * The seed's claims for the 4 GB plan, word for word in meaning, beside what this run measured. The claims are
 * the plan's text (not results); the measurements are this run's.
 */
const SEED_CLAIMS: Array<{ target: string; claim: string }> = [
  { target: 'avg_latency', claim: 'average latency 60 ms' },
  { target: 'throughput', claim: '300 req/s' },
  { target: 'p99_latency', claim: 'p99 < 1 s' },
  { target: 'cache_hit_rate', claim: 'cache hit rate 50–70 %' },
  { target: 'free_memory', claim: 'about 800 MB left free' },
];

export function claimsTable(run: RunFolder): string {
  const v = run.report?.verdict;
  const rows: Array<{ cells: string[]; cls?: string }> = [];
  for (const c of SEED_CLAIMS) {
    const t = v?.targets.find((x) => x.name === c.target);
    if (!t) continue;
    rows.push({ cls: t.notJudged || t.measured === null ? undefined : t.pass ? 'pass' : 'fail', cells: [esc(c.claim), esc(`${targetValue(t, t.measured)}${t.notJudged ? ' (not judged)' : ''}`)] });
  }
  const peak = maxOf(run.series.num('stack_working_set_mb'));
  if (peak !== null && run.run.capBytes > 0) {
    const line = safetyLine(run).bytes;
    rows.push({ cls: peak * MB > line ? 'fail' : 'pass', cells: [`3.2 GB in use at most (the memory alert line; this run's: ${esc(formatBytes(line))})`, esc(`${formatBytes(peak * MB)} peak working set`)] });
  }
  const budgets = serviceRows(run).filter((r) => r.budgetBytes && r.peakWorkingSetMb !== null);
  for (const r of budgets) {
    rows.push({
      cls: r.peakWorkingSetMb! * MB > r.budgetBytes! ? 'fail' : 'pass',
      cells: [esc(`${r.name}: ${formatBytes(r.budgetBytes!)} (budget)`), esc(`${formatBytes(r.peakWorkingSetMb! * MB)} peak${r.kind === 'standin' ? ' (standin model)' : ''}`)],
    });
  }
  if (!rows.length) return '<p class="note">No measurement in this run to set beside the seed\'s claims.</p>';
  return table({ head: ['the seed says', 'this run measured'], numeric: [1], rows, note: 'Claims from the plan the profiles are built from; the figures are this run\'s.' });
}

export function settingsTable(run: RunFolder): string {
  const r = run.run;
  const started = Date.parse(r.startedAt);
  const ended = r.endedAt ? Date.parse(r.endedAt) : NaN;
  const rows: Array<[string, string]> = [
    ['run id', r.runId],
    ['profile', `${r.profile}${r.profileFile ? ` (${r.profileFile})` : ''}`],
    ['driver', r.driver],
    ['memory cap', r.capBytes > 0 ? formatBytes(r.capBytes) : 'none (no stack: --target)'],
    ['swap allowed', r.swapBytes ? formatBytes(r.swapBytes) : 'none'],
    ['CPU limit', r.cpus ? `${r.cpus} cores` : 'none'],
    ['cgroup', `v${r.cgroupVersion ?? '?'}`],
    ['scenario', r.scenario ?? 'no load'],
    ['load model', r.loadModel ?? '–'],
    ['started', r.startedAt],
    ['length', Number.isFinite(ended) ? clock((ended - started) / 1000) : 'did not end'],
    ['exit code', r.exitCode === undefined ? '–' : String(r.exitCode)],
  ];
  // Settings other work adds to run.json (overrides, data size, ...) are shown as they are.
  const known = new Set(['runId', 'profile', 'profileFile', 'driver', 'capBytes', 'swapBytes', 'cpus', 'cgroupVersion', 'scenario', 'loadModel', 'startedAt', 'endedAt', 'exitCode', 'phase', 'host', 'services', 'targets', 'safetyLineBytes', 'cgroup', 'appUrl', 'interrupted']);
  for (const [k, v] of Object.entries(r)) {
    if (known.has(k) || v === undefined || v === null) continue;
    rows.push([k, settingText(v)]);
  }
  if (r.targets) {
    const t = r.targets;
    rows.push(['targets', `avg ≤ ${t.avgLatencyMs} ms, ≥ ${t.minRps} req/s, p99 < ${t.p99Ms} ms, errors ≤ ${((t.maxErrorRate ?? 0) * 100).toFixed(1)} %, hit rate ≥ ${((t.minCacheHitRate ?? 0) * 100).toFixed(0)} %, free ≥ ${formatBytes(t.minFreeBytes ?? 0)}, OOM kills ≤ ${t.maxOomKills}`]);
  }
  return table({ head: ['setting', 'value'], keyed: true, rows: rows.map(([k, v]) => ({ cells: [esc(k), esc(v)] })) });
}

/** A setting another part of the run recorded, as a person reads it: `key: value; …`, sizes in bytes formatted. */
export function settingText(v: unknown, key = ''): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number' && /bytes$/i.test(key)) return formatBytes(v);
  if (Array.isArray(v)) return v.length ? v.map((x) => settingText(x)).join(', ') : 'none';
  if (typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined && x !== null)
      .map(([k, x]) => `${k}: ${typeof x === 'object' && !Array.isArray(x) ? `{${settingText(x)}}` : settingText(x, k)}`)
      .join('; ');
  }
  return String(v);
}

export function hostTable(run: RunFolder): string {
  const h = run.run.host ?? {};
  const get = (k: string) => (h as Record<string, unknown>)[k];
  const rows: Array<[string, string]> = [];
  const cpu = get('cpu') as Record<string, unknown> | undefined;
  if (cpu) rows.push(['CPU', `${cpu.model ?? '?'}, ${cpu.cores ?? '?'} cores${cpu.physicalCores && cpu.physicalCores !== cpu.cores ? ` (${cpu.physicalCores} physical)` : ''}`]);
  else if (get('cpus')) rows.push(['CPU', `${get('cpus')} cores`]);
  if (typeof get('memoryBytes') === 'number') rows.push(['memory', formatBytes(get('memoryBytes') as number)]);
  if (typeof get('swapBytes') === 'number') rows.push(['swap', get('swapBytes') ? formatBytes(get('swapBytes') as number) : 'none']);
  const os = get('os') as Record<string, unknown> | undefined;
  if (os) rows.push(['system', `${os.distro ?? ''} ${os.release ?? ''} (${os.arch ?? ''})`.trim()]);
  if (get('kernel')) rows.push(['kernel', String(get('kernel'))]);
  const virt = get('virtualisation') as Record<string, unknown> | undefined;
  if (virt) rows.push(['virtualisation', virt.virtual ? `virtual${virt.host ? `: ${virt.host}` : ''}${virt.model ? ` (${virt.model})` : ''}` : 'none detected']);
  const disk = get('disk') as Record<string, unknown> | undefined;
  if (disk) rows.push(['disk', `${disk.mount} (${disk.type}): ${formatBytes(Number(disk.availableBytes))} free of ${formatBytes(Number(disk.sizeBytes))}`]);
  if (get('node')) rows.push(['Node.js', String(get('node'))]);
  if (!rows.length) return '<p class="note">run.json has no host facts.</p>';
  return table({ head: ['host', ''], keyed: true, rows: rows.map(([k, v]) => ({ cells: [esc(k), esc(v)] })) });
}

const SHOWN_EVENTS = new Set(['run-start', 'service-ready', 'service-exit', 'oom-kill', 'service-restart', 'service-unavailable', 'swap-start', 'stage-start', 'target-missed', 'alert-firing', 'alert-resolved', 'fault-start', 'fault-end', 'run-end', 'info']);

export function eventsTable(run: RunFolder): string {
  const rows = run.events.filter((e) => SHOWN_EVENTS.has(e.event));
  if (!rows.length) return '<p class="note">No events.</p>';
  return `<div class="events">${table({
    head: ['time', 'service', 'event', 'detail'],
    rows: rows.map((e) => ({
      cls: e.event === 'oom-kill' || e.event === 'target-missed' ? 'fail' : undefined,
      cells: [clock(e.t), `${esc(e.service)}${e.serviceKind === 'standin' ? ' <span class="tag standin">standin</span>' : ''}`, esc(e.event), esc(e.detail)],
    })),
  })}</div>`;
}

export function alertsTable(run: RunFolder): string {
  const alerts = run.report?.alertsFired ?? [];
  if (!alerts.length) return '<p class="note">No Prometheus alert fired during the run (as read at its end).</p>';
  return table({ head: ['alert', 'state', 'summary'], rows: alerts.map((a) => ({ cells: [esc(a.name), esc(`${a.state ?? ''}${a.severity ? `, ${a.severity}` : ''}`), esc(a.summary ?? '')] })) });
}
