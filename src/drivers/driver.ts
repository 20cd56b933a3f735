/**
 * A driver brings a Stack up inside one capped cgroup and takes it down. Nothing outside
 * `src/drivers` knows whether a service is a container or a process: everyone else sees handles.
 */
import type { MemoryCgroup } from '../cgroups/cgroup.ts';
import type { ServiceSpec, Stack } from '../profile/stack.ts';
import type { RunEvent } from '../model/index.ts';

export type DriverName = 'process' | 'docker';

export interface ServiceHandle {
  name: string;
  spec: ServiceSpec;
  /** The service's own memory cgroup (a child of the capped parent). */
  cgroup: MemoryCgroup;
  pid?: number;
  containerId?: string;
  version?: string;
  /** For docker: which local image stood in for the image the profile names. */
  image?: string;
  /**
   * OOM kills already turned into events. The driver (at an exit, or from docker's `oom` event) and the
   * monitor (the cgroup's counter) both report kills; whoever sees a kill first bumps this, so none is
   * reported twice. Check and bump in the same synchronous step.
   */
  oomKillsReported: number;
  /**
   * Bumped when the service's cgroup is made anew (docker: each container start), which resets its
   * OOM-kill counter: a counter read that began in an earlier incarnation must not be compared with the
   * new `oomKillsReported`. Absent: the cgroup lives as long as the run.
   */
  incarnation?: number;
}

export interface DriverContext {
  runId: string;
  /** results/<run-id>: logs go to `<runDir>/logs/<service>.log`. */
  runDir: string;
  /** Per-run scratch (data dirs, sockets); removed at the end unless kept. */
  workDir: string;
  /** The capped parent cgroup of this run. */
  parent: MemoryCgroup;
  /** Events go to the run (and from there to the monitor, CSV and reporters). */
  emit(event: Omit<RunEvent, 'at' | 't'> & { at?: number }): void;
  signal: AbortSignal;
  /** Ask the monitor to read the cgroups now (a service just exited: was it the kernel?). */
  sampleNow?: () => void;
  /**
   * Host directories of named volumes the run filled before `up` (a kept dataset copied cold into the
   * postgres volume): the service must start from their content, not from an empty volume. The process
   * driver uses these directories anyway; the docker driver bind-mounts them instead of making a volume.
   */
  filledVolumes?: string[];
}

/**
 * What a fault does to one service, as an operator or a crash would: `kill` is SIGKILL to the service's
 * processes (a crash: the restart policy decides what follows), `stop` stops it and keeps it stopped (no
 * policy restarts it) until `start`, `restart` is stop + start, `pause`/`resume` freeze and thaw it.
 */
export type ServiceAction = 'kill' | 'stop' | 'start' | 'restart' | 'pause' | 'resume';

export interface Driver {
  readonly name: DriverName;
  /** Start every available service in depends_on order and wait until each is ready. */
  up(stack: Stack, ctx: DriverContext): Promise<ServiceHandle[]>;
  /** Stop everything this driver started for the run; safe to call twice and after a failed up. */
  down(): Promise<void>;
  /** Current handles (pids change when a service restarts). */
  handles(): ServiceHandle[];
  /**
   * `simulate up`: let go of the services without stopping them, so this process can exit while they run
   * (no restart policy applies after that; `simulate down` stops them).
   */
  release?(): void;
  /** Act on a running service (faults). Resolves with one line saying what was done, for the timeline. */
  inject(service: string, action: ServiceAction): Promise<string>;
}
