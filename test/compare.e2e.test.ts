/**
 * `simulate compare` end to end: the 4gb profile against a variant without cache and Redis (--set), two
 * real short runs (--quick: a fixed 10 s warm-up; 6 s judged, 1,800 requests each) one after another under the same cap and scenario; the table of deltas on stdout,
 * compare.csv and compare.json written, each run judged, nothing left behind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertNothingLeft } from './helpers/leftovers.ts';
import { isRoot, ROOT_SKIP, simulate } from './helpers/stack.ts';
import { readCsv } from './helpers/csv.ts';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'simulate-compare-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe.skipIf(!isRoot)(`simulate compare (${isRoot ? 'root' : ROOT_SKIP})`, () => {
  it('4gb vs no cache through --set: both judged, deltas printed, compare.csv and compare.json written', async () => {
    const r = await simulate(
      ['compare', '--profile', '4gb', '--variant', 'nocache=--set app.environment.CACHE_ENABLED=false --set redis.x-simulate.enabled=false', '--quick', '--repeat', '1', '--duration', '6', '--no-tui', '--out', out],
      { timeoutMs: 300_000 },
    );
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    // Each finished run's one-line summary on stderr, the table on stdout.
    expect(r.stderr).toMatch(/compare: \[1\/2\] 4gb: (PASS|FAIL), avg /);
    expect(r.stderr).toMatch(/compare: \[2\/2\] nocache: (PASS|FAIL), avg /);
    expect(r.stdout).toMatch(/FIGURE\s+4GB\s+NOCACHE\s+Δ VS 4GB/);
    expect(r.stdout).toMatch(/OOM kills\s+0\s+0\s+0/);
    const dir = path.join(out, fs.readdirSync(out).find((d) => d.startsWith('compare-'))!);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'compare.json'), 'utf8'));
    expect(json.variants.map((v: { label: string; overrides: string[] }) => [v.label, v.overrides])).toEqual([
      ['4gb', []],
      ['nocache', ['app.environment.CACHE_ENABLED=false', 'redis.x-simulate.enabled=false']],
    ]);
    // Both runs ran under the same cap, and the variant's run.json records its overrides.
    const runs = json.variants.map((v: { runs: Array<{ runDir: string; capBytes: number }> }) => v.runs[0]!);
    expect(runs[0].capBytes).toBe(runs[1].capBytes);
    const variantRun = JSON.parse(fs.readFileSync(path.join(runs[1].runDir, 'run.json'), 'utf8'));
    expect(variantRun.overrides).toEqual(['app.environment.CACHE_ENABLED=false', 'redis.x-simulate.enabled=false']);
    expect(variantRun.services.map((s: { name: string }) => s.name)).not.toContain('redis');
    const csv = readCsv(path.join(dir, 'compare.csv'));
    const row = (label: string) => csv.find((x) => x.metric === label)!;
    // The cache: hits with it, no lookups without it (not judged as a rate).
    expect(Number(row('cache hit rate')['4gb'])).toBeGreaterThan(0);
    expect(row('cache hit rate').nocache).toBe('');
    // Without the cache every read reaches PostgreSQL: more queries per request.
    expect(Number(row('queries per request').nocache)).toBeGreaterThan(Number(row('queries per request')['4gb']));
    expect(row('peak working set: redis').nocache).toBe('');
    await assertNothingLeft();
  }, 320_000);
});
