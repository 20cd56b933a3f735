import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../errors.ts';
import type { RunOptions, RunResult } from '../run/run.ts';
import { buildCompareTable, compareCsvRows } from './compare-table.ts';
import { renderCompareTable } from './compare-text.ts';
import { runComparison, sharedRunOptions, type CompareEntry } from './compare.ts';
import { parseCsv, readRunSummary } from './run-summary.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simulate-compare-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface FakeRun {
  pass: boolean;
  avgMs: number;
  p99Ms: number;
  okRps: number;
  hitRate: number | null;
  oomKills: number;
  restarts: number;
  stackMb: number[];
  es?: number[];
  app?: { dbConnectionsPeak: number; queriesPerRequest: number; dbQueryAvgMs: number };
}

/** A run folder as Run writes it (the parts the comparison reads). */
function writeRunFolder(dir: string, profile: string, overrides: string[], f: FakeRun): void {
  fs.mkdirSync(dir, { recursive: true });
  const services = [
    { name: 'app', kind: 'real' },
    { name: 'postgres', kind: 'real' },
    ...(f.es ? [{ name: 'elasticsearch', kind: 'standin' }] : []),
  ];
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ runId: path.basename(dir), profile, overrides, capBytes: 4 * 1024 ** 3, scenario: 'steady-300', services }));
  const targets = [
    { name: 'avg_latency', label: 'average latency', measured: f.avgMs, pass: f.avgMs <= 60 },
    { name: 'throughput', label: 'throughput (completed)', measured: f.okRps, pass: f.okRps >= 297 },
    { name: 'p99_latency', label: 'p99 latency', measured: f.p99Ms, pass: f.p99Ms < 1000 },
    { name: 'error_rate', label: 'errors and drops', measured: 0.001, pass: true },
    ...(f.hitRate === null ? [] : [{ name: 'cache_hit_rate', label: 'cache hit rate', measured: f.hitRate, pass: f.hitRate >= 0.5 }]),
    { name: 'oom_kills', label: 'OOM kills', measured: f.oomKills, pass: f.oomKills === 0 },
  ];
  fs.writeFileSync(
    path.join(dir, 'report.json'),
    JSON.stringify({
      exitCode: f.pass ? 0 : 1,
      verdict: { pass: f.pass, interrupted: false, targets, oomKills: Array.from({ length: f.oomKills }, () => ({})) },
      load: { measured: { requests: 18000, ok: 17982, failures: 18, dropped: 0, avgMs: f.avgMs, p50Ms: f.avgMs / 2, p99Ms: f.p99Ms, okRps: f.okRps } },
      app: f.app ?? null,
    }),
  );
  const header = ['time', 't_s', 'stack_working_set_mb', 'app_working_set_mb', 'postgres_working_set_mb', ...(f.es ? ['elasticsearch_standin_working_set_mb'] : [])];
  const rows = f.stackMb.map((mb, i) => [`t${i}`, i, mb, 100 + i, 200 + i, ...(f.es ? [f.es[i] ?? ''] : [])]);
  fs.writeFileSync(path.join(dir, 'timeseries.csv'), [header, ...rows].map((r) => r.join(',')).join('\n') + '\n');
  const events = [['time', 't_s', 'service', 'service_kind', 'event', 'pid', 'detail']];
  for (let i = 0; i < f.oomKills; i++) events.push(['x', String(i), 'elasticsearch', 'standin', 'oom-kill', '1', 'killed, "working set" 2000 MB']);
  for (let i = 0; i < f.restarts; i++) events.push(['x', String(i), 'elasticsearch', 'standin', 'service-restart', '1', 'restart']);
  fs.writeFileSync(path.join(dir, 'events.csv'), events.map((r) => r.map((c) => (c.includes(',') || c.includes('"') ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\n') + '\n');
}

const FULL: FakeRun = { pass: false, avgMs: 900, p99Ms: 9000, okRps: 240, hitRate: 0.6, oomKills: 3, restarts: 3, stackMb: [3000, 4090, 4000], es: [2100, 2200, 300] };
const LIGHT: FakeRun = { pass: true, avgMs: 3, p99Ms: 20, okRps: 300, hitRate: 0.7, oomKills: 0, restarts: 0, stackMb: [400, 460, 450], app: { dbConnectionsPeak: 4, queriesPerRequest: 0.6, dbQueryAvgMs: 0.8 } };

describe('a run folder as the comparison reads it', () => {
  it('gives the verdict, latency, rate, kills, restarts, peaks per service and the app figures', () => {
    const dir = path.join(tmp, 'r-full');
    writeRunFolder(dir, 'full-elk', [], FULL);
    const s = readRunSummary(dir);
    expect(s).toMatchObject({ label: 'full-elk', verdict: 'FAIL', avgMs: 900, p50Ms: 450, p99Ms: 9000, completedRps: 240, errors: 18, oomKills: 3, restarts: 3, peakStackMb: 4090 });
    expect(s.peakServiceMb).toEqual({ app: 102, postgres: 202, elasticsearch: 2200 });
    expect(s.standins).toEqual(['elasticsearch']);
    expect(s.targetsMissed).toEqual(['average latency', 'throughput (completed)', 'p99 latency', 'OOM kills']);
  });

  it('a folder without run.json or report.json is an input error', () => {
    fs.mkdirSync(path.join(tmp, 'empty'), { recursive: true });
    expect(() => readRunSummary(path.join(tmp, 'empty'))).toThrow(InputError);
  });
});

describe('the table of deltas', () => {
  it('has every figure, deltas against the first variant, and a spread when a variant ran more than once', () => {
    const a1 = path.join(tmp, 'a1');
    const a2 = path.join(tmp, 'a2');
    const b1 = path.join(tmp, 'b1');
    writeRunFolder(a1, '4gb', [], LIGHT);
    writeRunFolder(a2, '4gb', [], { ...LIGHT, avgMs: 5 });
    writeRunFolder(b1, 'full-elk', [], FULL);
    const table = buildCompareTable([
      { label: '4gb', profile: '4gb', overrides: [], runs: [readRunSummary(a1), readRunSummary(a2)] },
      { label: 'full-elk', profile: 'full-elk', overrides: [], runs: [readRunSummary(b1)] },
    ]);
    const row = (k: string) => table.rows.find((r) => r.key === k)!;
    expect(row('avgMs')).toMatchObject({ values: [4, 900], spreads: [2, null], deltas: [null, 896] });
    expect(row('oomKills')).toMatchObject({ values: [0, 3], deltas: [null, 3] });
    expect(row('restarts')).toMatchObject({ values: [0, 3], deltas: [null, 3] });
    expect(row('verdict').values).toEqual(['PASS/PASS', 'FAIL']);
    expect(row('peak.elasticsearch')).toMatchObject({ label: 'peak working set: elasticsearch (standin)', values: [null, 2200] });
    expect(row('queriesPerRequest').values).toEqual([0.6, null]);
    const csv = compareCsvRows(table);
    expect(csv[0]).toEqual(['metric', 'unit', '4gb', '4gb spread', 'full-elk', 'full-elk spread', 'full-elk - 4gb', 'full-elk vs 4gb %']);
    expect(csv.find((r) => r[0] === 'OOM kills')).toEqual(['OOM kills', 'count', 0, 0, 3, '', 3, '']);
    const text = renderCompareTable(table).join('\n');
    expect(text).toMatch(/OOM kills\s+0\s+3\s+\+3/);
    expect(text).toMatch(/average latency\s+4\.0 ms ±1\.0 ms\s+900 ms\s+\+896 ms \(×225\)/);
    expect(text).toMatch(/completed rate\s+300 req\/s\s+240 req\/s\s+-60\.0 req\/s \(-20%\)/);
  });
});

describe('runComparison', () => {
  const fakeRunner = (plan: Record<string, FakeRun>, seen: RunOptions[]) => async (opts: RunOptions): Promise<RunResult> => {
    seen.push(opts);
    const key = opts.overrides?.length ? opts.overrides.join(' ') : opts.profile;
    const dir = path.join(opts.outDir, `run-${seen.length}`);
    writeRunFolder(dir, opts.profile, opts.overrides ?? [], plan[key]!);
    opts.reporter.onEnd?.({} as never);
    return { runDir: dir, exitCode: plan[key]!.pass ? 0 : 1 } as RunResult;
  };

  it('runs every variant under the first one’s cap and scenario, round-robin over repeats, and writes compare.json and compare.csv', async () => {
    const seen: RunOptions[] = [];
    const done: string[] = [];
    const entries: CompareEntry[] = [
      { kind: 'run', label: 'full-elk', profile: 'full-elk', overrides: [] },
      { kind: 'run', label: '4gb', profile: '4gb', overrides: [] },
    ];
    const r = await runComparison({
      entries,
      repeat: 2,
      common: { driver: 'process', model: 'open', sampleIntervalMs: 1000, durationS: 20, data: '64m' },
      outDir: tmp,
      signal: new AbortController().signal,
      reporterFor: () => ({}),
      onRunDone: (s, i, n) => void done.push(`${i}/${n} ${s.label} ${s.verdict}`),
      run: fakeRunner({ 'full-elk': FULL, '4gb': LIGHT }, seen),
    });
    expect(seen.map((o) => o.profile)).toEqual(['full-elk', '4gb', 'full-elk', '4gb']);
    expect(new Set(seen.map((o) => o.cap))).toEqual(new Set([String(4 * 1024 ** 3)]));
    expect(new Set(seen.map((o) => o.scenario))).toEqual(new Set(['steady-300']));
    expect(seen.every((o) => o.durationS === 20 && o.outDir === r.dir)).toBe(true);
    // --data reaches every run: variants start from the same kept dataset.
    expect(seen.every((o) => o.data === '64m')).toBe(true);
    expect(done).toEqual(['1/4 full-elk FAIL', '2/4 4gb PASS', '3/4 full-elk FAIL', '4/4 4gb PASS']);
    const json = JSON.parse(fs.readFileSync(path.join(r.dir, 'compare.json'), 'utf8'));
    expect(json).toMatchObject({ kind: 'simulate-compare', version: 1, baseline: 'full-elk', settings: { repeat: 2, scenario: 'steady-300' } });
    expect(json.variants.map((v: { label: string; runs: unknown[] }) => [v.label, v.runs.length])).toEqual([['full-elk', 2], ['4gb', 2]]);
    const csv = parseCsv(fs.readFileSync(path.join(r.dir, 'compare.csv'), 'utf8'));
    expect(csv.find((row) => row[0] === 'OOM kills')!.slice(0, 7)).toEqual(['OOM kills', 'count', '3', '0', '0', '0', '-3']);
  });

  it('a variant with --set overrides passes them to its run; a bad override fails before any run', async () => {
    const seen: RunOptions[] = [];
    const entries: CompareEntry[] = [
      { kind: 'run', label: '4gb', profile: '4gb', overrides: [] },
      { kind: 'run', label: 'nocache', profile: '4gb', overrides: ['app.environment.CACHE_ENABLED=false'] },
    ];
    await runComparison({
      entries,
      repeat: 1,
      common: { driver: 'process', model: 'open', sampleIntervalMs: 1000 },
      outDir: tmp,
      signal: new AbortController().signal,
      reporterFor: () => ({}),
      run: fakeRunner({ '4gb': LIGHT, 'app.environment.CACHE_ENABLED=false': { ...LIGHT, hitRate: null, avgMs: 8 } }, seen),
    });
    expect(seen.map((o) => o.overrides)).toEqual([[], ['app.environment.CACHE_ENABLED=false']]);
    expect(() => sharedRunOptions([entries[0]!, { kind: 'run', label: 'bad', profile: '4gb', overrides: ['nosuch.x=1'] }], { driver: 'process', model: 'open', sampleIntervalMs: 1000 })).toThrow(/has no service "nosuch"/);
    expect(() => sharedRunOptions([entries[0]!], { driver: 'process', model: 'open', sampleIntervalMs: 1000 })).toThrow(/at least two/);
  });

  it('takes folders of earlier runs as they are', async () => {
    const old = path.join(tmp, 'old-full');
    writeRunFolder(old, 'full-elk', [], FULL);
    const seen: RunOptions[] = [];
    const r = await runComparison({
      entries: [
        { kind: 'folder', label: 'old-full', runDir: old },
        { kind: 'run', label: '4gb', profile: '4gb', overrides: [] },
      ],
      repeat: 1,
      common: { driver: 'process', model: 'open', sampleIntervalMs: 1000 },
      outDir: tmp,
      signal: new AbortController().signal,
      reporterFor: () => ({}),
      run: fakeRunner({ '4gb': LIGHT }, seen),
    });
    expect(seen).toHaveLength(1);
    expect(r.table.labels).toEqual(['old-full', '4gb']);
  });
});

describe('--quick', () => {
  it('a warm-up that runs until steady becomes a fixed one; the mix and judged stages stay', async () => {
    const { fixedWarmUpScenario } = await import('./compare.ts');
    const { loadScenario } = await import('../load/index.ts');
    const file = fixedWarmUpScenario('steady-300', tmp, 10);
    expect(file).toMatch(/scenario-steady-300\.yaml$/);
    const quick = await loadScenario(file);
    const orig = await loadScenario('steady-300');
    expect(quick.stages[0]).toMatchObject({ name: 'warm-up', duration: 10, exclude: true });
    expect(quick.stages[0]!.until).toBeUndefined();
    expect(quick.stages.slice(1)).toEqual(orig.stages.slice(1));
    expect(quick.requests).toEqual(orig.requests);
    expect(quick.name).toBe(orig.name);
  });
});
