/**
 * `npm run bench:dataset` (run it inside the heavy lock; it takes minutes): the production-shaped default
 * as a table. Seeding time of the kept dataset (built now with `--rebuild`, else read from its record),
 * then one `simulate --profile 4gb` with the default data: copy time, seconds from the command to the
 * stack being up, time to steady state, database size, Redis against maxmemory and its evictions,
 * shared buffers in use, the stack's peak working set and page cache.
 *
 *   node --import tsx test/bench/dataset-bench.ts [--data 3g] [--rebuild] [--duration 60]
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { datasetSpec, readDatasetRecord } from '../../src/dataset/dataset-spec.ts';
import { loadProfile } from '../../src/profile/load-profile.ts';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(REPO, 'src', 'cli', 'bin.js');
const { values: args } = parseArgs({ options: { data: { type: 'string' }, rebuild: { type: 'boolean', default: false }, duration: { type: 'string' } } });

const GB = 1024 ** 3;
const MB = 1024 ** 2;
const rows: Array<[string, string]> = [];
const row = (k: string, v: string) => {
  rows.push([k, v]);
  process.stderr.write(`${k}: ${v}\n`);
};

async function main(): Promise<void> {
  const stack = loadProfile('4gb', { workDir: '/var/tmp/simulate/unresolved', data: args.data });
  if (!stack.datasetBytes) throw new Error('no dataset for this profile and --data');
  const spec = datasetSpec(stack, stack.datasetBytes);
  if (args.rebuild) fs.rmSync(spec.dir, { recursive: true, force: true });
  const t0 = Date.now();
  await run(process.execPath, [BIN, 'setup', '--profile', '4gb', ...(args.data ? ['--data', args.data] : [])], { maxBuffer: 16 * MB });
  const record = readDatasetRecord(spec)!;
  row('dataset', `${spec.key} (${(record.databaseBytes / GB).toFixed(2)} GB, ${record.rows.messages.toLocaleString('en-US')} messages, ${record.rows.documents.toLocaleString('en-US')} documents)`);
  row('seeding time', `${record.seedSeconds.toFixed(1)} s${args.rebuild ? ` (built now; setup took ${((Date.now() - t0) / 1000).toFixed(1)} s in all)` : ' (from the kept record; --rebuild to measure again)'}`);

  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'dataset-bench-'));
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, '--profile', '4gb', '--driver', 'process', '--no-tui', '--out', out, ...(args.data ? ['--data', args.data] : []), ...(args.duration ? ['--duration', args.duration] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stackUpS: number | undefined;
  child.stderr.on('data', (d: Buffer) => {
    // The app's ready line: the whole stack is up (it starts last but Prometheus and Grafana, which follow fast).
    if (stackUpS === undefined && /ready\s+app/.test(d.toString())) stackUpS = (Date.now() - started) / 1000;
  });
  child.stdout.resume();
  const code: number = await new Promise((r) => child.once('exit', (c) => r(c ?? 1)));
  const dir = path.join(out, fs.readdirSync(out)[0]!);
  const runJson = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
  const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
  row('copy time', `${runJson.dataset.copySeconds.toFixed(1)} s (${(runJson.dataset.residentAfterCopy * 100).toFixed(1)} % left in the page cache)`);
  row('command to app ready', stackUpS === undefined ? 'not seen' : `${stackUpS.toFixed(1)} s`);
  const st = report.steadyState;
  row('time to steady state', st.reached ? `${st.reachedAtS} s into the run (warm-up ${st.warmUp})` : `not reached (${st.stillMoving}); warm-up ${st.warmUp}`);
  row('database size', `${(runJson.database.sizeBytes / GB).toFixed(2)} GB`);
  const r = report.caches.redis;
  if (r) row('Redis (judged)', `peak ${(r.peakUsedMemoryBytes / MB).toFixed(0)} of ${(r.maxmemoryBytes / MB).toFixed(0)} MB maxmemory, ${r.evictedKeys} keys evicted (${r.evictedKeysWholeRun} in the whole run)`);
  const p = report.caches.postgres;
  if (p) row('PostgreSQL (judged)', `shared buffers in use up to ${p.sharedBuffersUsedPeakPct?.toFixed(1)} %, buffer hit ratio ${((p.bufferHitRatio ?? 0) * 100).toFixed(1)} %, up to ${p.connectionsPeak} connections`);
  row('stack peak', `working set ${(report.memory.peakWorkingSetBytes / GB).toFixed(2)} GB, page cache ${(report.memory.peakPageCacheBytes / GB).toFixed(2)} GB`);
  row('verdict', `${report.verdict.pass ? 'PASS' : 'FAIL'} (exit ${code}): ${report.verdict.targets.map((t: { name: string; pass: boolean; notJudged?: string }) => `${t.name} ${t.notJudged ? 'not judged' : t.pass ? 'pass' : 'FAIL'}`).join(', ')}`);
  row('run folder', dir);

  const w = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n${'MEASURE'.padEnd(w)}  VALUE\n${rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')}\n`);
}

main().catch((err) => {
  process.stderr.write(`dataset-bench: ${(err as Error).message}\n`);
  process.exit(1);
});
