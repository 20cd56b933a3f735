/**
 * `npm run bench:capacity [-- --quick] [-- --profile 4gb --caps 2g,4g]`: a capacity review as a benchmark,
 * too long for the test suite (a default three-tier review is about 20 minutes here, --quick about 5-10).
 * Runs `simulate capacity` with the arguments given (default: --profile 4gb), then prints how long it took
 * beside the tier table it wrote. Wrap it in the shared heavy lock on a shared machine.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { CapacityReview } from '../../src/capacity/review.ts';

const args = process.argv.slice(2);
const cliArgs = ['capacity', ...(args.includes('--profile') || args.includes('--target') ? [] : ['--profile', '4gb']), ...args];
const started = Date.now();
const child = spawn(process.execPath, [path.resolve(import.meta.dirname, '../../src/cli/bin.js'), ...cliArgs], { stdio: ['ignore', 'inherit', 'pipe'] });
let stderr = '';
child.stderr.on('data', (d: Buffer) => {
  stderr += d.toString();
  process.stderr.write(d);
});
const code: number = await new Promise((r) => child.on('exit', (c) => r(c ?? -1)));
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
