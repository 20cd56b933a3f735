import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSyntheticRun } from '../../../test/helpers/synthetic-run.ts';
import { InputError } from '../../errors.ts';
import { csvLine } from '../../util/csv-file.ts';
import { isSkipped, type ChartSpec } from './chart-spec.ts';
import { loadRunFolder, parseRunFiles, renderCapacityReport, renderCompareReport, renderRunReport, writeRunReport } from './index.ts';
import { alignOnTime } from './render-compare.ts';
import { cacheChart, memoryChart, runCharts } from './run-charts.ts';
import { capacityCharts } from './render-capacity.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'report-html-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const HOSTILE = '=HYPERLINK("http://x"), </script><img src=x onerror=alert(1)>\nsecond line';
const elkDir = writeSyntheticRun(tmp, { seconds: 90, kills: [30, 60], hostileDetail: HOSTILE, runId: 'elk-like' });
const okDir = writeSyntheticRun(tmp, { seconds: 80, runId: 'ok-like', latencyFactor: 2 });

describe('run charts', () => {
  it('memory: services stacked (each band on the ones below), the cap and safety lines, each OOM kill and restart marked and named', () => {
    const run = loadRunFolder(elkDir);
    const chart = memoryChart(run) as ChartSpec;
    expect(chart.series.map((s) => s.label)).toEqual(['postgres', 'redis', 'app', 'elasticsearch (standin)', 'stack total (cgroup)']);
    const i = 50;
    const own = chart.series.slice(0, 4).map((s) => s.own![i]!);
    expect(chart.series[3].values[i]).toBeCloseTo(own.reduce((a, b) => a + b, 0), 1);
    expect(chart.lines?.map((l) => l.label)).toEqual(['cap 4.00 GB', 'safety line 3.13 GB']);
    expect(chart.markers).toEqual([
      expect.objectContaining({ x: 30, kind: 'oom-kill', label: 'OOM kill: elasticsearch' }),
      expect.objectContaining({ x: 32, kind: 'service-restart', label: 'restart: elasticsearch' }),
      expect.objectContaining({ x: 60, kind: 'oom-kill', label: 'OOM kill: elasticsearch' }),
      expect.objectContaining({ x: 62, kind: 'service-restart', label: 'restart: elasticsearch' }),
    ]);
    expect(chart.bands).toEqual([{ from: 0, to: 15, label: 'warm-up (not judged)' }]);
  });

  it('the cache chart is skipped with a reason when the run has no cache columns, drawn when it has them', () => {
    const run = loadRunFolder(okDir);
    const skipped = cacheChart(run);
    // Runs now always carry the cache columns; a stack without Redis leaves them empty.
    expect(isSkipped(skipped) && skipped.skipped).toMatch(/no cache or Redis columns|recorded no Redis figure/);
    const ts = fs.readFileSync(path.join(okDir, 'timeseries.csv'), 'utf8').trim().split('\n');
    // The columns the production-shaped runs add (issue 11's names).
    const withRedis = [
      `${ts[0]},redis_used_memory_mb,redis_maxmemory_mb,redis_evicted_keys_per_s,redis_expired_keys_per_s,redis_hit_ratio,pg_buffer_hit_ratio,pg_shared_buffers_used_pct,pg_connections`,
      ...ts.slice(1).map((l, i) => `${l},${100 + i},256,${i % 3},0,0.6,0.99,${Math.min(95, i)},12`),
    ].join('\n');
    const run2 = parseRunFiles('x', { runJson: fs.readFileSync(path.join(okDir, 'run.json'), 'utf8'), timeseriesCsv: withRedis });
    const drawn = cacheChart(run2) as ChartSpec;
    expect(drawn.series.map((s) => s.label)).toEqual(['Redis used memory', 'Redis hit ratio (keyspace)', 'evicted keys/s', 'expired keys/s']);
    expect(drawn.series[1].values[5]).toBe(60);
    expect(drawn.lines?.map((l) => l.label)).toEqual(['maxmemory 256 MB', 'hit-rate target 50 %']);
    const pg = runCharts(run2).find((c) => c.id === 'postgres') as ChartSpec;
    expect(pg.series.map((s) => s.label)).toEqual(['shared buffers used', 'buffer hit ratio', 'connections']);
    // Columns present but empty (no Redis answered): skipped, saying so.
    const empty = [`${ts[0]},redis_used_memory_mb,redis_hit_ratio`, ...ts.slice(1).map((l) => `${l},,`)].join('\n');
    const run3 = parseRunFiles('x', { runJson: fs.readFileSync(path.join(okDir, 'run.json'), 'utf8'), timeseriesCsv: empty });
    expect((cacheChart(run3) as { skipped: string }).skipped).toMatch(/recorded no Redis figure/);
  });

  it('a run without load skips latency and throughput, saying why', () => {
    const run = loadRunFolder(okDir);
    run.series = { ...run.series, num: (c: string) => (c.startsWith('latency') || c.startsWith('rate') ? run.series.t.map(() => null) : loadRunFolder(okDir).series.num(c)) };
    const charts = runCharts(run);
    expect(charts.filter(isSkipped).map((c) => c.id)).toEqual(['latency', 'throughput', 'cache', 'postgres']);
  });
});

describe('report.html', () => {
  const html = renderRunReport(loadRunFolder(elkDir));

  it('is one file: uPlot inlined, no external script, style, image or link', () => {
    expect(html).toContain('uPlot');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/url\(\s*['"]?https?:/i);
    expect(html).toMatch(/Content-Security-Policy" content="default-src 'none'/);
  });

  it('escapes text from the run: a detail cannot close the data script or add markup', () => {
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    const data = /<script id="report-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html)![1];
    expect(JSON.parse(data).charts.map((c: { id: string }) => c.id)).toEqual(['memory', 'latency', 'throughput', 'swap-psi']);
  });

  it('has the verdict, services (standin marked, budget, OOM kills), the seed\'s claims, settings, host and events', () => {
    expect(html).toContain('verdict-badge fail">FAIL');
    expect(html).toMatch(/<td>elasticsearch <span class="tag standin">standin<\/span><\/td><td class="num">1.76 GB <span class="fail-t">over/);
    expect(html).toContain('average latency 60 ms');
    expect(html).toContain('postgres: 800 MB (budget)');
    expect(html).toContain('OOM kill: elasticsearch at 0:30');
    expect(html).toContain('<td>memory cap</td><td>4.00 GB</td>');
    expect(html).toMatch(/<td>kernel<\/td><td>[^<]+<\/td>/);
    expect(html).toContain('FAIL</span> first at 0:30');
  });

  it('writeRunReport writes report.html into the run folder', () => {
    const file = writeRunReport(okDir);
    expect(file).toBe(path.join(okDir, 'report.html'));
    expect(fs.readFileSync(file, 'utf8')).toContain('verdict-badge pass">PASS');
  });

  it('a folder that is not a run is an input error naming what is missing', () => {
    expect(() => loadRunFolder(tmp)).toThrow(InputError);
    expect(() => loadRunFolder(tmp)).toThrow(/not a run folder \(no run.json and timeseries.csv\)/);
    expect(() => parseRunFiles('d', { runJson: '{"runId": 3}', timeseriesCsv: 't_s\n' })).toThrow(/run.json: runId: .*\n.*profile/);
  });

  it('event details with commas, quotes, newlines and formulas come back as written', () => {
    const run = loadRunFolder(elkDir);
    expect(run.events.at(-1)!.detail).toBe(HOSTILE);
    expect(csvLine([HOSTILE])).toMatch(/^"'=HYPERLINK/);
  });
});

describe('comparison', () => {
  it('aligns runs on their own seconds, with gaps where a run has no row', () => {
    const a = loadRunFolder(elkDir);
    const b = loadRunFolder(okDir);
    const { x, values } = alignOnTime([a, b], (r) => r.series.num('t_s'));
    expect(x).toHaveLength(90);
    expect(values[1][85]).toBeNull();
    expect(values[0][85]).toBe(85);
  });

  it('overlays the runs and writes a table of deltas against the first', () => {
    const html = renderCompareReport({ runs: [loadRunFolder(okDir), loadRunFolder(elkDir)], labels: ['light', 'full'] });
    const data = JSON.parse(/<script id="report-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html)![1]);
    const memory = data.charts.find((c: ChartSpec) => c.id === 'memory') as ChartSpec;
    expect(memory.series.map((s) => s.label)).toEqual(['A stack working set', 'B stack working set']);
    expect(memory.markers!.filter((m) => m.kind === 'oom-kill').map((m) => m.label)).toEqual(['B: OOM kill: elasticsearch', 'B: OOM kill: elasticsearch']);
    // OOM kills 0 → 2 is worse (red); average latency 18 ms → 9 ms is better (green).
    expect(html).toMatch(/<td>OOM kills<\/td><td class="num">0<\/td><td class="num">2<\/td><td class="num"><span class="fail-t">\+2<\/span><\/td>/);
    expect(html).toMatch(/<td>average latency<\/td><td class="num">18 ms<\/td><td class="num">9\.0 ms<\/td><td class="num"><span class="pass-t">−9\.0 ms \(-50 %\)<\/span>/);
    expect(html).toContain('B − A');
  });
});

describe('capacity review', () => {
  const input = {
    targets: { avgLatencyMs: 60, p99Ms: 1000 },
    tiers: [
      { name: '4gb', capBytes: 4 * 1024 ** 3, cost: '¥400/month', maxSustainedRps: 450, verdict: 'PASS' },
      { name: '2gb', capBytes: 2 * 1024 ** 3, cost: '¥200/month', maxSustainedRps: null, limitedBy: 'OOM kill at 150 req/s', verdict: 'FAIL' },
    ],
    steps: [
      { tier: '4gb', offeredRps: 150, completedRps: 150, avgMs: 8, p99Ms: 40, pass: true },
      { tier: '4gb', offeredRps: 300, completedRps: 300, avgMs: 12, p99Ms: 90, pass: true },
      { tier: '4gb', offeredRps: 600, completedRps: 480, avgMs: 900, p99Ms: 4000, pass: false, why: 'p99 4 s' },
      { tier: '4gb', offeredRps: 450, completedRps: 449, avgMs: 40, p99Ms: 600, pass: true },
      { tier: '2gb', offeredRps: 150, completedRps: 20, avgMs: 3000, p99Ms: 9000, oomKills: 1, pass: false, why: 'OOM kill' },
    ],
  };

  it('one chart per tier against the offered rate, sorted by rate, the maximum found marked', () => {
    const [a, b] = capacityCharts(input) as ChartSpec[];
    expect(a.x).toEqual([150, 300, 450, 600]);
    expect(a.markers).toEqual([expect.objectContaining({ x: 450, label: 'max sustained 450 req/s' })]);
    expect(b.markers).toEqual([expect.objectContaining({ x: 150, kind: 'oom-kill' })]);
  });

  it('the tier/cost table and the steps', () => {
    const html = renderCapacityReport(input);
    expect(html).toContain('¥400/month');
    expect(html).toContain('OOM kill at 150 req/s');
    expect(html).toContain('<span class="fail-t">fail</span> p99 4 s');
  });
});

describe('a --target run (no stack of its own)', () => {
  it('skips memory and swap with the reason, draws latency and rate, says no cap', () => {
    const ts = fs.readFileSync(path.join(okDir, 'timeseries.csv'), 'utf8');
    const runJson = JSON.stringify({ runId: 'target-1', profile: 'target 127.0.0.1:8080', capBytes: 0, startedAt: '2026-11-30T10:00:00Z', services: [], scenario: 'simple', loadModel: 'open' });
    const run = parseRunFiles('t', { runJson, timeseriesCsv: ts });
    const charts = runCharts(run);
    expect(charts.filter(isSkipped).map((c) => [c.id, c.skipped])).toEqual([
      ['memory', expect.stringMatching(/no stack of its own/)],
      ['swap-psi', expect.stringMatching(/no stack of its own/)],
      ['cache', expect.stringMatching(/no cache or Redis columns|recorded no Redis figure/)],
      ['postgres', expect.stringMatching(/no PostgreSQL figure/)],
    ]);
    const html = renderRunReport(run);
    expect(html).toContain('none (no stack: --target)');
    expect(html).toContain('NO VERDICT');
  });
});

describe('injected faults', () => {
  it('are marked on the memory chart (named) and on the others, and listed under the chart', () => {
    const events = [
      csvLine(['time', 't_s', 'service', 'service_kind', 'event', 'pid', 'detail']),
      csvLine(['2026-11-30T10:00:20Z', 20, 'postgres', 'real', 'fault-start', '', 'kill postgres (SIGKILL)']),
      csvLine(['2026-11-30T10:00:30Z', 30, 'postgres', 'real', 'fault-end', '', 'postgres back']),
    ].join('');
    const run = parseRunFiles('f', { runJson: fs.readFileSync(path.join(okDir, 'run.json'), 'utf8'), timeseriesCsv: fs.readFileSync(path.join(okDir, 'timeseries.csv'), 'utf8'), eventsCsv: events });
    const [memory, latency] = runCharts(run) as ChartSpec[];
    expect(memory.markers!.map((m) => [m.x, m.label])).toEqual([[20, 'fault: postgres'], [30, 'fault ends: postgres']]);
    expect(latency.markers!.map((m) => m.label)).toEqual(['fault: postgres']);
    expect(renderRunReport(run)).toContain('<span class="fault">fault: postgres at 0:20</span>');
  });
});

describe('settings other parts of the run record', () => {
  it('read as key: value, sizes formatted, empty lists as none', async () => {
    const { settingText } = await import('./run-tables.ts');
    expect(settingText({ sizeBytes: 69885287, built: true })).toBe('sizeBytes: 67 MB; built: true');
    expect(settingText([])).toBe('none');
    expect(settingText({ warmUp: 'until steady', reached: { atS: 69 } })).toBe('warmUp: until steady; reached: {atS: 69}');
  });
});
