/**
 * `simulate report RUN_DIR…`: rebuild one run's report.html from its files, or overlay several runs with a
 * table of deltas; `--png DIR` also writes each chart as a PNG through headless Chromium.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.ts';
import { exportPngs, loadRunFolder, renderCompareReport, renderRunReport, writeHtml } from '../report/html/index.ts';
import type { CliArgs } from './args.ts';

export async function reportCommand(args: CliArgs): Promise<number> {
  const dirs = args.positionals;
  if (!dirs.length) throw new InputError('report: no run folder given', 'e.g. simulate report results/<run-id> (two or more folders to compare them)');
  const runs = dirs.map((d) => loadRunFolder(d));
  let file: string;
  if (runs.length === 1) {
    file = args.html ?? path.join(dirs[0], 'report.html');
    writeHtml(file, renderRunReport(runs[0]));
  } else {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    file = args.html ?? path.join(args.out, `report-${stamp}.html`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeHtml(file, renderCompareReport({ runs }));
  }
  process.stdout.write(`${path.resolve(file)}\n`);
  if (args.png) {
    const pngs = await exportPngs(file, args.png);
    for (const p of pngs) process.stdout.write(`${path.resolve(p)}\n`);
  }
  return 0;
}
