/**
 * What the engine tells its listeners, one typed event at a time. Reporters (TUI, plain lines, CSV
 * files) only listen; they never compute a figure the engine did not give them.
 */

export type RunEventKind =
  | 'run-start'
  | 'service-start'
  | 'service-ready'
  | 'service-exit'
  | 'oom-kill'
  | 'service-restart'
  | 'service-unavailable'
  | 'swap-start'
  | 'stage-start'
  | 'target-missed'
  | 'alert-pending'
  | 'alert-firing'
  | 'fault-start'
  | 'fault-end'
  | 'alert-resolved'
  | 'run-end'
  | 'info';

export interface RunEvent {
  /** Wall-clock time, ms since epoch. */
  at: number;
  /** Seconds since the run started (what the timeline and CSV rows use). */
  t: number;
  kind: RunEventKind;
  service?: string;
  pid?: number;
  /** One human line: reason, exit code, working set at the time of a kill, ... (for people; code reads the fields below). */
  detail: string;
  /** service-exit: the kernel (or the engine) killed it for memory. */
  oomKilled?: boolean;
  /** oom-kill: the victim's working set when it was killed, bytes. */
  workingSetBytes?: number;
  /** service-exit: its exit code, when it had one. */
  exitCode?: number;
}

