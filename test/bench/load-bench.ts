/**
 * `npm run bench`: the load generator next to wrk and autocannon, all measured in this run against
 * the same trivial local server (its own process): one table.
 *
 * - Max sustained rate at p99 ≤ 50 ms. wrk and autocannon: closed loop, 50 connections, their
 *   throughput with their own p99 (latency from the actual send). simulate's engine: open model,
 *   fixed arrival rates at fractions of wrk's figure from this repetition, the highest rate where
 *   ≥ 99 % completed, ≤ 1 % failed and p99 (from the scheduled send time) ≤ 50 ms.
 * - CPU and memory at 300 req/s: each tool as its own process for 40 s, CPU from /proc/<pid>/stat
 *   in two windows: 2-10 s (warm-up: V8 still compiling hot code and its memory reducer's first full
 *   collections) and 10-38 s (steady: what a run of minutes costs); peak RSS from VmHWM at 38 s. The
 *   steady window is the judged figure; the warm-up is printed beside it. wrk has no rate option: its
 *   Lua `delay()` paces 3 connections at 10 ms (about 300 req/s; the rate it reached is printed).
 *   simulate is the whole `simulate --target URL --rate 300` command (compiled build), not just the engine;
 *   its own timeseries.csv harness columns are printed beside.
 * - Start-up: wall time and peak RSS of `--help` / `--version` (and `simulate doctor`).
 *
 * Repeated `--runs N` times (default 3); the table shows medians (min–max). The machine is shared:
 * run it inside `flock /tmp/simulate-heavy.lock`.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { simpleScenario, startLoad } from '../../src/load/index.ts';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(REPO, 'src', 'cli', 'bin.js');
// bin.js's own check of whether the compiled build matches the sources (plain JavaScript, untyped).
const { currentBuild } = (await import(pathToFileURL(path.join(REPO, 'src', 'cli', 'compiled-build.js')).href)) as { currentBuild: () => string | undefined };
const AUTOCANNON = path.join(REPO, 'node_modules', 'autocannon', 'autocannon.js');
/** Node flags on bin.js's `#!/usr/bin/env -S node …` line: simulate is measured as it is started. */
const BIN_FLAGS = /^#!\/usr\/bin\/env -S node (.*)$/m.exec(fs.readFileSync(BIN, 'utf8').split('\n')[0]!)?.[1]?.split(/\s+/) ?? [];
const P99_LIMIT_MS = 50;
const STEP_S = 4;
const FRACTIONS = [0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 1.0];
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;

const SERVER = `
const http = require('node:http');
const s = http.createServer((req, res) => { res.setHeader('content-type', 'text/plain'); res.end('hello'); });
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => console.log(s.address().port));
`;

async function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${chunk.toString().trim()}/`, child };
}

const say = (s: string) => process.stderr.write(`${s}\n`);

// ---- closed-loop maxima -------------------------------------------------------------------------

interface Max {
  rps: number;
  p99Ms: number;
}

/** wrk's latency line: "99%    1.23ms" (us, ms or s). */
function wrkDuration(text: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(text);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

async function wrkMax(url: string): Promise<Max> {
  const { stdout } = await run('wrk', ['-t1', '-c50', '-d5s', '--latency', url]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const p99 = /\n\s+99%\s+(\S+)/.exec(stdout)?.[1] ?? '';
  return { rps, p99Ms: wrkDuration(p99) };
}

async function autocannonMax(url: string): Promise<Max> {
  const { stdout } = await run(process.execPath, [AUTOCANNON, '-c', '50', '-d', '5', '-j', url], { maxBuffer: 1 << 24 });
  const r = JSON.parse(stdout) as { requests: { average: number }; latency: { p99: number } };
  return { rps: r.requests.average, p99Ms: r.latency.p99 };
}

interface Step {
  rate: number;
  count: number;
  ok: number;
  failures: number;
  p99Ms: number;
  sustained: boolean;
}

async function engineStep(url: string, rate: number): Promise<Step> {
  const scenario = { ...simpleScenario(url, rate, STEP_S), maxInFlight: 1000, timeout: 5 };
  const { overall } = await startLoad(scenario, { baseUrl: url }).done;
  const a = overall.aggregate;
  const sustained = a.ok >= 0.99 * a.count && a.failures <= 0.01 * a.count && a.percentiles['99'] <= P99_LIMIT_MS;
  return { rate, count: a.count, ok: a.ok, failures: a.failures, p99Ms: a.percentiles['99'], sustained };
}

/**
 * Rising fractions of wrk's rate. The machine is shared: a step that misses is run once more (both
 * attempts are listed), and the search stops after two rates missed in a row.
 */
async function engineMax(url: string, wrkRps: number): Promise<{ best?: Step; steps: Step[] }> {
  const steps: Step[] = [];
  let misses = 0;
  for (const f of FRACTIONS) {
    const rate = Math.round((wrkRps * f) / 100) * 100;
    let s: Step | undefined;
    for (let attempt = 0; attempt < 2 && !s?.sustained; attempt++) {
      say(`  simulate engine (open model) at ${rate} req/s for ${STEP_S} s${attempt ? ' (again)' : ''}`);
      s = await engineStep(url, rate);
      steps.push(s);
    }
    misses = s!.sustained ? 0 : misses + 1;
    if (misses >= 2) break;
  }
  return { best: steps.filter((s) => s.sustained).pop(), steps };
}

// ---- cost at 300 req/s --------------------------------------------------------------------------

interface Cost {
  /** Seconds 10-38: the steady cost. */
  cpuPct: number;
  /** Seconds 2-10: start-up excluded, JIT and first collections included. */
  warmCpuPct: number;
  peakRssMb: number;
  /** Requests per second the tool reached, as it reported them. */
  rate: number;
  note?: string;
}

function procTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 (1-based) of stat; after "pid (comm) " they are 12 and 13 (1-based).
  return Number(fields[11]) + Number(fields[12]);
}

function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

/** Length of each tool's run at 300 req/s, and the two CPU windows (seconds from the start). */
const COST_RUN_S = 40;
const WARM = [2, 10] as const;
const STEADY = [10, COST_RUN_S - 2] as const;

/** Runs `argv` for its duration (COST_RUN_S); CPU in the WARM and STEADY windows, peak RSS at their end. */
async function measure(argv: string[]): Promise<Cost & { stdout: string }> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.resume();
  const exited = once(child, 'exit');
  const pid = child.pid!;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const began = performance.now();
  const untilS = (s: number) => sleep(Math.max(0, began + s * 1000 - performance.now()));
  // CPU over [fromS, toS): ticks and wall time read at both edges.
  const window = async (fromS: number, toS: number) => {
    await untilS(fromS);
    const t0 = performance.now();
    const c0 = procTicks(pid);
    await untilS(toS);
    const c1 = procTicks(pid);
    return ((c1 - c0) / CLK_TCK / ((performance.now() - t0) / 1000)) * 100;
  };
  const warmCpuPct = await window(...WARM);
  const cpuPct = await window(...STEADY);
  const rss = peakRssMb(pid);
  await exited;
  return { cpuPct, warmCpuPct, peakRssMb: rss, rate: NaN, stdout };
}

async function wrkAt300(url: string): Promise<Cost> {
  const script = path.join(os.tmpdir(), `bench-pace-${process.pid}.lua`);
  fs.writeFileSync(script, 'function delay()\n  return 10\nend\n');
  try {
    const m = await measure(['wrk', '-t1', '-c3', `-d${COST_RUN_S}s`, '-s', script, url]);
    return { ...m, rate: Number(/Requests\/sec:\s+([\d.]+)/.exec(m.stdout)?.[1]) };
  } finally {
    fs.rmSync(script, { force: true });
  }
}

async function autocannonAt300(url: string): Promise<Cost> {
  const m = await measure([process.execPath, AUTOCANNON, '-c', '10', '-R', '300', '-d', String(COST_RUN_S), '-j', url]);
  return { ...m, rate: (JSON.parse(m.stdout) as { requests: { average: number } }).requests.average };
}

interface SimulateCost extends Cost {
  ownCpuPct: number;
  ownWarmCpuPct: number;
  ownRssMb: number;
}

async function simulateAt300(url: string): Promise<SimulateCost> {
  ensureBuild();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-simulate-'));
  try {
    const m = await measure([process.execPath, ...BIN_FLAGS, BIN, '--target', url, '--rate', '300', '--duration', String(COST_RUN_S), '--no-tui', '--json', '--out', out]);
    const [runDir] = fs.readdirSync(out);
    const rows = fs.readFileSync(path.join(out, runDir!, 'timeseries.csv'), 'utf8').trim().split('\n');
    const header = rows[0]!.split(',');
    const col = (name: string) => rows.slice(1).map((r) => Number(r.split(',')[header.indexOf(name)])).filter((v) => Number.isFinite(v));
    const completed = col('rate_completed');
    // Its rows are the load's seconds, which begin a few hundred ms after the process: the same windows, near enough.
    const cpu = col('harness_cpu_pct');
    return {
      ...m,
      rate: median(completed.slice(...STEADY)),
      ownCpuPct: median(cpu.slice(...STEADY)),
      ownWarmCpuPct: median(cpu.slice(...WARM)),
      ownRssMb: Math.max(...col('harness_rss_mb')),
    };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/**
 * simulate is measured as users run it: compiled. bin.js falls back to tsx when any source is newer
 * than the build (a slower start and ~30 MB more), so an edit landed while the bench runs would
 * otherwise be measured silently; the build is checked, and made, before every simulate measurement.
 */
function ensureBuild(): void {
  if (currentBuild()) return;
  say('  (re)building the compiled JavaScript: the sources changed since the last build');
  const b = spawnSync(process.execPath, [path.join(REPO, 'src', 'cli', 'build.js')], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (b.status !== 0) {
    say('the build failed: simulate would run through tsx, which is not what users run');
    process.exit(1);
  }
}

// ---- start-up -----------------------------------------------------------------------------------

interface Start {
  ms: number;
  rssMb: number;
}

/** Wall time (ms) and peak RSS (/usr/bin/time's %M) of one short command. */
function startOnce(argv: string[]): Start {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...argv], { encoding: 'utf8' });
  const ms = performance.now() - t0;
  const kb = Number(r.stderr.trim().split('\n').pop());
  return { ms, rssMb: kb / 1024 };
}

// ---- table --------------------------------------------------------------------------------------

function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function fig(xs: number[], digits = 0, unit = ''): string {
  const ok = xs.filter((x) => Number.isFinite(x));
  if (ok.length === 0) return 'n/a';
  const f = (x: number) => x.toFixed(digits);
  const range = ok.length > 1 ? ` (${f(Math.min(...ok))}–${f(Math.max(...ok))})` : '';
  return `${f(median(ok))}${unit}${range}`;
}

async function main() {
  if (spawnSync('wrk', ['-v']).error) {
    say('wrk is not installed: apt-get install -y wrk');
    process.exit(3);
  }
  ensureBuild();
  const { url, child } = await startServer();
  const res = {
    wrk: { max: [] as Max[], cost: [] as Cost[] },
    autocannon: { max: [] as Max[], cost: [] as Cost[] },
    simulate: { max: [] as Array<{ best?: Step; steps: Step[]; wrkRps: number }>, cost: [] as SimulateCost[] },
  };
  try {
    say(`trivial server at ${url} (pid ${child.pid}); ${RUNS} repetitions`);
    for (let i = 0; i < RUNS; i++) {
      say(`repetition ${i + 1}/${RUNS}`);
      say('  wrk -t1 -c50 -d5s');
      const w = await wrkMax(url);
      res.wrk.max.push(w);
      say('  autocannon -c50 -d5');
      res.autocannon.max.push(await autocannonMax(url));
      res.simulate.max.push({ ...(await engineMax(url, w.rps)), wrkRps: w.rps });
      say(`  300 req/s, ${COST_RUN_S} s each: wrk, autocannon, simulate --target`);
      res.wrk.cost.push(await wrkAt300(url));
      res.autocannon.cost.push(await autocannonAt300(url));
      res.simulate.cost.push(await simulateAt300(url));
    }
  } finally {
    child.kill();
  }
  const starts = (argv: string[]) => Array.from({ length: 5 }, () => startOnce(argv));
  say('start-up, 5 times each');
  ensureBuild();
  const start = {
    wrk: starts(['wrk', '-v']),
    autocannon: starts([process.execPath, AUTOCANNON, '--version']),
    simulate: starts([process.execPath, ...BIN_FLAGS, BIN, '--help']),
    doctor: starts([process.execPath, ...BIN_FLAGS, BIN, 'doctor']),
  };

  console.log('\nsimulate\'s open-model steps (one GET, trivial node:http server in its own process)');
  console.log('  rep   rate  ×wrk  scheduled  completed  failures   p99 ms  sustained');
  res.simulate.max.forEach((m, i) => {
    for (const s of m.steps) {
      console.log(`  ${String(i + 1).padStart(3)} ${String(s.rate).padStart(6)}  ${(s.rate / m.wrkRps).toFixed(2)} ${String(s.count).padStart(10)} ${String(s.ok).padStart(10)} ${String(s.failures).padStart(9)} ${s.p99Ms.toFixed(2).padStart(8)}  ${s.sustained ? 'yes' : 'no'}`);
    }
  });
  const ratio = res.simulate.max.map((m) => (m.best?.rate ?? 0) / m.wrkRps);
  const rows: string[][] = [
    ['max sustained rate, p99 ≤ 50 ms (req/s)', fig(res.wrk.max.map((m) => m.rps)), fig(res.autocannon.max.map((m) => m.rps)), fig(res.simulate.max.map((m) => m.best?.rate ?? 0))],
    ['  its p99 (ms)', fig(res.wrk.max.map((m) => m.p99Ms), 2), fig(res.autocannon.max.map((m) => m.p99Ms), 2), fig(res.simulate.max.map((m) => m.best?.p99Ms ?? NaN), 2)],
    ['  model', 'closed, 50 conns', 'closed, 50 conns', 'open (from scheduled time)'],
    ['  share of wrk in the same repetition', '1', fig(res.autocannon.max.map((m, i) => m.rps / res.wrk.max[i]!.rps), 2), fig(ratio, 2)],
    [`at 300 req/s: CPU, steady ${STEADY[0]}-${STEADY[1]} s (% of a core, /proc)`, fig(res.wrk.cost.map((c) => c.cpuPct), 1), fig(res.autocannon.cost.map((c) => c.cpuPct), 1), fig(res.simulate.cost.map((c) => c.cpuPct), 1)],
    [`  warm-up ${WARM[0]}-${WARM[1]} s`, fig(res.wrk.cost.map((c) => c.warmCpuPct), 1), fig(res.autocannon.cost.map((c) => c.warmCpuPct), 1), fig(res.simulate.cost.map((c) => c.warmCpuPct), 1)],
    ['at 300 req/s: peak RSS (MB)', fig(res.wrk.cost.map((c) => c.peakRssMb)), fig(res.autocannon.cost.map((c) => c.peakRssMb)), fig(res.simulate.cost.map((c) => c.peakRssMb))],
    ['  rate reached (req/s)', fig(res.wrk.cost.map((c) => c.rate)), fig(res.autocannon.cost.map((c) => c.rate)), fig(res.simulate.cost.map((c) => c.rate))],
    ['  own timeseries.csv: median harness_cpu_pct steady / warm-up, peak harness_rss_mb', '', '', `${fig(res.simulate.cost.map((c) => c.ownCpuPct), 1)} % / ${fig(res.simulate.cost.map((c) => c.ownWarmCpuPct), 1)} %, ${fig(res.simulate.cost.map((c) => c.ownRssMb))} MB`],
    ['start-up: --help / --version (ms)', fig(start.wrk.map((s) => s.ms)), fig(start.autocannon.map((s) => s.ms)), fig(start.simulate.map((s) => s.ms))],
    ['start-up: peak RSS (MB)', fig(start.wrk.map((s) => s.rssMb)), fig(start.autocannon.map((s) => s.rssMb)), fig(start.simulate.map((s) => s.rssMb))],
    ['`simulate doctor` (ms, MB)', '', '', `${fig(start.doctor.map((s) => s.ms))} ms, ${fig(start.doctor.map((s) => s.rssMb))} MB`],
  ];
  console.log(`\nmedians of ${RUNS} repetition(s) (min–max); ${os.cpus().length} cores shared by the server, the tool and the rest of the machine\n`);
  console.log('| figure | wrk | autocannon | simulate |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`\nAt 300 req/s each tool runs ${COST_RUN_S} s; CPU steady = seconds ${STEADY[0]}-${STEADY[1]}, warm-up = ${WARM[0]}-${WARM[1]} (JIT, first full collections); wrk's Lua delay() paces 3 connections at 10 ms; simulate = the whole \`--target\` command.`);
}

await main();
