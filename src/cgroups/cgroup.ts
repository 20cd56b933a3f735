/**
 * One memory cgroup, v1 or v2 behind the same interface. The run makes one capped parent and a
 * child per service; the monitor only reads `stats()`.
 */

export type CgroupVersion = 1 | 2;

/** A reading of a cgroup's memory files. All sizes in bytes. */
export interface MemoryStats {
  /** memory.usage_in_bytes (v1) / memory.current (v2). */
  usage: number;
  /** usage − inactive file cache: what `docker stats` and cAdvisor call memory. */
  workingSet: number;
  rss: number;
  cache: number;
  inactiveFile: number;
  /**
   * Active file cache (v1 total_active_file, v2 active_file). The kernel takes file cache back before it
   * OOM-kills anyone: usage − active − inactive file is the memory the stack holds for good (no swap).
   */
  activeFile: number;
  swap: number;
  /** memory.max_usage_in_bytes (v1) / memory.peak (v2, when the kernel has it; else max seen). */
  peak: number;
  /** Times the limit was hit (v1 failcnt, v2 memory.events max). */
  failcnt: number;
  /** The kernel's OOM-kill counter for this cgroup (v1: victims in this cgroup only; v2: hierarchical). */
  oomKills: number;
  /** memory limit, bytes (Infinity when unlimited). */
  limit: number;
}

export interface MemoryCgroup {
  readonly version: CgroupVersion;
  /** Path relative to the hierarchy root, e.g. `/simulate/r-123/postgres`. */
  readonly path: string;
  /**
   * The path as the kernel prints it in its log (`task_memcg=`): `path` itself, except in a delegated
   * v2 subtree, where `path` is relative to the delegated cgroup. Optional for hand-made handles.
   */
  readonly kernelPath?: string;
  /** Absolute directory of the memory controller's cgroup. */
  readonly dir: string;
  /** Set the memory cap and how much swap may be used on top of it (0 = none). */
  setMemoryLimit(bytes: number, swapBytes: number): Promise<void>;
  /** CPU quota in cores (0 = no limit). */
  setCpuLimit(cpus: number): Promise<void>;
  /** Files a process must write its pid into to join (all controllers we use). */
  procsFiles(): string[];
  addPid(pid: number): Promise<void>;
  pids(): Promise<number[]>;
  stats(): Promise<MemoryStats>;
  child(name: string): Promise<MemoryCgroup>;
  /** Kill every process inside (SIGKILL), then remove the directories, children first. */
  destroy(): Promise<void>;
  /**
   * Added (optional): this cgroup's memory PSI (v2 `memory.pressure`); undefined on v1, which has
   * none per cgroup (use readPsi() for /proc/pressure/memory).
   */
  pressure?(): Promise<import('./psi.ts').Psi | undefined>;
}
