/** Several reporters as one (vitest's model: every hook optional, several reporters at once). */
import type { Reporter } from '../model/index.ts';

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
