/**
 * A reporter listens to the engine: every hook optional, several reporters at once (vitest's
 * model). Reporters only show what RunState holds; they never compute a result.
 */
import type { RunEvent } from './events.ts';
import type { RunState } from './run-state.ts';

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
