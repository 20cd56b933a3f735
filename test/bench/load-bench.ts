/**
 * `npm run bench`: how fast the open-model engine can go, next to wrk, against the same trivial
 * local server (its own process, so the engine and the server do not share an event loop), and
 * what the engine itself costs (CPU, RSS) at the seed's 300 req/s. Bounded to about a minute.
 *
 * "Sustained" at a rate: completed ≥ 99 % of scheduled, no failures beyond 1 %, and p99 ≤ 50 ms.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { simpleScenario, startLoad } from '../../src/load/index.ts';

const run = promisify(execFile);
const RATES = [1000, 2000, 5000, 10_000, 15_000, 20_000, 25_000, 30_000, 40_000, 50_000];
const STEP_S = 4;
const P99_LIMIT_MS = 50;

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

async function wrkRate(url: string): Promise<string> {
  try {
    const { stdout } = await run('wrk', ['-t1', '-c50', '-d5s', url]);
    const m = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
    return m ? `${Math.round(Number(m[1]))}` : 'unparsed';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'wrk not installed (apt-get install -y wrk)' : `wrk failed: ${(err as Error).message.split('\n')[0]}`;
  }
}

interface Step {
  rate: number;
  scheduled: number;
  completed: number;
  failures: number;
  p99Ms: number;
  sustained: boolean;
}

async function step(url: string, rate: number): Promise<Step> {
  const scenario = { ...simpleScenario(url, rate, STEP_S), maxInFlight: 1000, timeout: 5 };
  const { overall } = await startLoad(scenario, { baseUrl: url }).done;
  const a = overall.aggregate;
  const sustained = a.ok >= 0.99 * a.count && a.failures <= 0.01 * a.count && a.percentiles['99'] <= P99_LIMIT_MS;
  return { rate, scheduled: a.count, completed: a.ok, failures: a.failures, p99Ms: a.percentiles['99'], sustained };
}

async function costAt300(url: string): Promise<{ cpuPct: number; rssMb: number; p99Ms: number; completed: number }> {
  let rss = process.memoryUsage().rss;
  const sampler = setInterval(() => (rss = Math.max(rss, process.memoryUsage().rss)), 250);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { overall } = await startLoad(simpleScenario(url, 300, 10), { baseUrl: url }).done;
  const wallUs = (performance.now() - t0) * 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  return { cpuPct: ((cpu.user + cpu.system) / wallUs) * 100, rssMb: rss / 2 ** 20, p99Ms: overall.aggregate.percentiles['99'], completed: overall.aggregate.ok };
}

const fmt = (n: number, d = 0) => n.toFixed(d).padStart(8);

async function main() {
  const { url, child } = await startServer();
  try {
    process.stderr.write(`trivial server at ${url} (pid ${child.pid})\n`);
    process.stderr.write('engine at 300 req/s for 10 s ...\n');
    const cost = await costAt300(url);
    const steps: Step[] = [];
    for (const rate of RATES) {
      process.stderr.write(`engine at ${rate} req/s for ${STEP_S} s ...\n`);
      const s = await step(url, rate);
      steps.push(s);
      if (!s.sustained) break;
    }
    process.stderr.write('wrk -t1 -c50 -d5s ...\n');
    const wrk = await wrkRate(url);

    console.log('\nopen-model engine steps (one GET, trivial node:http server in its own process)');
    console.log('    rate scheduled completed failures   p99 ms  sustained');
    for (const s of steps) console.log(`${fmt(s.rate)} ${fmt(s.scheduled)}  ${fmt(s.completed)} ${fmt(s.failures)} ${fmt(s.p99Ms, 2)}  ${s.sustained ? 'yes' : 'no'}`);
    const best = steps.filter((s) => s.sustained).pop();
    console.log('\n| figure | value |');
    console.log('|---|---|');
    console.log(`| engine, highest sustained rate (≥ 99 % completed, p99 ≤ ${P99_LIMIT_MS} ms) | ${best ? `${best.rate} req/s` : `below ${RATES[0]} req/s`} |`);
    console.log(`| wrk -t1 -c50 -d5s, same server (closed loop, max throughput) | ${wrk} req/s |`);
    console.log(`| engine CPU at 300 req/s (process.cpuUsage / wall) | ${cost.cpuPct.toFixed(1)} % of a core |`);
    console.log(`| engine peak RSS at 300 req/s | ${cost.rssMb.toFixed(0)} MB |`);
    console.log(`| engine at 300 req/s: completed, p99 | ${cost.completed} of 3000, ${cost.p99Ms.toFixed(2)} ms |`);
    console.log(`\n(cores: the engine, the server and wrk share this machine's CPUs; wrk measures the server's ceiling, the engine a paced rate)`);
  } finally {
    child.kill();
  }
}

await main();
