/**
 * What v1 and v2 cgroups do alike: join, list, kill and remove. A cgroup of ours lives in one
 * directory per controller we use (v1: memory, and cpu when present; v2: one directory).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.ts';
import type { CgroupVersion, MemoryCgroup, MemoryStats } from './cgroup.ts';
import { pidsUnder, readOptional, rmdirTree, sleep, writeValue } from './cgroup-files.ts';
import type { CgroupLayout } from './detect-cgroups.ts';
import { parseProcs } from './memory-files.ts';
import type { Psi } from './psi.ts';

/** How long destroy() waits for killed processes to leave before it gives up. */
export const DESTROY_TIMEOUT_MS = 5_000;

export abstract class BaseCgroup implements MemoryCgroup {
  abstract readonly version: CgroupVersion;
  readonly dir: string;
  readonly kernelPath: string;

  constructor(
    readonly layout: CgroupLayout,
    readonly path: string,
    /** Absolute directories of this cgroup, memory controller first. */
    readonly dirs: string[],
  ) {
    this.dir = dirs[0];
    // (`path` here is the parameter, always starting with '/'.)
    this.kernelPath = layout.kernelPrefix ? `${layout.kernelPrefix.replace(/\/+$/, '')}${path}` : path;
  }

  abstract setMemoryLimit(bytes: number, swapBytes: number): Promise<void>;
  abstract setCpuLimit(cpus: number): Promise<void>;
  abstract stats(): Promise<MemoryStats>;
  abstract pressure(): Promise<Psi | undefined>;
  /** Build a handle for a child whose directories already exist. */
  protected abstract wrap(relPath: string, dirs: string[]): BaseCgroup;
  /** v2 must enable controllers for the children before they are made. */
  protected async prepareForChildren(): Promise<void> {}

  procsFiles(): string[] {
    return this.dirs.map((d) => path.join(d, 'cgroup.procs'));
  }

  async addPid(pid: number): Promise<void> {
    for (const file of this.procsFiles()) await writeValue(file, pid);
  }

  async pids(): Promise<number[]> {
    return parseProcs((await readOptional(path.join(this.dir, 'cgroup.procs'))) ?? '');
  }

  async child(name: string): Promise<MemoryCgroup> {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
      throw new InputError(`bad cgroup name ${JSON.stringify(name)}`, 'use letters, digits, dot, dash and underscore');
    }
    await this.prepareForChildren();
    const dirs = this.dirs.map((d) => path.join(d, name));
    for (const d of dirs) await mkdir(d, { recursive: true });
    return this.wrap(path.posix.join(this.path, name), dirs);
  }

  async destroy(): Promise<void> {
    await this.killAll();
    // Children first: the kernel refuses to remove a cgroup that still has children.
    for (const d of this.dirs) await rmdirTree(d);
  }

  /** Kill-by-file where the kernel offers it (v2 cgroup.kill); the SIGKILL loop does the rest. */
  protected async killFast(): Promise<void> {}

  /**
   * SIGKILL every process in the tree until cgroup.procs is empty everywhere. A loop, because a
   * process may fork between our read and our kill; bounded, because a process stuck in the
   * kernel (D state) can outlive SIGKILL for a while.
   */
  protected async killAll(): Promise<void> {
    await this.killFast();
    const deadline = Date.now() + DESTROY_TIMEOUT_MS;
    for (;;) {
      const pids = [...new Set((await Promise.all(this.dirs.map(pidsUnder))).flat())];
      // Never kill ourselves: we may have been put in the cgroup by mistake; leave it to rmdir to fail.
      const victims = pids.filter((p) => p !== process.pid);
      if (victims.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(`cgroup ${this.path}: processes ${victims.join(', ')} still alive ${DESTROY_TIMEOUT_MS / 1000} s after SIGKILL`);
      }
      for (const pid of victims) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        }
      }
      await sleep(20);
    }
  }
}

/** Every pid in this cgroup and all its descendants (the memory controller's tree). */
export async function allPids(cgroup: MemoryCgroup): Promise<number[]> {
  return pidsUnder(cgroup.dir);
}

/** `/simulate//r-1/` → `/simulate/r-1`; rejects `..` and the root itself. */
export function normaliseCgroupPath(relPath: string): string {
  if (relPath.split('/').includes('..')) throw new InputError(`bad cgroup path ${JSON.stringify(relPath)}`, 'no ".." allowed');
  const p = path.posix.normalize(`/${relPath}`).replace(/\/+$/, '');
  if (p === '') throw new InputError('refusing to use the root cgroup', 'give a path such as /simulate/<run-id>');
  return p;
}

/** Limits are whole bytes; Infinity means none. */
export function checkBytes(what: string, n: number, zeroOk = false): void {
  if (n === Infinity) return;
  if (!Number.isSafeInteger(n) || n < 0 || (!zeroOk && n === 0)) {
    throw new InputError(`bad ${what}: ${n}`, 'give a whole number of bytes (sizes like 4g or 512m are parsed before this)');
  }
}
