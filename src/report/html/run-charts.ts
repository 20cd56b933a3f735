/**
 * The charts of one run, on one time axis (run seconds): memory by service against the cap and the safety
 * line with each OOM kill and restart marked and named; latency; offered and completed rate with errors;
 * swap and PSI; the cache and Redis when the run recorded them.
 */
import { columnName } from '../../run/run-outputs.ts';
import { formatBytes } from '../format.ts';
import { COLORS, PALETTE, withAlpha, type ChartOrSkip, type ChartSpec } from './chart-spec.ts';
import type { RunFolder } from './run-folder.ts';

const MB = 1024 * 1024;

export interface ServiceColumns {
  name: string;
  kind: string;
  label: string;
  /** Column prefix in timeseries.csv (`elasticsearch_standin`). */
  prefix: string;
}

/** The services that have columns in timeseries.csv (started ones), in run.json order. */
export function serviceColumns(run: RunFolder): ServiceColumns[] {
  return run.run.services
    .filter((s) => s.kind !== 'unavailable')
    .map((s) => ({ name: s.name, kind: s.kind, label: s.kind === 'standin' ? `${s.name} (standin)` : s.name, prefix: columnName(s.name, s.kind) }))
    .filter((s) => run.series.has(`${s.prefix}_working_set_mb`));
}

/** Seconds of each stage, from the timeseries' stage column; excluded ones per report.json. */
export function stageBands(run: RunFolder): Array<{ from: number; to: number; label: string; excluded: boolean }> {
  const excluded = new Set((run.report?.load?.stages ?? []).filter((s) => s.excluded).map((s) => s.name));
  const bands: Array<{ from: number; to: number; label: string; excluded: boolean }> = [];
  const { t, stage } = run.series;
  for (let i = 0; i < t.length; i++) {
    const name = stage[i];
    if (!name) continue;
    const last = bands.at(-1);
    if (last && last.label === name && t[i] - last.to <= 5) last.to = t[i];
    else bands.push({ from: t[i], to: t[i], label: name, excluded: excluded.has(name) });
  }
  return bands;
}

/** The safety line: run.json's own, else the profile default of 80 % of the cap (an older run folder). */
export function safetyLine(run: RunFolder): { bytes: number; note?: string } {
  if (run.run.safetyLineBytes !== undefined) return { bytes: run.run.safetyLineBytes };
  return { bytes: Math.round(run.run.capBytes * 0.8), note: 'run.json has no safety line (older run): 80 % of the cap, the profiles\' default' };
}

const MARKED: Record<string, { word: string; color: string }> = {
  'oom-kill': { word: 'OOM kill', color: COLORS.oom },
  'service-restart': { word: 'restart', color: COLORS.restart },
  'fault-start': { word: 'fault', color: COLORS.fault },
  'fault-end': { word: 'fault ends', color: COLORS.fault },
};

/** OOM kills, restarts and injected faults as markers: each named by its service. */
export function eventMarkers(run: RunFolder, prefix = ''): NonNullable<ChartSpec['markers']> {
  return run.events
    .filter((e) => e.event in MARKED)
    .map((e) => ({
      x: e.t,
      kind: e.event,
      color: MARKED[e.event].color,
      label: `${prefix}${MARKED[e.event].word}: ${e.service || e.detail.slice(0, 30) || '?'}`,
    }));
}

/** On the charts other than memory: the kills and faults, short. */
function shortMarkers(run: RunFolder): NonNullable<ChartSpec['markers']> {
  return eventMarkers(run)
    .filter((m) => m.kind === 'oom-kill' || m.kind === 'fault-start')
    .map((m) => ({ ...m, label: m.kind === 'oom-kill' ? 'OOM' : m.label }));
}

const nullIfZero = (v: Array<number | null>) => v.map((x) => (x === null || x <= 0 ? null : x));
const anyValue = (v: Array<number | null>) => v.some((x) => x !== null);
const add = (a: Array<number | null>, b: Array<number | null>) => a.map((x, i) => (x === null && b[i] === null ? null : (x ?? 0) + (b[i] ?? 0)));

/** The first column that exists among several names (columns added by later versions). */
function firstColumn(run: RunFolder, patterns: RegExp[]): string | undefined {
  for (const p of patterns) {
    const c = run.series.columns.find((col) => p.test(col));
    if (c) return c;
  }
  return undefined;
}

export function memoryChart(run: RunFolder): ChartOrSkip {
  const s = run.series;
  const services = serviceColumns(run);
  if (!s.length) return { id: 'memory', title: 'Memory', skipped: 'timeseries.csv has no rows: the run ended before its first sample' };
  if (run.run.capBytes <= 0 || !services.length) return { id: 'memory', title: 'Memory', skipped: 'this run had no stack of its own (--target loads a running service), so no memory was measured' };
  // Stacked: each service's band sits on the ones before it; the line is the running total.
  let below: Array<number | null> = s.t.map(() => 0);
  const series = services.map((svc, i) => {
    const own = s.num(`${svc.prefix}_working_set_mb`);
    const cumulative = add(below, own);
    below = cumulative;
    const color = PALETTE[i % PALETTE.length];
    return { label: svc.label, color, values: cumulative, own, fill: withAlpha(color, 0.45), width: 1 };
  });
  const capMb = run.run.capBytes / MB;
  const safety = safetyLine(run);
  const lines: NonNullable<ChartSpec['lines']> = [
    { value: Math.round(capMb), label: `cap ${fmtMb(capMb)}`, color: COLORS.cap },
    { value: Math.round(safety.bytes / MB), label: `safety line ${fmtMb(safety.bytes / MB)}`, color: COLORS.safety },
  ];
  const kills = run.events.filter((e) => e.event === 'oom-kill').length;
  return {
    id: 'memory',
    title: 'Memory: working set by service, stacked',
    note: `Working set = usage − inactive file cache, read from each service's cgroup every second; the dashed line is the whole capped cgroup. ${kills ? `${kills} OOM kill${kills > 1 ? 's' : ''} marked in red, restarts in orange.` : 'No OOM kill in this run.'}${run.events.some((e) => e.event === 'fault-start') ? ' Injected faults in purple.' : ''}${safety.note ? ` ${safety.note}.` : ''}`,
    x: s.t,
    xKind: 'time',
    series: [...series, { label: 'stack total (cgroup)', color: COLORS.stack, values: s.num('stack_working_set_mb'), dash: [6, 4], width: 1.5 }],
    // Headroom above the cap: the markers' names sit there, clear of the cap's line and the data.
    left: { label: 'MB', unit: 'MB', min: 0, max: Math.ceil(capMb * (run.events.some((e) => e.event === 'oom-kill' || e.event === 'service-restart') ? 1.35 : 1.08)) },
    lines,
    markers: eventMarkers(run),
    bands: excludedBands(run),
  };
}

function excludedBands(run: RunFolder) {
  return stageBands(run)
    .filter((b) => b.excluded)
    .map((b) => ({ from: b.from, to: b.to + 1, label: `${b.label} (not judged)` }));
}

/** Sizes as every other output of simulate prints them (binary units, `4.00 GB`). */
function fmtMb(mb: number): string {
  return formatBytes(mb * MB);
}

export function latencyChart(run: RunFolder): ChartOrSkip {
  const s = run.series;
  const p50 = nullIfZero(s.num('latency_p50_ms'));
  if (!anyValue(p50)) return { id: 'latency', title: 'Latency', skipped: 'no request completed in this run (no load, or --no-load)' };
  const tg = run.run.targets;
  const model = run.report?.verdict.model ?? run.run.loadModel ?? '';
  return {
    id: 'latency',
    title: 'Latency per second',
    note: `${model === 'open' ? 'Open model: latency counts from when each request was scheduled, so a stall shows as its full length.' : model === 'closed' ? 'Closed model (autocannon): latency from when each request was sent.' : ''} Log scale. OOM kills marked.`,
    x: s.t,
    xKind: 'time',
    series: [
      { label: 'p50', color: PALETTE[0], values: p50 },
      { label: 'p95', color: PALETTE[1], values: nullIfZero(s.num('latency_p95_ms')) },
      { label: 'p99', color: PALETTE[8], values: nullIfZero(s.num('latency_p99_ms')), width: 2 },
      { label: 'average', color: PALETTE[2], values: nullIfZero(s.num('latency_avg_ms')), dash: [4, 3] },
    ],
    left: { label: 'ms', unit: 'ms', log: true },
    lines: [
      { value: tg?.avgLatencyMs ?? 60, label: `average target ${tg?.avgLatencyMs ?? 60} ms`, color: PALETTE[2] },
      { value: tg?.p99Ms ?? 1000, label: `p99 target ${fmtMs(tg?.p99Ms ?? 1000)}`, color: PALETTE[8] },
    ],
    markers: shortMarkers(run),
    bands: excludedBands(run),
  };
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

export function throughputChart(run: RunFolder): ChartOrSkip {
  const s = run.series;
  const offered = s.num('rate_scheduled');
  if (!anyValue(offered)) return { id: 'throughput', title: 'Throughput', skipped: 'no load in this run' };
  const failed = add(add(s.num('errors'), s.num('dropped')), s.has('timeouts') ? s.num('timeouts') : s.t.map(() => null));
  const tg = run.run.targets;
  return {
    id: 'throughput',
    title: 'Offered and completed requests per second, errors',
    note: 'Offered (wide grey) = requests scheduled that second; completed (blue) = answered without error. Errors, drops and timeouts on the right axis.',
    x: s.t,
    xKind: 'time',
    series: [
      // Offered drawn wide and grey under completed: where they part, requests were not completed.
      { label: 'offered', color: '#9a9a9a', values: offered, width: 5 },
      { label: 'completed', color: PALETTE[0], values: s.num('rate_completed'), width: 1.5 },
      { label: 'errors + drops + timeouts', color: COLORS.oom, values: failed, axis: 'right' },
    ],
    left: { label: 'req/s', unit: 'req/s', min: 0 },
    right: { label: 'errors/s', unit: '/s', min: 0 },
    lines: tg?.minRps ? [{ value: tg.minRps, label: `target ${tg.minRps} req/s`, color: COLORS.target }] : [],
    markers: shortMarkers(run),
    bands: excludedBands(run),
  };
}

export function swapPsiChart(run: RunFolder): ChartOrSkip {
  const s = run.series;
  if (!s.length) return { id: 'swap-psi', title: 'Swap and memory pressure', skipped: 'timeseries.csv has no rows' };
  if (run.run.capBytes <= 0) return { id: 'swap-psi', title: 'Swap and memory pressure', skipped: 'this run had no stack of its own (--target), so no swap or PSI was recorded' };
  const psiSome = s.num('psi_some_avg10');
  const v1 = run.run.cgroupVersion === 1;
  const allZero = [s.num('stack_swap_mb'), psiSome, s.num('psi_full_avg10')].every((v) => v.every((x) => !x));
  return {
    id: 'swap-psi',
    title: 'Swap and memory pressure (PSI)',
    note: `Swap used by the stack's cgroup (cap on swap: ${run.run.swapBytes ? fmtMb(run.run.swapBytes / MB) : 'none'}). PSI = % of the last 10 s that tasks stalled waiting for memory${v1 ? '; on cgroup v1 it is the whole machine\'s' : ', the stack\'s own cgroup'}${anyValue(psiSome) ? '' : ' (not available here: no /proc/pressure/memory)'}.${allZero ? ' In this run: no swap used and no stall recorded (every value 0).' : ''}`,
    x: s.t,
    xKind: 'time',
    series: [
      { label: 'swap used', color: PALETTE[3], values: s.num('stack_swap_mb'), width: 2, fill: withAlpha(PALETTE[3], 0.15) },
      { label: 'PSI some', color: PALETTE[1], values: psiSome, axis: 'right' },
      { label: 'PSI full', color: COLORS.oom, values: s.num('psi_full_avg10'), axis: 'right', dash: [4, 3] },
    ],
    left: { label: 'MB', unit: 'MB', min: 0 },
    right: { label: '% stalled', unit: '%', min: 0 },
    markers: shortMarkers(run),
    bands: excludedBands(run),
  };
}

/**
 * Columns the cache and database charts look for: what the production-shaped runs add to timeseries.csv
 * (`redis_*`, `pg_*`). A run folder written before them simply has none, and the chart says so.
 */
export const CACHE_COLUMNS = {
  hitRate: [/^redis_hit_ratio$/, /^cache_hit_rate$/, /^cache_hit_ratio$/],
  redisMemory: [/^redis_used_memory_mb$/],
  redisMaxmemory: [/^redis_maxmemory_mb$/],
  evictions: [/^redis_evicted_keys_per_s$/, /^redis_evicted_keys$/],
  expired: [/^redis_expired_keys_per_s$/],
};

export function cacheChart(run: RunFolder): ChartOrSkip {
  const hit = firstColumn(run, CACHE_COLUMNS.hitRate);
  const mem = firstColumn(run, CACHE_COLUMNS.redisMemory);
  const evicted = firstColumn(run, CACHE_COLUMNS.evictions);
  const expired = firstColumn(run, CACHE_COLUMNS.expired);
  const maxmem = firstColumn(run, CACHE_COLUMNS.redisMaxmemory);
  const s = run.series;
  if ((!hit || !anyValue(s.num(hit))) && (!mem || !anyValue(s.num(mem))) && (!evicted || !anyValue(s.num(evicted)))) {
    return {
      id: 'cache',
      title: 'Cache and Redis',
      skipped: hit || mem || evicted
        ? 'the run recorded no Redis figure (the stack has no Redis, or it never answered)'
        : "this run's timeseries.csv has no cache or Redis columns (hit ratio, Redis used memory, evictions: runs of later versions record them), so there is nothing to draw; the cache hit rate over the judged stages is in the verdict table",
    };
  }
  const hitValues = hit ? s.num(hit).map((v) => (v === null ? null : v <= 1 ? v * 100 : v)) : undefined;
  const series = [
    ...(mem ? [{ label: 'Redis used memory', color: PALETTE[8], values: s.num(mem), width: 2 }] : []),
    ...(hitValues ? [{ label: hit === 'redis_hit_ratio' ? 'Redis hit ratio (keyspace)' : 'cache hit rate', color: PALETTE[2], values: hitValues, axis: 'right' as const, width: 2 }] : []),
    ...(evicted ? [{ label: 'evicted keys/s', color: PALETTE[1], values: s.num(evicted), axis: 'right' as const }] : []),
    ...(expired ? [{ label: 'expired keys/s', color: PALETTE[3], values: s.num(expired), axis: 'right' as const, dash: [4, 3] }] : []),
  ];
  const maxmemMb = maxmem ? s.num(maxmem).reduce<number>((m, v) => Math.max(m, v ?? 0), 0) : 0;
  const tg = run.run.targets;
  return {
    id: 'cache',
    title: 'Redis: memory, hit ratio, evictions',
    note: `Redis's own figures each second (INFO): used memory against maxmemory on the left; hit ratio (%) and keys evicted or expired per second on the right. From timeseries.csv: ${[mem, hit, evicted, expired].filter(Boolean).join(', ')}.`,
    x: s.t,
    xKind: 'time',
    series,
    left: mem ? { label: 'MB', unit: 'MB', min: 0 } : { label: '%', unit: '%', min: 0 },
    right: { label: hitValues && evicted ? '% hit · keys/s' : hitValues ? '%' : 'keys/s', unit: '', min: 0 },
    lines: [
      ...(maxmemMb > 0 ? [{ value: maxmemMb, label: `maxmemory ${fmtMb(maxmemMb)}`, color: PALETTE[8] }] : []),
      ...(hitValues && tg?.minCacheHitRate ? [{ value: tg.minCacheHitRate * 100, label: `hit-rate target ${Math.round(tg.minCacheHitRate * 100)} %`, color: PALETTE[2], axis: 'right' as const }] : []),
    ],
    markers: shortMarkers(run),
    bands: excludedBands(run),
  };
}

/** PostgreSQL's buffers and connections, when the run recorded them (`pg_*` columns). */
export function postgresChart(run: RunFolder): ChartOrSkip | undefined {
  const s = run.series;
  const used = s.has('pg_shared_buffers_used_pct') ? s.num('pg_shared_buffers_used_pct') : undefined;
  const hit = s.has('pg_buffer_hit_ratio') ? s.num('pg_buffer_hit_ratio').map((v) => (v === null ? null : v * 100)) : undefined;
  const conns = s.has('pg_connections') ? s.num('pg_connections') : undefined;
  if (!used && !hit && !conns) return undefined; // an older run: the cache chart's note covers it
  if (![used, hit, conns].some((v) => v && anyValue(v))) return { id: 'postgres', title: 'PostgreSQL', skipped: 'the run recorded no PostgreSQL figure (no PostgreSQL in the stack, or it never answered)' };
  return {
    id: 'postgres',
    title: 'PostgreSQL: shared buffers, buffer hit ratio, connections',
    note: 'Shared buffers in use (% of shared_buffers) and the buffer hit ratio (%) on the left; server connections on the right.',
    x: s.t,
    xKind: 'time',
    series: [
      ...(used ? [{ label: 'shared buffers used', color: PALETTE[0], values: used, width: 2 }] : []),
      ...(hit ? [{ label: 'buffer hit ratio', color: PALETTE[2], values: hit, width: 2 }] : []),
      ...(conns ? [{ label: 'connections', color: PALETTE[1], values: conns, axis: 'right' as const }] : []),
    ],
    left: { label: '%', unit: '%', min: 0, max: 100 },
    right: { label: 'connections', unit: '', min: 0 },
    markers: shortMarkers(run),
    bands: excludedBands(run),
  };
}

export function runCharts(run: RunFolder): ChartOrSkip[] {
  const pg = postgresChart(run);
  return [memoryChart(run), latencyChart(run), throughputChart(run), swapPsiChart(run), cacheChart(run), ...(pg ? [pg] : [])];
}
