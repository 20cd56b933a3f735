/**
 * Make, open, list and drop our cgroups. Paths are relative to the hierarchy root, e.g.
 * `/simulate/r-abc`: the same string Docker's `--cgroup-parent` takes (cgroupfs driver).
 */
import { mkdir, readdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.ts';
import type { MemoryCgroup } from './cgroup.ts';
import { BaseCgroup, normaliseCgroupPath } from './cgroup-base.ts';
import { childDirs, fileExists, rmdirTree } from './cgroup-files.ts';
import { CgroupV1 } from './cgroup-v1.ts';
import { CgroupV2, enableControllers } from './cgroup-v2.ts';
import { detectCgroups, requireWritableCgroups, type CgroupLayout } from './detect-cgroups.ts';
import { swallow } from '../util/debug.ts';

/** Every run's cgroup lives under this one, so a reaper finds them all. */
export const RUNS_PARENT = '/simulate';

export interface CgroupOptions {
  /** Where the hierarchy is; detected when omitted. Tests pass a fake root here. */
  layout?: CgroupLayout;
}

export interface CreateCgroupOptions extends CgroupOptions {
  /** v1: also make the directory in the cpu hierarchy, for --cpus (default: when cpu is mounted). */
  cpu?: boolean;
}

/** The directories of `relPath` in each controller hierarchy, memory first. */
function controllerDirs(layout: CgroupLayout, relPath: string, cpu: boolean): string[] {
  const memory = path.join(layout.memoryRoot, relPath);
  if (layout.version === 2 || !cpu || !layout.cpuRoot) return [memory];
  return [memory, path.join(layout.cpuRoot, relPath)];
}

function handle(layout: CgroupLayout, relPath: string, dirs: string[]): BaseCgroup {
  return layout.version === 1 ? new CgroupV1(layout, relPath, dirs) : new CgroupV2(layout, relPath, dirs);
}

/**
 * Create the cgroup (and any missing parents) in the memory controller, and on v1 in the cpu
 * controller; on v2 enable memory and cpu on the way down. Existing directories are reused.
 */
export async function createCgroup(relPath: string, opts: CreateCgroupOptions = {}): Promise<MemoryCgroup> {
  const layout = opts.layout ?? (await requireWritableCgroups());
  const rel = normaliseCgroupPath(relPath);
  const dirs = controllerDirs(layout, rel, opts.cpu ?? true);
  if (layout.version === 2) {
    // The parents first (a fresh /simulate), then controllers on along the way: a v2 cgroup gets a
    // controller only when its parent's cgroup.subtree_control lists it, and that file exists only
    // once the parent does.
    await mkdirRetrying(path.dirname(dirs[0]));
    await enableControllers(layout, path.dirname(dirs[0]));
  }
  for (const d of dirs) await mkdirRetrying(d);
  const cg = handle(layout, rel, dirs);
  if (cg instanceof CgroupV1) await cg.ensureHierarchy();
  return cg;
}

/**
 * mkdir -p, again if a parent vanished in between: another run's removeIfEmpty('/simulate') may
 * remove the shared parent right after we made it.
 */
async function mkdirRetrying(dir: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await mkdir(dir, { recursive: true });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw err;
    }
  }
}

/** A handle on an existing cgroup (the monitor, the reaper). Uses the cpu directory when there is one. */
export async function openCgroup(relPath: string, opts: CgroupOptions = {}): Promise<MemoryCgroup> {
  const layout = opts.layout ?? (await detectCgroups());
  const rel = normaliseCgroupPath(relPath);
  const all = controllerDirs(layout, rel, true);
  // A half-removed run (memory gone, cpu left) must still open, so the reaper can finish it.
  if (!all.some(fileExists)) throw new InputError(`no cgroup ${rel} in ${layout.memoryRoot}`);
  const dirs = all.filter((d, i) => i === 0 || fileExists(d));
  return handle(layout, rel, dirs);
}

/**
 * Remove the cgroup at `relPath` (e.g. the shared `/simulate`) in every controller if it has no
 * child cgroup left. False when something is still inside (another run, a process).
 */
export async function removeIfEmpty(relPath: string, opts: CgroupOptions = {}): Promise<boolean> {
  const layout = opts.layout ?? (await detectCgroups());
  let removed = true;
  for (const dir of controllerDirs(layout, normaliseCgroupPath(relPath), true)) {
    if ((await childDirs(dir)).length > 0) {
      removed = false;
      continue;
    }
    try {
      await rmdir(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      // EBUSY: a process or a just-made child is in it; ENOTEMPTY: same on a fake root.
      if (code === 'EBUSY' || code === 'ENOTEMPTY') removed = false;
      else throw err;
    }
  }
  return removed;
}

/** Run ids that have a cgroup under /simulate, in any controller: what a reaper must clean. */
export async function listRunCgroups(opts: CgroupOptions = {}): Promise<string[]> {
  const layout = opts.layout ?? (await detectCgroups());
  const names = new Set<string>();
  for (const dir of await everyHierarchy(layout, RUNS_PARENT)) for (const name of await childDirs(dir)) names.add(name);
  return [...names].sort();
}

/**
 * Every hierarchy's directory for `relPath`: on v1, Docker's engine makes the run's cgroup in each
 * controller (blkio, pids, devices, …), not only in memory and cpu. v2 has one.
 */
async function everyHierarchy(layout: CgroupLayout, relPath: string): Promise<string[]> {
  if (layout.version === 2) return [path.join(layout.memoryRoot, relPath)];
  const root = path.dirname(layout.memoryRoot);
  const names = await readdir(root).catch(() => [] as string[]);
  return names.map((n) => path.join(root, n, relPath)).filter(fileExists);
}

/**
 * Remove `relPath` (a run's cgroup, now without processes) in every hierarchy, deepest first, then the
 * shared `/simulate` where nothing else is left in it. The engine removes a container's cgroups a moment
 * after the container itself, so this retries for a few seconds.
 */
export async function removeEverywhere(relPath: string, opts: CgroupOptions & { waitMs?: number } = {}): Promise<void> {
  const layout = opts.layout ?? (await detectCgroups());
  const rel = normaliseCgroupPath(relPath);
  const deadline = Date.now() + (opts.waitMs ?? 3000);
  for (;;) {
    const left: string[] = [];
    for (const dir of await everyHierarchy(layout, rel)) await rmdirTree(dir).catch(() => left.push(dir));
    if (left.length === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const dir of await everyHierarchy(layout, RUNS_PARENT)) {
    // Another run may have made its cgroup here in between: the shared parent then stays.
    if ((await childDirs(dir)).length === 0) await rmdir(dir).catch(swallow('cgroup', `remove ${dir}`));
  }
}
