/**
 * A short soak (small data): the 4gb stack warmed up until steady state, then 122 s at 300 req/s: the
 * least for which a trend is fitted (120 s judged, src/verdict/trend.ts MIN_TREND_S) and 2 s to spare for
 * a reading lost at either end. It is the suite's shared 4gb run (helpers/shared-runs.ts), the default
 * scenario's mix at the soak's rate: `--scenario soak` differs only in the stage's name and length, and
 * the shipped scenarios are loaded by src/load/scenario.test.ts. The run prints the trend line and its
 * projection, reports whether and when steady state came, and says the growth target is "not judged"
 * (a week's horizon needs at least 10 minutes judged). The 30-minute soak is `--scenario soak`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from './helpers/csv.ts';
import { assertNothingLeft } from './helpers/leftovers.ts';
import { sharedRun } from './helpers/shared-runs.ts';
import { isRoot, ROOT_SKIP } from './helpers/stack.ts';

describe.skipIf(!isRoot)(`a short soak (${isRoot ? 'root' : ROOT_SKIP})`, () => {
  it('prints the working-set trend and its projection; growth not judged under 10 minutes; steady state reported', async () => {
    const r = await sharedRun('4gb');
    expect([0, 1], r.stderr.slice(-2000)).toContain(r.code);
    expect(r.stderr).toMatch(/working set [+-]\d+\.\d MB\/min \(R² \d\.\d\d\) over 2 min judged: 3\.2 GB line (reached in|never reached|already)[^;]*; held memory \(less the page cache, reclaimed before any OOM kill\) [+-]\d+\.\d MB\/min \(R² \d\.\d\d\): cap (reached in|never reached|already)/);
    const dir = r.dir;
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
    expect(report.trend.judgedS).toBeGreaterThanOrEqual(120);
    expect(report.trend.stack.held.endBytes).toBeGreaterThan(0);
    expect(Object.keys(report.trend.services)).toEqual(expect.arrayContaining(['postgres', 'redis', 'app']));
    const growth = report.verdict.targets.find((t: { name: string }) => t.name === 'growth');
    expect(growth.notJudged).toMatch(/2 min judged; a growth trend needs at least 10 min/);
    expect(report.steadyState.warmUp).toMatch(/^until steady, at most \d+ s$/);
    expect(typeof report.steadyState.reached).toBe('boolean');
    // The judged seconds are all in timeseries.csv, with the caches beside the memory.
    const ts = readCsv(path.join(dir, 'timeseries.csv'));
    expect(ts.filter((row) => row.stage === 'steady').length).toBeGreaterThanOrEqual(120);
    expect(ts.some((row) => row.redis_keys !== '' && Number(row.pg_connections) >= 2)).toBe(true);
    await assertNothingLeft();
  }, 450_000);
});
