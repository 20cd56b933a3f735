/**
 * `npm run bench:report`: the report of a 30-minute run, its size and how long Chromium takes to draw it.
 * A synthetic run folder (test/helpers/synthetic-run.ts: the run's own writers, 1,800 rows a second apart,
 * four services, OOM kills) stands in for the 30 minutes. Targets: under 3 MB, drawn in under 2 s.
 * Prints a table; it is a measurement, not a test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { openInChromium } from '../../src/report/html/png.ts';
import { loadRunFolder, renderCompareReport, renderRunReport, writeHtml } from '../../src/report/html/index.ts';
import { writeSyntheticRun } from '../helpers/synthetic-run.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'report-bench-'));
const ROUNDS = 5;

async function measure(name: string, render: () => string, file: string) {
  const t0 = performance.now();
  const html = render();
  const renderMs = performance.now() - t0;
  writeHtml(file, html);
  // Chromium is launched once (a reader's browser is already running); each round loads the file anew.
  const t1 = performance.now();
  const opened = await openInChromium(file);
  const firstMs = performance.now() - t1;
  const loads: number[] = [];
  const draws: number[] = [];
  try {
    if (opened.errors.length || opened.requests.length) throw new Error(`${name}: console errors ${opened.errors} / requests ${opened.requests}`);
    for (let i = 0; i < ROUNDS; i++) {
      const t2 = performance.now();
      await opened.page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      await opened.page.waitForSelector('html[data-charts-ready]');
      loads.push(performance.now() - t2);
      draws.push(Number(await opened.page.getAttribute('html', 'data-charts-ms')));
    }
  } finally {
    await opened.close();
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  return { name, sizeMb: fs.statSync(file).size / 1024 / 1024, renderMs, firstMs, loadMs: median(loads), drawMs: median(draws) };
}

try {
  const rows = [];
  const long = writeSyntheticRun(tmp, { seconds: 1800, kills: [300, 700, 1100, 1500], runId: 'bench-30min' });
  const long2 = writeSyntheticRun(tmp, { seconds: 1800, runId: 'bench-30min-b', latencyFactor: 1.5 });
  const csvMb = fs.statSync(path.join(long, 'timeseries.csv')).size / 1024 / 1024;
  rows.push(await measure('one run, 30 min (1,800 rows)', () => renderRunReport(loadRunFolder(long)), path.join(tmp, 'run.html')));
  rows.push(await measure('two runs overlaid, 30 min each', () => renderCompareReport({ runs: [loadRunFolder(long), loadRunFolder(long2)] }), path.join(tmp, 'compare.html')));
  console.log(`timeseries.csv of the 30-minute run: ${csvMb.toFixed(2)} MB. Chromium (Debian's, headless) launched once, then the file loaded ${ROUNDS} times: medians.\n`);
  console.log('| report | size | render in Node | load → every chart drawn | of which in-page (navigation → charts) | first open incl. launching Chromium | size < 3 MB | open < 2 s |');
  console.log('|---|---:|---:|---:|---:|---:|---|---|');
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.sizeMb.toFixed(2)} MB | ${r.renderMs.toFixed(0)} ms | ${r.loadMs.toFixed(0)} ms | ${r.drawMs.toFixed(0)} ms | ${r.firstMs.toFixed(0)} ms | ${r.sizeMb < 3 ? 'yes' : 'NO'} | ${r.loadMs < 2000 ? 'yes' : 'NO'} |`);
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
