/**
 * cgroup v2: one tree. A controller works in a cgroup only when its parent lists it in
 * `cgroup.subtree_control`, and a cgroup that hands controllers down may hold no process itself
 * (the "no internal processes" rule): our run cgroup holds only service children.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError, InputError } from '../errors.ts';
import type { MemoryStats } from './cgroup.ts';
import { BaseCgroup, checkBytes } from './cgroup-base.ts';
import { fileExists, readOptional, readOptionalNow, readText, readTextNow, systemHasSwap, writeValue } from './cgroup-files.ts';
import { DELEGATED_LEAF, type CgroupLayout } from './detect-cgroups.ts';
import { parseProcs, statsFromV2 } from './memory-files.ts';
import { readPsi, type Psi } from './psi.ts';
import { swallow } from '../util/debug.ts';

const CPU_PERIOD_US = 100_000;
export { DELEGATED_LEAF };

export class CgroupV2 extends BaseCgroup {
  readonly version = 2 as const;
  /** memory.peak arrived in kernel 5.19; before that, the highest usage we have read. */
  private peakSeen = 0;

  protected wrap(relPath: string, dirs: string[]): CgroupV2 {
    return new CgroupV2(this.layout, relPath, dirs);
  }

  protected async prepareForChildren(): Promise<void> {
    await enableControllers(this.layout, this.dir);
  }

  async setMemoryLimit(bytes: number, swapBytes: number): Promise<void> {
    checkBytes('memory limit', bytes);
    checkBytes('swap', swapBytes, true);
    await writeValue(path.join(this.dir, 'memory.max'), v2Value(bytes));
    const swapMax = path.join(this.dir, 'memory.swap.max');
    if (fileExists(swapMax)) await writeValue(swapMax, v2Value(swapBytes));
    else if (await systemHasSwap()) {
      throw new EnvironmentError(
        `${swapMax} is missing (no swap accounting), so swap inside the cap cannot be controlled`,
        'boot with swapaccount=1, or turn swap off (swapoff -a)',
      );
    }
  }

  async setCpuLimit(cpus: number): Promise<void> {
    if (!Number.isFinite(cpus) || cpus < 0) throw new InputError(`bad CPU limit ${cpus}`, 'give a number of cores such as 2 or 1.5');
    const file = path.join(this.dir, 'cpu.max');
    if (!fileExists(file)) {
      if (cpus === 0) return;
      throw new EnvironmentError(`cgroup ${this.path} has no cpu controller (${file} is missing)`, 'enable +cpu in the parent cgroup.subtree_control, or run without --cpus');
    }
    await writeValue(file, cpus === 0 ? `max ${CPU_PERIOD_US}` : `${Math.max(1000, Math.round(cpus * CPU_PERIOD_US))} ${CPU_PERIOD_US}`);
  }

  async stats(): Promise<MemoryStats> {
    // Synchronous reads (see readTextNow): kernel-made files, no thread-pool round trips per file.
    const read = (f: string) => readTextNow(path.join(this.dir, f));
    const optional = (f: string) => readOptionalNow(path.join(this.dir, f));
    const current = read('memory.current');
    const stat = read('memory.stat');
    const events = read('memory.events');
    const max = read('memory.max');
    const swap = optional('memory.swap.current');
    const peak = optional('memory.peak');
    const stats = statsFromV2(
      {
        'memory.current': current,
        'memory.stat': stat,
        'memory.events': events,
        'memory.max': max,
        ...(swap === undefined ? {} : { 'memory.swap.current': swap }),
        ...(peak === undefined ? {} : { 'memory.peak': peak }),
      },
      this.peakSeen,
    );
    this.peakSeen = Math.max(this.peakSeen, stats.usage);
    return stats;
  }

  async pressure(): Promise<Psi | undefined> {
    return readPsi(path.join(this.dir, 'memory.pressure'));
  }

  /** cgroup.kill (kernel 5.14+) kills the whole subtree at once, forks included. */
  protected async killFast(): Promise<void> {
    const file = path.join(this.dir, 'cgroup.kill');
    // cgroup.kill is the fast path; the SIGKILL loop after it does the work where the kernel refused.
    if (fileExists(file)) await writeValue(file, 1).catch(swallow('cgroup', 'write cgroup.kill'));
  }
}

function v2Value(n: number): string {
  return Number.isFinite(n) ? String(n) : 'max';
}

/**
 * Let the children of `dir` have memory (and cpu) controllers: every cgroup from the root down to
 * `dir` must list them in cgroup.subtree_control, the root first.
 */
export async function enableControllers(layout: CgroupLayout, dir: string): Promise<void> {
  const rel = path.relative(layout.memoryRoot, dir);
  if (rel.startsWith('..')) throw new Error(`${dir} is not under ${layout.memoryRoot}`);
  const chain = [layout.memoryRoot];
  for (const part of rel.split(path.sep).filter(Boolean)) chain.push(path.join(chain[chain.length - 1], part));
  for (const cg of chain) {
    const available = await controllersOf(cg, layout);
    const enabled = ((await readOptional(path.join(cg, 'cgroup.subtree_control'))) ?? '').trim().split(/\s+/);
    const wanted = ['memory', ...(layout.cpuRoot ? ['cpu'] : [])].filter((c) => available.includes(c) && !enabled.includes(c));
    if (wanted.length === 0) continue;
    const line = wanted.map((c) => `+${c}`).join(' ');
    try {
      await writeValue(path.join(cg, 'cgroup.subtree_control'), line);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EBUSY' && layout.delegated && cg === layout.memoryRoot) {
        // Our delegated scope still holds our own process: move it to a leaf, then hand controllers down.
        await moveProcsToLeaf(cg);
        await writeValue(path.join(cg, 'cgroup.subtree_control'), line);
      } else if (code === 'EBUSY') {
        throw new EnvironmentError(
          `cannot enable ${line} in ${cg}: it holds processes (cgroup v2 allows controllers only in cgroups without processes)`,
          'pick a cgroup path whose parents hold no processes',
        );
      } else throw err;
    }
  }
}

async function controllersOf(dir: string, layout: CgroupLayout): Promise<string[]> {
  try {
    return (await readFile(path.join(dir, 'cgroup.controllers'), 'utf8')).trim().split(/\s+/);
  } catch {
    // Only a fake root can lack the file; assume the root's controllers.
    return ['memory', ...(layout.cpuRoot ? ['cpu'] : [])];
  }
}

async function moveProcsToLeaf(dir: string): Promise<void> {
  const leaf = path.join(dir, DELEGATED_LEAF);
  await mkdir(leaf, { recursive: true });
  for (const pid of parseProcs((await readOptional(path.join(dir, 'cgroup.procs'))) ?? '')) {
    // A process that exited already cannot be moved: nothing to move.
    await writeValue(path.join(leaf, 'cgroup.procs'), pid).catch(swallow('cgroup', `move pid ${pid} to ${leaf}`));
  }
}
