/**
 * Draw a recorded RunState at a given terminal size, for eyeballing layouts without a run:
 *   npx tsx test/tools/preview.tsx test/fixtures/run-states/full-elk-oom.json [columns] [rows] [--final]
 * Colours follow NO_COLOR / FORCE_COLOR like the real TUI.
 */
import React from 'react';
import { readFileSync } from 'node:fs';
import { renderToString } from 'ink';
import type { RunState } from '../../src/model/index.ts';
import { Dashboard, FinalReport } from '../../src/tui/Dashboard.tsx';
import { ColorContext, colorsEnabled } from '../../src/tui/theme.tsx';
import { ensureColorLevel } from '../../src/tui/tui-reporter.tsx';

const [file, cols = '80', rows = '24'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (!file) {
  process.stderr.write('usage: preview.tsx STATE.json [columns] [rows] [--final]\n');
  process.exit(2);
}
const state = JSON.parse(readFileSync(file, 'utf8')) as RunState;
const columns = Number(cols);
const colors = colorsEnabled(process.env, process.stdout);
ensureColorLevel(colors);
const node = process.argv.includes('--final') ? (
  <FinalReport state={state} columns={columns} />
) : (
  <Dashboard state={state} columns={columns} rows={Number(rows)} />
);
process.stdout.write(renderToString(<ColorContext.Provider value={colors}>{node}</ColorContext.Provider>, { columns }) + '\n');
