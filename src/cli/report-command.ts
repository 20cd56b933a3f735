/**
 * `simulate report DIR…`: rebuild one folder's report.html from its files (a run, a capacity review, a
 * comparison), or overlay several runs with a table of deltas; `--png DIR` also writes each chart as a PNG through headless Chromium.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EXIT, InputError } from '../errors.ts';
import { exportPngs, folderKind, loadRunFolder, renderCompareReport, renderFolderReport, writeHtml } from '../report/html/index.ts';
import type { CliArgs } from './args.ts';

export async function reportCommand(args: CliArgs): Promise<number> {
  const dirs = args.positionals;
  if (!dirs.length) throw new InputError('report: no run folder given', 'e.g. simulate report results/<run-id> (two or more folders to compare them)');
  let file: string;
  if (dirs.length === 1) {
    // One folder: a run, a capacity review or a comparison, each to its own page.
    if (!fs.existsSync(dirs[0]) || !fs.statSync(dirs[0]).isDirectory()) loadRunFolder(dirs[0]); // says what is wrong
    file = args.html ?? path.join(dirs[0], 'report.html');
    writeHtml(file, renderFolderReport(dirs[0]));
  } else {
    const other = dirs.find((d) => fs.existsSync(d) && folderKind(d) !== 'run');
    if (other) throw new InputError(`report: ${other} is a ${folderKind(other)} folder, not a run`, 'overlay run folders only; pass a capacity or compare folder on its own');
    const runs = dirs.map((d) => loadRunFolder(d));
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
  return EXIT.ok;
}
