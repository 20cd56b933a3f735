/**
 * Which reporters a command gets: the TUI, plain lines or JSON lines, by the flags and the terminal.
 * Choosing sits in the CLI (the one layer that knows both report/ and tui/), so neither imports the other.
 */
import type { Reporter } from '../model/index.ts';
import { combineReporters } from '../report/combine-reporters.ts';
import { createJsonReporter } from '../report/reporters/json-reporter.ts';
import { createPlainReporter } from '../report/reporters/plain-reporter.ts';
import type { TuiReporterOptions } from '../tui/tui-reporter.tsx';

export interface CreateReporterOptions {
  tui: boolean;
  json: boolean;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
  /** `q` or Ctrl-C in the TUI (raw mode only). The caller tears down and exits 130. */
  onQuit?: () => void;
}

/** Ink's rule: a live display only on a terminal, and never in CI (which keeps every frame). */
export function isInteractive(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !isCi(env);
}

function isCi(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI;
  return (ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false') || env.CONTINUOUS_INTEGRATION !== undefined;
}

/**
 * Picks the TUI when asked for and stderr is an interactive terminal; `--json` lines on stdout
 * when asked for (with the TUI still on stderr if it was picked, since JSON never goes there);
 * plain lines otherwise.
 */
export function createReporter(opts: CreateReporterOptions): Reporter {
  const env = opts.env ?? process.env;
  const tui = opts.tui && isInteractive(opts.stderr, env);
  if (opts.json) {
    const json = createJsonReporter({ stdout: opts.stdout });
    if (!tui) return json;
    return combineReporters(
      json,
      lazyTuiReporter({ stderr: opts.stderr, stdout: opts.stdout, env, onQuit: opts.onQuit, resultsToStdout: false }),
    );
  }
  if (tui) return lazyTuiReporter({ stderr: opts.stderr, stdout: opts.stdout, env, onQuit: opts.onQuit });
  return createPlainReporter({ stdout: opts.stdout, stderr: opts.stderr });
}

/**
 * The TUI, with Ink and React loaded only when it is picked: they are most of what a start costs
 * (plain, JSON and `--help` runs never load them). Calls made while they load are replayed in
 * order; the TUI draws the latest state anyway.
 */
function lazyTuiReporter(opts: TuiReporterOptions): Reporter {
  let real: Reporter | undefined;
  const waiting: Array<(r: Reporter) => void> = [];
  const loaded = import('../tui/tui-reporter.tsx').then((m) => {
    real = m.createTuiReporter(opts);
    for (const call of waiting.splice(0)) call(real);
    return real;
  });
  // Surfaced by close(); never an unhandled rejection meanwhile.
  loaded.catch(() => undefined);
  const call = (fn: (r: Reporter) => void) => (real ? fn(real) : void waiting.push(fn));
  return {
    onStart: (s) => call((r) => r.onStart?.(s)),
    onEvent: (e, s) => call((r) => r.onEvent?.(e, s)),
    onTick: (s) => call((r) => r.onTick?.(s)),
    onEnd: (s) => call((r) => r.onEnd?.(s)),
    close: async () => {
      await (await loaded).close?.();
    },
  };
}
