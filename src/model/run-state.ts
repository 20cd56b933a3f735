/**
 * RunState: everything a reporter sees of a run, kept by the engine (src/run/run-state.ts folds events,
 * samples and load windows into it). Shared by every layer; it imports only other types.
 */
import type { ServiceKind, Targets } from '../profile/stack.ts';
import type { RunEvent } from './events.ts';
import type { Verdict } from './verdict.ts';

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
  /** The most page cache the stack held at one reading (reclaimable before an OOM kill; part of usage). */
  peakPageCache?: number;
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
  /** Requests that ended (completed + errors + dropped) and those that failed (errors + dropped), whole load. */
  totalRequests: number;
  totalErrors: number;
  /**
   * The same over the seconds the verdict judges (warm-up left out), what the live error rate reads;
   * absent until a judged second ended.
   */
  judgedRequests?: number;
  judgedFailures?: number;
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
  targets: Targets;
  /** Most recent events, newest last (at most 50). */
  events: RunEvent[];
  verdict?: Verdict;
}
