/**
 * Ctrl-C and SIGTERM become an abort: the run stops its load, tears the stack down and exits 130. A second
 * signal while tearing down is acknowledged, not obeyed: leaving now would leak the stack.
 */
export function abortOnSignals(onFirst?: () => void): { signal: AbortSignal; abort: () => void; dispose: () => void } {
  const controller = new AbortController();
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      onFirst?.();
      process.stderr.write(`\nsimulate: ${sig}: stopping the run and tearing the stack down…\n`);
      controller.abort();
    } else {
      process.stderr.write(`simulate: still tearing down (nothing is left running when it ends)…\n`);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('SIGHUP', handler);
  return {
    signal: controller.signal,
    abort: () => handler('SIGINT'),
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      process.off('SIGHUP', handler);
    },
  };
}
