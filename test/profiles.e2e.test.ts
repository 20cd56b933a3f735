/**
 * The main commands as a user runs them (stdout and stderr piped, as in CI): `--profile 4gb` meets the
 * seed's targets; `--profile full-elk` is OOM-killed by the kernel inside its cap, with a restart loop;
 * with swap on the host, `--swap` shows the stack swapping; `--target` loads a running service.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCUST_COLUMNS } from '../src/load/index.ts';
import { readCsv } from './helpers/csv.ts';
import { assertNothingLeft } from './helpers/leftovers.ts';
import { SHORT_SCENARIO, sharedRun } from './helpers/shared-runs.ts';
import { isRoot, ROOT_SKIP, simulate } from './helpers/stack.ts';
import { ensureSwap } from './helpers/swap.ts';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'simulate-profiles-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

function lastRunDir(): string {
  const dirs = fs.readdirSync(out).map((d) => path.join(out, d)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return dirs[0];
}
const json = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const ESC = '\x1b[';

describe.skipIf(!isRoot)(`the shipped profiles: 4gb in its default scenario, full-elk in 20 s of its mix (${isRoot ? 'root' : ROOT_SKIP})`, () => {
  it('4gb: every target measured and met, exit 0; summary.csv starts with the Locust columns; no escape codes when piped', async () => {
    // Small data and 122 s judged: the suite's time. The full default (3 GB, 60 s judged) is test/bench/dataset-bench.ts.
    // The same run report-html.e2e opens in Chromium (started once per suite: helpers/shared-runs.ts).
    const r = await sharedRun('4gb');
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(ESC);
    const dir = r.dir;
    const report = json(path.join(dir, 'report.json'));
    expect(report.verdict.model).toBe('open');
    const names = report.verdict.targets.map((t: { name: string }) => t.name);
    expect(names).toEqual(['avg_latency', 'throughput', 'p99_latency', 'error_rate', 'cache_hit_rate', 'growth', 'oom_kills', 'free_memory', 'lost_writes']);
    // 2 min judged: too short for a week's growth projection, and said so.
    expect(report.verdict.targets.find((t: { name: string }) => t.name === 'growth').notJudged).toMatch(/needs at least 10 min/);
    for (const t of report.verdict.targets.filter((x: { name: string }) => x.name !== 'growth')) expect(t.measured, t.name).not.toBeNull();
    // Started from the kept dataset, copied cold; the caches read every second.
    const run = json(path.join(dir, 'run.json'));
    expect(run.dataset).toMatchObject({ targetBytes: 64 * 1024 ** 2 });
    expect(run.dataset.residentAfterCopy).toBeLessThan(0.05);
    expect(run.database.sizeBytes).toBeGreaterThan(60 * 1024 ** 2);
    expect(report.steadyState).toMatchObject({ warmUp: expect.stringMatching(/^until steady/) });
    const ts = readCsv(path.join(dir, 'timeseries.csv'));
    expect(ts.some((row) => Number(row.redis_used_memory_mb) > 0 && Number(row.pg_shared_buffers_used_pct) > 0)).toBe(true);
    expect(report.verdict.oomKills).toEqual([]);
    const header = fs.readFileSync(path.join(dir, 'summary.csv'), 'utf8').split('\n')[0];
    expect(header.startsWith(LOCUST_COLUMNS.join(','))).toBe(true);
    const summary = readCsv(path.join(dir, 'summary.csv'));
    expect(summary.filter((row) => row.Name === 'Aggregated').map((row) => row.Stage)).toEqual(['warm-up', 'steady']);
    expect(r.stdout).toMatch(/Verdict: PASS/);
    expect(r.stdout).toMatch(/open model/);
    await assertNothingLeft();
  }, 420_000);

  it('full-elk: the kernel OOM-kills a service inside the run cgroup, each kill matches its kernel record, restarts follow; FAIL, exit 1', async () => {
    // A short run on the app's small seed, 20 s of the default mix (the kills come from the stand-ins, not the
    // data or the load's length); report-html.e2e checks the same run's chart marks each kill.
    const r = await sharedRun('full-elk');
    expect(r.code, r.stderr.slice(-2000)).toBe(1);
    const dir = r.dir;
    const runId = path.basename(dir);
    const events = readCsv(path.join(dir, 'events.csv'));
    const kills = events.filter((e) => e.event === 'oom-kill');
    expect(kills.length).toBeGreaterThanOrEqual(1);
    const dmesg = execFileSync('dmesg', { encoding: 'utf8' });
    for (const k of kills) {
      // The kernel's own record: this pid, killed in this run's cgroup, in that service's child.
      expect(dmesg).toContain(`oom_memcg=/simulate/${runId},task_memcg=/simulate/${runId}/${k.service},`);
      expect(dmesg).toMatch(new RegExp(`Memory cgroup out of memory: Killed process ${k.pid} `));
    }
    const restarts = events.filter((e) => e.event === 'service-restart');
    expect(restarts.some((e) => kills.some((k) => k.service === e.service))).toBe(true);
    const report = json(path.join(dir, 'report.json'));
    expect(report.verdict.pass).toBe(false);
    expect(report.verdict.targets.find((t: { name: string }) => t.name === 'oom_kills').pass).toBe(false);
    expect(report.verdict.standins).toEqual(expect.arrayContaining(['elasticsearch', 'logstash', 'kibana', 'grafana']));
    expect(report.verdict.oomKills[0]).toMatchObject({ service: kills[0].service });
    expect(report.verdict.oomKills[0].workingSetBytes).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/Verdict: FAIL/);
    expect(r.stdout).toMatch(/standin/);
    await assertNothingLeft();
  }, 420_000);
});

describe.skipIf(!isRoot)(`swap inside the cap (${isRoot ? 'root; makes a swap file when the host has none' : ROOT_SKIP})`, () => {
  it('full-elk with --cap 3g --swap 2g: swap in use, the seconds spent swapping marked, latency beside them', async () => {
    const removeSwap = ensureSwap();
    expect(removeSwap, 'could not add a swap file (fallocate/mkswap/swapon)').toBeDefined();
    try {
      // 20 s of load after a 5 s warm-up: the stand-ins fill the 3 GB cap within seconds.
      const r = await simulate(['--profile', 'full-elk', '--driver', 'process', '--cap', '3g', '--swap', '2g', '--data', 'none', '--scenario', SHORT_SCENARIO, '--out', out], { timeoutMs: 300_000 });
      expect([0, 1]).toContain(r.code);
      const dir = lastRunDir();
      const rows = readCsv(path.join(dir, 'timeseries.csv'));
      const swapped = rows.filter((row) => Number(row.stack_swap_mb) > 1);
      expect(swapped.length).toBeGreaterThan(5);
      expect(rows.some((row) => row.swapping === '1')).toBe(true);
      // The latency of the very seconds the stack was swapping is there to read.
      expect(swapped.filter((row) => row.latency_p99_ms !== '').length).toBeGreaterThan(5);
      const events = readCsv(path.join(dir, 'events.csv'));
      expect(events.some((e) => e.event === 'swap-start')).toBe(true);
      expect(json(path.join(dir, 'run.json')).swapBytes).toBe(2 * 1024 ** 3);
    } finally {
      removeSwap?.();
    }
    await assertNothingLeft();
  }, 320_000);
});

describe('--target: load a service that is already running', () => {
  it('sends rate × duration requests within 1 % and writes summary.csv, exit 0', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await simulate(['--target', `http://127.0.0.1:${port}/`, '--rate', '200', '--duration', '5', '--no-tui', '--out', out], { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      const summary = readCsv(path.join(lastRunDir(), 'summary.csv'));
      const agg = summary.find((row) => row.Name === 'Aggregated')!;
      expect(Math.abs(Number(agg['Request Count']) - 1000)).toBeLessThanOrEqual(10);
      expect(r.stdout).not.toContain(ESC);
    } finally {
      server.close();
    }
  });
});
