/**
 * A reporter listens to the engine: every hook optional, several reporters at once (vitest's
 * model). Reporters only show what RunState holds; they never compute a result.
 */
import type { RunEvent, RunState } from '../run/events.ts';
import { createJsonReporter } from './reporters/json-reporter.ts';
import { createPlainReporter } from './reporters/plain-reporter.ts';
import { createTuiReporter } from '../tui/tui-reporter.tsx';

export { renderVerdictText } from './reporters/verdict-text.ts';
export { renderMemoryTable } from './reporters/memory-table.ts';

export interface Reporter {
  onStart?(s: RunState): void;
  onEvent?(e: RunEvent, s: RunState): void;
  /** About once a second. */
  onTick?(s: RunState): void;
  /** The run is over and `s.verdict` is set (unless it ended before targets could be checked). */
  onEnd?(s: RunState): void;
  /** Finish output (unmount the TUI, flush streams). Call once, after onEnd or on interrupt. */
  close?(): Promise<void>;
}

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
      createTuiReporter({ stderr: opts.stderr, stdout: opts.stdout, env, onQuit: opts.onQuit, resultsToStdout: false }),
    );
  }
  if (tui) return createTuiReporter({ stderr: opts.stderr, stdout: opts.stdout, env, onQuit: opts.onQuit });
  return createPlainReporter({ stdout: opts.stdout, stderr: opts.stderr });
}

/** Several reporters as one; a reporter that throws does not stop the others (or the run). */
export function combineReporters(...reporters: Reporter[]): Reporter {
  const each = (fn: (r: Reporter) => void) => {
    let first: unknown;
    for (const r of reporters) {
      try {
        fn(r);
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  };
  return {
    onStart: (s) => each((r) => r.onStart?.(s)),
    onEvent: (e, s) => each((r) => r.onEvent?.(e, s)),
    onTick: (s) => each((r) => r.onTick?.(s)),
    onEnd: (s) => each((r) => r.onEnd?.(s)),
    close: async () => {
      await Promise.all(reporters.map((r) => r.close?.()));
    },
  };
}
