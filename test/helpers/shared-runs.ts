/**
 * Real runs shared by test files: profiles.e2e, soak.e2e and report-html.e2e all assert on a short 4gb run and a
 * short full-elk run, and each of those takes a minute or two. The first file that asks starts the run;
 * its exit code, output and folder are kept for the rest of the suite (in the folder globalSetup made,
 * see suite-setup.ts) and every later file asserts on the same run. Nothing is assumed: a run that
 * failed is handed back as it was, and each file's expectations fail on it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import { simulate } from './stack.ts';

export interface SharedRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The run's own folder (report.json, events.csv, ...). */
  dir: string;
  /** False when this call started the run, true when an earlier file (or test) did. */
  reused: boolean;
}

/** steady-300's mix with a fixed 5 s warm-up and 15 s judged, for runs that need load but no steady state. */
export const SHORT_SCENARIO = 'test/fixtures/scenarios/steady-300-short.yaml';

/** The runs every file sees: one argument list each, so a reused run is exactly the run asked for. */
export const SHARED_RUNS = {
  // Small data and a short judged stage (the full default is test/bench/dataset-bench.ts). The warm-up
  // until steady state (about 50 s here) runs in full; 122 s judged at 300 req/s is 36,600 requests: every
  // target, and the least for a working-set trend (120 s, src/verdict/trend.ts MIN_TREND_S, and 2 s to
  // spare for a reading lost at either end), so soak.e2e asserts the trend on this run instead of a
  // second 3-minute stack of its own. No --no-tui: stdout and stderr are pipes, and the test checks no
  // escape code is written.
  '4gb': ['--profile', '4gb', '--driver', 'process', '--data', '64m', '--duration', '122'],
  // The app's small seed and a 20 s load (test/fixtures/scenarios/steady-300-short.yaml): the kills come
  // from the stand-ins, not the data or the load's length. Elasticsearch is first OOM-killed about 6 s in
  // and restarted within a second, again and again (seen here: 10 kills, 9 restarts in 80 s).
  'full-elk': ['--profile', 'full-elk', '--driver', 'process', '--data', 'none', '--scenario', SHORT_SCENARIO],
} as const satisfies Record<string, readonly string[]>;

const pending = new Map<string, Promise<SharedRun>>();

export function sharedRun(name: keyof typeof SHARED_RUNS, timeoutMs = 400_000): Promise<SharedRun> {
  let p = pending.get(name);
  if (!p) {
    p = startOrReuse(name, timeoutMs);
    pending.set(name, p);
  }
  return p;
}

async function startOrReuse(name: keyof typeof SHARED_RUNS, timeoutMs: number): Promise<SharedRun> {
  const base = path.join(inject('sharedRunsDir'), name);
  const record = path.join(base, 'result.json');
  if (fs.existsSync(record)) return { ...(JSON.parse(fs.readFileSync(record, 'utf8')) as Omit<SharedRun, 'reused'>), reused: true };
  const out = path.join(base, 'out');
  fs.rmSync(base, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const r = await simulate([...SHARED_RUNS[name], '--out', out], { timeoutMs });
  const runs = fs.readdirSync(out).filter((d) => fs.statSync(path.join(out, d)).isDirectory());
  if (runs.length !== 1) throw new Error(`shared run ${name}: expected one run folder in ${out}, found ${runs.length} (exit ${r.code}): ${r.stderr.slice(-1500)}`);
  const result = { ...r, dir: path.join(out, runs[0]!) };
  fs.writeFileSync(record, JSON.stringify(result));
  return { ...result, reused: false };
}
