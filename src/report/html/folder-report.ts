/**
 * Any results folder to its page: a capacity review (capacity.json), a comparison (compare.json) or one run
 * (run.json). `simulate report DIR` and the workflows that end by writing report.html call this.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../../errors.ts';
import { renderCapacityReport } from './render-capacity.ts';
import { renderCompareReport } from './render-compare.ts';
import { renderRunReport } from './render-run.ts';
import { capacityInputFromJson, compareInputFromJson } from './review-inputs.ts';
import { loadRunFolder } from './run-folder.ts';

export type FolderKind = 'capacity' | 'compare' | 'run';

export function folderKind(dir: string): FolderKind {
  if (fs.existsSync(path.join(dir, 'capacity.json'))) return 'capacity';
  if (fs.existsSync(path.join(dir, 'compare.json'))) return 'compare';
  return 'run';
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(`${file}: not JSON (${(err as Error).message})`, 'the folder is damaged; run it again');
  }
}

export function renderFolderReport(dir: string): string {
  switch (folderKind(dir)) {
    case 'capacity':
      return renderCapacityReport(capacityInputFromJson(readJson(path.join(dir, 'capacity.json')), path.join(dir, 'capacity.json')));
    case 'compare':
      return renderCompareReport(compareInputFromJson(readJson(path.join(dir, 'compare.json')), dir, path.join(dir, 'compare.json')));
    default:
      return renderRunReport(loadRunFolder(dir));
  }
}
