/**
 * The TUI as a Reporter: mounts Ink on stderr, re-renders the latest RunState at most every
 * `minIntervalMs` (the engine may call far more often), and at the end prints the verdict once
 * (it stays on screen) and unmounts. When stdout is not the terminal (piped, redirected), the
 * verdict and memory tables also go there as plain text: results belong on stdout.
 */
import React from 'react';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { render, type Instance } from 'ink';
import type { RunState } from '../model/index.ts';
import type { Reporter } from '../model/index.ts';
import { renderMemoryTable } from '../report/reporters/memory-table.ts';
import { renderVerdictText } from '../report/reporters/verdict-text.ts';
import { TuiApp } from './TuiApp.tsx';
import { colorsEnabled } from './theme.tsx';
import { debug, swallow } from '../util/debug.ts';

export interface TuiReporterOptions {
  /** Where the TUI is drawn (a TTY). */
  stderr: NodeJS.WriteStream;
  /** Where results go when it is not the same terminal. */
  stdout: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  env?: NodeJS.ProcessEnv;
  onQuit?: () => void;
  /** Write the verdict and memory tables to stdout at the end when stdout is not a TTY (default true). */
  resultsToStdout?: boolean;
  /** At most one render per this many ms (default 250: four a second). */
  minIntervalMs?: number;
  /**
   * Let Ink route console.* output above the dashboard instead of through it. Default: on where
   * the console can be patched (vitest's console has no `Console` constructor for Ink to use).
   */
  patchConsole?: boolean;
}

/**
 * Ink colours through its own chalk, whose level comes from process.stdout. We draw on stderr,
 * so with stdout piped (`simulate | cat`) chalk would turn colours off on a terminal that has
 * them. Raise that chalk's level when we decided colours are on; best effort.
 */
async function inkChalk(): Promise<{ level: number } | undefined> {
  try {
    const require = createRequire(import.meta.url);
    const chalkPath = createRequire(require.resolve('ink')).resolve('chalk');
    const mod = (await import(pathToFileURL(chalkPath).href)) as { default: { level: number } };
    return mod.default;
  } catch (err) {
    // Best effort: without it colours follow chalk's own detection.
    debug('tui', `ink's chalk not found: ${String(err)}`);
    return undefined;
  }
}
const chalk = await inkChalk();

export function ensureColorLevel(colors: boolean): void {
  if (colors && chalk && chalk.level === 0) chalk.level = 1;
}

export function createTuiReporter(opts: TuiReporterOptions): Reporter {
  const env = opts.env ?? process.env;
  const colors = colorsEnabled(env, opts.stderr);
  const minInterval = opts.minIntervalMs ?? 250;
  let ink: Instance | undefined;
  let latest: RunState | undefined;
  let lastRenderAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  let closed = false;

  const tree = (s: RunState, final: boolean) => <TuiApp state={s} final={final} colors={colors} onQuit={opts.onQuit} />;

  const draw = () => {
    timer = undefined;
    if (!latest || closed || ended) return;
    if (!ink) {
      ensureColorLevel(colors);
      ink = render(tree(latest, false), {
        stdout: opts.stderr,
        stderr: opts.stderr,
        stdin: opts.stdin ?? process.stdin,
        // Ctrl-C goes to onQuit (raw mode) or stays SIGINT for the caller; Ink must not exit on its own.
        exitOnCtrlC: false,
        patchConsole: opts.patchConsole ?? typeof console.Console === 'function',
        // We throttle snapshots ourselves; Ink's own frame throttle (default 30 fps) only adds delay.
      });
    } else ink.rerender(tree(latest, false));
    // Counted from the end of the render, so a slow frame (the first mount) is not followed by another at once.
    lastRenderAt = Date.now();
  };

  const schedule = (s: RunState) => {
    latest = s;
    if (closed || ended || timer) return;
    // Only the first frame is drawn inside the call. Later ones wait for a timer, even when due at once: a
    // frame takes 10-30 ms of CPU, and drawn inside an event it ran in the middle of the run's work (the
    // stage change, between a second's row and the partial second's row written right after it).
    if (!ink) return draw();
    timer = setTimeout(draw, Math.max(0, lastRenderAt + minInterval - Date.now()));
    timer.unref?.();
  };

  return {
    onStart: schedule,
    onEvent: (_e, s) => schedule(s),
    onTick: schedule,
    onEnd(s) {
      if (ended || closed) return;
      latest = s;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (!ink) draw();
      ended = true;
      ink?.rerender(tree(s, true));
    },
    async close() {
      if (closed) return;
      if (timer) clearTimeout(timer);
      timer = undefined;
      closed = true;
      if (ink) {
        ink.unmount();
        // Ink rejects when the app unmounted with an error; the frame is already drawn, and closing goes on.
        await ink.waitUntilExit().catch(swallow('tui', 'ink exit'));
      }
      if (ended && latest && (opts.resultsToStdout ?? true) && !opts.stdout.isTTY) {
        await new Promise<void>((resolve) => {
          opts.stdout.write(`${renderVerdictText(latest!)}\n${renderMemoryTable(latest!)}`, () => resolve());
        });
      }
    },
  };
}
