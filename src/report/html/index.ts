/**
 * HTML reports: one self-contained file per run, capacity review or comparison. Each is one call taking data
 * already parsed, returning the page's text; `writeRunReport` reads a run folder and writes its report.html.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadRunFolder } from './run-folder.ts';
import { renderFolderReport } from './folder-report.ts';
import { renderRunReport } from './render-run.ts';

export { loadRunFolder, parseRunFiles, type RunFolder } from './run-folder.ts';
export { renderRunReport } from './render-run.ts';
export { renderCompareReport, type CompareReportInput } from './render-compare.ts';
export { renderCapacityReport, type CapacityReportInput } from './render-capacity.ts';
export { exportPngs, findChromium } from './png.ts';
export { folderKind, renderFolderReport } from './folder-report.ts';
export { capacityInputFromJson, compareInputFromJson } from './review-inputs.ts';

/** Write `file` whole or not at all (a reader never sees half a report). */
export function writeHtml(file: string, html: string): void {
  fs.writeFileSync(`${file}.tmp`, html);
  fs.renameSync(`${file}.tmp`, file);
}

/** Read a run folder and write its report.html beside its files; returns the file written. */
export function writeRunReport(runDir: string): string {
  const file = path.join(runDir, 'report.html');
  writeHtml(file, renderRunReport(loadRunFolder(runDir)));
  return file;
}

/**
 * Write report.html into a results folder of any kind (a run, a capacity review with its capacity.json, a
 * comparison with its compare.json): the one call a workflow makes at its end. Returns the file written.
 */
export function writeFolderReport(dir: string): string {
  const file = path.join(dir, 'report.html');
  writeHtml(file, renderFolderReport(dir));
  return file;
}
