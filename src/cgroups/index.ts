/** The cgroup layer: detect the hierarchy, make a capped cgroup per run, read it, remove it. */
export type { CgroupVersion, MemoryCgroup, MemoryStats } from './cgroup.ts';
export { detectCgroups, requireWritableCgroups, CGROUP_PERMISSION_HINT, type CgroupDetection, type CgroupLayout } from './detect-cgroups.ts';
export { createCgroup, openCgroup, removeEverywhere, removeIfEmpty, listRunCgroups, RUNS_PARENT, type CgroupOptions, type CreateCgroupOptions } from './open-cgroup.ts';
export { allPids, DESTROY_TIMEOUT_MS } from './cgroup-base.ts';
export * from './memory-files.ts';
export { parsePsi, readPsi, type Psi, type PsiLine } from './psi.ts';
export { parseKernelOomLines, readKernelOomKills, uptimeSeconds, type KernelOomKill, type ReadKernelOomOptions } from './kernel-oom-log.ts';
