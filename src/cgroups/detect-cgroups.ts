/**
 * Which cgroup hierarchy this machine has, where the memory (and cpu) controllers live, and
 * whether we may create cgroups there.
 *
 * - v2 (unified): `<sysRoot>/cgroup.controllers` exists; one tree for every controller.
 * - v1: `<sysRoot>/memory` is its own hierarchy, cpu at `<sysRoot>/cpu` (or `cpu,cpuacct`).
 * - Hybrid (v1 controllers plus an empty `<sysRoot>/unified` for systemd) counts as v1: the
 *   memory controller can only be attached to one hierarchy, and here it is the v1 one.
 */
import { constants } from 'node:fs';
import { access, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError } from '../errors.ts';
import type { CgroupVersion } from './cgroup.ts';

export interface CgroupLayout {
  version: CgroupVersion;
  /** Directory of the memory controller's hierarchy root (v2: the unified root). */
  memoryRoot: string;
  /** v1: root of the cpu controller's hierarchy, when mounted. v2: same as memoryRoot when `cpu` is available. */
  cpuRoot?: string;
  /**
   * v2 only: the root is a cgroup systemd delegated to this user (`systemd-run --user --scope
   * -p Delegate=yes`), not the hierarchy's root; cgroup paths are relative to it.
   */
  delegated?: boolean;
  /**
   * v2 delegated: memoryRoot's own path in the hierarchy, as the kernel prints cgroups (the OOM
   * killer's `task_memcg=`), e.g. `/user.slice/user-1000.slice/user@1000.service/app.slice/run-1.scope`.
   */
  kernelPrefix?: string;
}

/** Where a delegated root's own processes move so that it may hand controllers down. */
export const DELEGATED_LEAF = 'simulate-supervisor';

export interface CgroupDetection extends CgroupLayout {
  canWrite: boolean;
  /** Why we cannot write, when canWrite is false. */
  reason?: string;
}

export const CGROUP_PERMISSION_HINT =
  'run as root, or under a delegated cgroup: systemd-run --user --scope -p Delegate=yes simulate ...';

export async function detectCgroups(sysRoot = '/sys/fs/cgroup', selfCgroupFile = '/proc/self/cgroup'): Promise<CgroupDetection> {
  if (await exists(path.join(sysRoot, 'cgroup.controllers'))) return detectV2(sysRoot, selfCgroupFile);
  const memoryRoot = path.join(sysRoot, 'memory');
  if (await exists(path.join(memoryRoot, 'memory.limit_in_bytes'))) {
    let cpuRoot: string | undefined;
    for (const name of ['cpu', 'cpu,cpuacct']) {
      const dir = path.join(sysRoot, name);
      if (await exists(path.join(dir, 'cpu.cfs_quota_us'))) {
        cpuRoot = dir;
        break;
      }
    }
    const layout: CgroupLayout = { version: 1, memoryRoot, ...(cpuRoot ? { cpuRoot } : {}) };
    const denied = (await writable(memoryRoot)) ? undefined : memoryRoot;
    if (denied) return { ...layout, canWrite: false, reason: `cannot create cgroups in ${denied} (${whoAmI()})` };
    // A missing cpu hierarchy only costs --cpus; a read-only one would fail later, say so now.
    if (cpuRoot && !(await writable(cpuRoot))) {
      return { ...layout, canWrite: false, reason: `cannot create cgroups in ${cpuRoot} (${whoAmI()})` };
    }
    return { ...layout, canWrite: true };
  }
  throw new EnvironmentError(
    `no memory cgroup controller under ${sysRoot}`,
    'mount cgroup2 at /sys/fs/cgroup (or the v1 memory controller at /sys/fs/cgroup/memory); inside a container, run it with --privileged or --cgroupns=host',
  );
}

async function detectV2(sysRoot: string, selfCgroupFile: string): Promise<CgroupDetection> {
  const controllers = await readControllers(path.join(sysRoot, 'cgroup.controllers'));
  if (!controllers.includes('memory')) {
    throw new EnvironmentError(
      `the cgroup v2 hierarchy at ${sysRoot} has no memory controller (it is bound to a v1 hierarchy or disabled)`,
      'boot with systemd.unified_cgroup_hierarchy=1 and without cgroup_disable=memory',
    );
  }
  const base = { version: 2 as const, memoryRoot: sysRoot, ...(controllers.includes('cpu') ? { cpuRoot: sysRoot } : {}) };
  if (await writable(sysRoot, ['cgroup.subtree_control'])) return { ...base, canWrite: true };

  // Not root: a delegated cgroup we own will do (what systemd-run --user -p Delegate=yes gives).
  let own = await ownCgroup(selfCgroupFile);
  // Once a run has handed controllers down, we live in the root's leaf: the delegated root is its parent.
  if (own !== undefined && path.posix.basename(own) === DELEGATED_LEAF) own = path.posix.dirname(own);
  if (own !== undefined && own !== '/') {
    const dir = path.join(sysRoot, own);
    if (await writable(dir, ['cgroup.subtree_control', 'cgroup.procs'])) {
      const ownControllers = await readControllers(path.join(dir, 'cgroup.controllers')).catch(() => [] as string[]);
      if (ownControllers.includes('memory')) {
        return {
          version: 2,
          memoryRoot: dir,
          ...(ownControllers.includes('cpu') ? { cpuRoot: dir } : {}),
          delegated: true,
          kernelPrefix: own,
          canWrite: true,
        };
      }
      return { ...base, canWrite: false, reason: `the delegated cgroup ${dir} has no memory controller (start the scope with -p Delegate=yes)` };
    }
  }
  return { ...base, canWrite: false, reason: `cannot create cgroups in ${sysRoot} (${whoAmI()})` };
}

/** detectCgroups, but a machine where we cannot create cgroups is an EnvironmentError (exit 3). */
export async function requireWritableCgroups(sysRoot?: string): Promise<CgroupLayout> {
  const found = await detectCgroups(sysRoot);
  if (!found.canWrite) throw new EnvironmentError(found.reason ?? 'cannot create cgroups', CGROUP_PERMISSION_HINT);
  const { canWrite: _c, reason: _r, ...layout } = found;
  return layout;
}

/** The v2 line `0::/user.slice/...` of /proc/self/cgroup. */
export async function ownCgroup(selfCgroupFile = '/proc/self/cgroup'): Promise<string | undefined> {
  const text = await readFile(selfCgroupFile, 'utf8').catch(() => '');
  for (const line of text.split('\n')) if (line.startsWith('0::')) return line.slice(3).trim();
  return undefined;
}

async function readControllers(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8')).trim().split(/\s+/).filter(Boolean);
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    // Missing (or unreadable, which here means the same: not ours to use).
    return false;
  }
}

/**
 * access(W_OK) sees both permissions and read-only mounts (EROFS, as in an unprivileged
 * container). On v2 the interface files must be writable too: systemd delegation chowns them.
 */
async function writable(dir: string, files: string[] = []): Promise<boolean> {
  try {
    await access(await realpath(dir), constants.W_OK);
    for (const f of files) {
      const p = path.join(dir, f);
      if (await exists(p)) await access(p, constants.W_OK);
    }
    return true;
  } catch {
    // EACCES / EROFS / EPERM: not writable, which is the answer; the caller names the directory.
    return false;
  }
}

function whoAmI(): string {
  const uid = process.getuid?.();
  return uid === undefined ? 'no write permission' : uid === 0 ? 'read-only even for root' : `uid ${uid} is not root`;
}
