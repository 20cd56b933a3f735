/**
 * What the engine tells its listeners. Reporters (TUI, plain lines, CSV files) only listen;
 * they never compute a figure the engine did not give them.
 */
import type { ServiceKind } from '../profile/stack.ts';

export type ServiceStatus =
  | 'unavailable'
  /** Not started yet: it waits for its turn in depends_on order. */
  | 'waiting'
  | 'starting'
  | 'ready'
  | 'restarting'
  | 'oom-killed'
  | 'exited'
  | 'stopped';

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
  | 'alert-firing'
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
  /** One human line: reason, exit code, working set at the time of a kill, ... */
  detail: string;
}

/** One service's memory, as last sampled. Bytes. */
export interface ServiceMemory {
  workingSet: number;
  rss: number;
  cache: number;
  swap: number;
  peak: number;
  oomKills: number;
}

export interface ServiceState {
  name: string;
  kind: ServiceKind | 'unavailable';
  status: ServiceStatus;
  pid?: number;
  containerId?: string;
  version?: string;
  reason?: string;
  budgetBytes?: number;
  memory: ServiceMemory;
  /** Highest working set seen in this run. */
  peakWorkingSet: number;
  restarts: number;
  oomKills: number;
}

export interface StackMemory {
  workingSet: number;
  usage: number;
  swap: number;
  peakWorkingSet: number;
  limit: number;
  oomKills: number;
  /** System PSI (or per-cgroup on v2), % of time stalled over 10 s. */
  psiSome10?: number;
  psiFull10?: number;
  /** Stack working set, one value a second, newest last (at most 120). */
  history: number[];
}

/** Load figures of the last completed one-second window (and a short history). */
export interface LoadState {
  model: 'open' | 'closed';
  scheduledRps: number;
  completedRps: number;
  avgMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  dropped: number;
  inFlight: number;
  totalRequests: number;
  totalErrors: number;
  rpsHistory: number[];
  p99History: number[];
}

export interface StageState {
  name: string;
  index: number;
  count: number;
  startedAtS: number;
  durationS: number;
  excluded: boolean;
}

export interface TargetResult {
  name: string;
  /** e.g. `average latency`, `p99 latency`, `throughput`, `OOM kills`, ... */
  label: string;
  measured: number | null;
  limit: number;
  unit: 'ms' | 'req/s' | 'bytes' | 'ratio' | 'count';
  comparator: '<=' | '>=' | '<';
  pass: boolean;
  /** Second of the run at which it first broke, for a fail. */
  firstBrokeAtS?: number;
  detail?: string;
}

export interface OomKillRecord {
  t: number;
  service: string;
  pid?: number;
  workingSetBytes: number;
  /** Latency and errors in the seconds around the kill. */
  around?: string;
}

export interface Verdict {
  pass: boolean;
  model: 'open' | 'closed' | 'none';
  targets: TargetResult[];
  oomKills: OomKillRecord[];
  /** Services whose figures come from a stand-in. */
  standins: string[];
  interrupted: boolean;
}

export interface RunState {
  runId: string;
  profile: string;
  driver: 'process' | 'docker';
  cgroupVersion: 1 | 2;
  capBytes: number;
  swapBytes: number;
  startedAt: number;
  phase: 'starting' | 'running' | 'stopping' | 'done';
  /** Seconds since start. */
  elapsedS: number;
  /** Seconds until the run ends (load or --duration), if known. */
  timeLeftS?: number;
  stage?: StageState;
  services: ServiceState[];
  stack: StackMemory;
  load?: LoadState;
  /** The seed's 3.2 GB safety line, bytes. */
  safetyLineBytes: number;
  targets: import('../profile/stack.ts').Targets;
  /** Most recent events, newest last (at most 50). */
  events: RunEvent[];
  verdict?: Verdict;
}
