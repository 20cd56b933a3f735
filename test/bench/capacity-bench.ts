/**
 * `npm run bench:capacity [-- --quick] [-- --profile 4gb --caps 2g,4g] [-- --known-server [MS]]`: a capacity review as a benchmark,
 * too long for the test suite (a default three-tier review aims at about 20 minutes, not timed yet; --quick with --caps 2g,4g
 * took 305 s here).
 * Runs `simulate capacity` with the arguments given (default: --profile 4gb), then prints how long it took
 * beside the tier table it wrote. Wrap it in the shared heavy lock on a shared machine.
 *
 * `npm run bench:capacity -- --check-cap [SIZE] [--profile 4gb] [--data 200m] [--step-time W,M,C]`: the
 * smallest cap checked on its own: found for the profile's own tier and confirmed by repeat runs (it must pass
 * 2 of 2 fresh runs, else 64 MiB more), or SIZE given and run once; then a fresh run at 80 % of it (it must
 * not pass 2 of 2: a pass there is run again). Prints every run, the confirmation and the reported cap (with
 * VPA's +15 %) to re-run; exit 0 when it holds.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { CapacityReview, CapTrialRecord } from '../../src/capacity/review.ts';
import { checkSmallestCap } from '../../src/capacity/profile-review.ts';
import { createCapacityProgress } from '../../src/capacity/progress.ts';
import { QUICK_STEP_TIMING } from '../../src/capacity/step-scenario.ts';
import { parseCli } from '../../src/cli/args.ts';
import { abortOnSignals } from '../../src/cli/interrupts.ts';
import { stackOptions } from '../../src/cli/run-command.ts';
import { parseSize } from '../../src/profile/sizes.ts';
import { newRunId } from '../../src/run/run.ts';
import { startKnownCapacityServer } from '../helpers/known-capacity-server.ts';

const args = process.argv.slice(2);
const checkAt = args.indexOf('--check-cap');
if (checkAt >= 0) {
  const size = args[checkAt + 1] && !args[checkAt + 1]!.startsWith('--') ? args[checkAt + 1] : undefined;
  const rest = args.filter((_, i) => i !== checkAt && !(size && i === checkAt + 1));
  process.exit(await checkCap(rest.includes('--profile') ? rest : ['--profile', '4gb', ...rest], size));
}

// `--known-server [MS]`: the --target search against a one-at-a-time server of MS ms per request (default 20:
// 50 req/s), from 10 req/s with 2,4,6 s steps: the long form of test/capacity-target.e2e.test.ts's search.
const knownAt = args.indexOf('--known-server');
let known: Awaited<ReturnType<typeof startKnownCapacityServer>> | undefined;
if (knownAt >= 0) {
  const ms = Number(args[knownAt + 1]);
  const serviceMs = Number.isFinite(ms) && ms > 0 ? ms : 20;
  args.splice(knownAt, Number.isFinite(ms) && ms > 0 ? 2 : 1);
  known = await startKnownCapacityServer(serviceMs);
  args.unshift('--target', known.url, '--start-rate', '10', '--step-time', '2,4,6');
}
const cliArgs = ['capacity', ...(args.includes('--profile') || args.includes('--target') ? [] : ['--profile', '4gb']), ...args];
const started = Date.now();
const child = spawn(process.execPath, [path.resolve(import.meta.dirname, '../../src/cli/bin.js'), ...cliArgs], { stdio: ['ignore', 'inherit', 'pipe'] });
let stderr = '';
child.stderr.on('data', (d: Buffer) => {
  stderr += d.toString();
  process.stderr.write(d);
});
const code: number = await new Promise((r) => child.on('exit', (c) => r(c ?? -1)));
await known?.close();
const seconds = (Date.now() - started) / 1000;
const dir = /capacity review in (\S+)/.exec(stderr)?.[1];
if (!dir) {
  console.log(`simulate ${cliArgs.join(' ')}: exit ${code} after ${seconds.toFixed(0)} s, no review written`);
  process.exit(1);
}
const review = JSON.parse(fs.readFileSync(path.join(dir, 'capacity.json'), 'utf8')) as CapacityReview;
const rows = review.tiers.map((t) => {
  const steps = review.steps.filter((s) => s.tier === t.profile && s.capBytes === t.capBytes);
  const trials = t.smallestCap?.trials.length ?? 0;
  return `| ${t.profile} | ${t.capBytes === null ? '-' : `${Math.round(t.capBytes / 2 ** 20)} MiB`} | ${steps.length} | ${trials} | ${t.search.maxRate ?? '-'} (${t.search.status}) | ${t.smallestCap?.noOomLatencyBytes ? Math.round(t.smallestCap.noOomLatencyBytes / 2 ** 20) : '-'} | ${t.verdict} |`;
});
console.log(`\nsimulate ${cliArgs.join(' ')}: exit ${code}, ${seconds.toFixed(0)} s (${(seconds / 60).toFixed(1)} min)\n`);
console.log('| tier | cap | rate steps | cap trials | max sustained req/s | smallest cap MiB | verdict |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
if (known) {
  const found = review.tiers[0]?.search.maxRate ?? null;
  console.log(`\nknown capacity ${known.capacityRps} req/s; found ${found ?? '-'} req/s${found !== null ? ` (${(((found - known.capacityRps) / known.capacityRps) * 100).toFixed(1)} %)` : ''} in ${review.steps.length} steps`);
}

async function checkCap(cliArgs: string[], size: string | undefined): Promise<number> {
  const a = parseCli(['capacity', ...cliArgs]);
  let capBytes: number | undefined;
  if (size) {
    const r = parseSize(size);
    if ('error' in r) {
      console.error(`--check-cap ${size}: ${r.error} (e.g. --check-cap 1216m)`);
      return 2;
    }
    capBytes = r.bytes;
  }
  const interrupts = abortOnSignals();
  const started = Date.now();
  try {
    const c = await checkSmallestCap(
      {
        id: `${newRunId()}-cap-check`,
        ...stackOptions({ ...a, profile: a.profile! }),
        costs: [],
        limits: { avgLatencyMs: a.maxAvgMs, p99Ms: a.maxP99Ms, maxErrorRate: a.maxErrorRate },
        timing: a.stepTime ?? QUICK_STEP_TIMING,
        quick: true,
        progress: createCapacityProgress({ json: false, stderr: process.stderr, stdout: process.stdout }),
        signal: interrupts.signal,
      },
      capBytes,
    );
    const mib = (b: number | null | undefined) => (b === null || b === undefined ? '-' : `${Math.round(b / 2 ** 20)} MiB`);
    const row = (t: CapTrialRecord) =>
      `| ${mib(t.capBytes)} | ${t.why} | ${t.pass ? 'PASS' : 'FAIL'} | ${t.reasons.join('; ') || '-'} | ${mib(t.peakWorkingSetBytes)} | ${t.avgMs.toFixed(1)} | ${t.p99Ms.toFixed(0)} | ${t.oomKills.length ? t.oomKills.join(', ') : '-'} | ${t.warmUp ?? '-'} |`;
    const seconds = (Date.now() - started) / 1000;
    console.log(`\nsimulate capacity ${cliArgs.join(' ')} --check-cap${size ? ` ${size}` : ''}: ${seconds.toFixed(0)} s (${(seconds / 60).toFixed(1)} min), in ${c.dir}\n`);
    console.log('| cap | why | result | reasons | peak working set | avg ms | p99 ms | OOM kills | warm-up |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    const runs = [...(c.search?.trials ?? [])];
    for (const t of [c.atCap, ...c.at80Runs]) if (t && !runs.includes(t)) runs.push(t);
    for (const t of runs) console.log(row(t));
    if (c.search) {
      console.log(`\nconfirmation: ${c.search.confirmation} (the bisection's smallest pass: ${mib(c.search.firstPassBytes)})`);
      if (c.search.recommendedBytes !== null) console.log(`the reported cap (with VPA's margin): ${mib(c.search.recommendedBytes)}; re-run it: npm run bench:capacity -- --check-cap ${Math.round(c.search.recommendedBytes / 2 ** 20)}m ${cliArgs.filter((x) => x !== '--check-cap').join(' ')}`);
    }
    console.log(
      c.capBytes === null
        ? `\nno cap passed and held (${c.search?.status ?? 'none'}): nothing to check`
        : `\n${c.search ? 'smallest passing cap' : 'the cap given'} ${mib(c.capBytes)}: at it ${c.atCap ? (c.atCap.pass ? 'PASS' : 'FAIL') : 'not run'}${c.search ? ` (${c.search.passRates.find((p) => p.capBytes === c.capBytes)?.passes ?? '?'} of ${c.search.passRates.find((p) => p.capBytes === c.capBytes)?.runs ?? '?'} fresh runs)` : ''}, at 80 % ${c.at80 ? `(${mib(c.at80.capBytes)}) ${c.at80Runs.filter((t) => t.pass).length} of ${c.at80Runs.length} passed` : 'not run'} → ${interrupts.signal.aborted ? 'interrupted: not checked' : c.holds ? 'the figure holds' : 'the figure does NOT hold'}`,
    );
    return interrupts.signal.aborted ? 130 : c.holds ? 0 : 1;
  } finally {
    interrupts.dispose();
  }
}
