/**
 * cgroup v1: the memory controller in its own hierarchy, cpu in another. Figures for a parent
 * come from the hierarchical `total_*` keys; `memory.use_hierarchy` must be 1 so the children
 * are held by the parent's cap (on kernels ≥ 5.x it always is).
 */
import path from 'node:path';
import { EnvironmentError, InputError } from '../errors.ts';
import type { MemoryStats } from './cgroup.ts';
import { BaseCgroup, checkBytes } from './cgroup-base.ts';
import { fileExists, readOptional, readText, readTextNow, systemHasSwap, writeValue } from './cgroup-files.ts';
import { parseLimit, statsFromV1 } from './memory-files.ts';
import type { Psi } from './psi.ts';
import { swallow } from '../util/debug.ts';

const CFS_PERIOD_US = 100_000;

export class CgroupV1 extends BaseCgroup {
  readonly version = 1 as const;

  /** The cpu controller's directory, when this cgroup has one. */
  get cpuDir(): string | undefined {
    return this.dirs[1];
  }

  protected wrap(relPath: string, dirs: string[]): CgroupV1 {
    return new CgroupV1(this.layout, relPath, dirs);
  }

  /**
   * memory.limit_in_bytes caps memory; memory.memsw.limit_in_bytes caps memory + swap, so
   * memsw = limit is what forbids swap (swappiness 0 alone still lets global reclaim swap out).
   * The kernel keeps memsw ≥ limit at every step, so raising writes memsw first, lowering the limit first.
   */
  async setMemoryLimit(bytes: number, swapBytes: number): Promise<void> {
    checkBytes('memory limit', bytes);
    checkBytes('swap', swapBytes, true);
    const limitFile = path.join(this.dir, 'memory.limit_in_bytes');
    const memswFile = path.join(this.dir, 'memory.memsw.limit_in_bytes');
    if (!fileExists(memswFile)) {
      // No swap accounting (kernel without swapaccount=1): swap cannot be capped at all.
      if (await systemHasSwap()) {
        throw new EnvironmentError(
          `${memswFile} is missing (no swap accounting), so swap inside the cap cannot be controlled`,
          'boot with swapaccount=1, or turn swap off (swapoff -a)',
        );
      }
      await writeValue(limitFile, v1Value(bytes));
    } else {
      const memsw = bytes + swapBytes;
      const currentMemsw = parseLimit(await readText(memswFile));
      if (bytes > currentMemsw) {
        await writeValue(memswFile, v1Value(memsw));
        await writeValue(limitFile, v1Value(bytes));
      } else {
        await writeValue(limitFile, v1Value(bytes));
        await writeValue(memswFile, v1Value(memsw));
      }
    }
    // Belt and braces: with swappiness 0 the cgroup's own reclaim does not even try to swap anon pages.
    // Optional: some kernels refuse swappiness in a child of the root; memsw above already forbids swap.
    if (swapBytes === 0) await writeValue(path.join(this.dir, 'memory.swappiness'), 0).catch(swallow('cgroup', 'set memory.swappiness'));
  }

  async setCpuLimit(cpus: number): Promise<void> {
    if (!Number.isFinite(cpus) || cpus < 0) throw new InputError(`bad CPU limit ${cpus}`, 'give a number of cores such as 2 or 1.5');
    const cpuDir = this.cpuDir;
    if (!cpuDir) {
      if (cpus === 0) return;
      throw new EnvironmentError(`cgroup ${this.path} has no cpu controller directory`, 'mount the v1 cpu controller at /sys/fs/cgroup/cpu, or run without --cpus');
    }
    await writeValue(path.join(cpuDir, 'cpu.cfs_period_us'), CFS_PERIOD_US);
    // The kernel's minimum quota is 1 ms.
    await writeValue(path.join(cpuDir, 'cpu.cfs_quota_us'), cpus === 0 ? -1 : Math.max(1000, Math.round(cpus * CFS_PERIOD_US)));
  }

  async stats(): Promise<MemoryStats> {
    // Synchronous reads (see readTextNow): kernel-made files, no thread-pool round trips per file.
    const read = (f: string) => readTextNow(path.join(this.dir, f));
    return statsFromV1({
      'memory.stat': read('memory.stat'),
      'memory.usage_in_bytes': read('memory.usage_in_bytes'),
      'memory.max_usage_in_bytes': read('memory.max_usage_in_bytes'),
      'memory.failcnt': read('memory.failcnt'),
      'memory.oom_control': read('memory.oom_control'),
      'memory.limit_in_bytes': read('memory.limit_in_bytes'),
    });
  }

  /** v1 has no per-cgroup PSI (only /proc/pressure/memory, system-wide). */
  async pressure(): Promise<Psi | undefined> {
    return undefined;
  }

  /** A new cgroup must count its children's pages, or the cap would not hold them. */
  async ensureHierarchy(): Promise<void> {
    const file = path.join(this.dir, 'memory.use_hierarchy');
    const value = (await readOptional(file))?.trim();
    if (value === undefined || value === '1') return;
    try {
      await writeValue(file, 1);
    } catch (err) {
      throw new EnvironmentError(
        `${file} is 0 and cannot be set (${(err as Error).message}): child cgroups would escape the cap`,
        'set memory.use_hierarchy=1 on the parent cgroup before it has children',
      );
    }
  }
}

/** v1 writes -1 for "no limit". */
function v1Value(n: number): string {
  return Number.isFinite(n) ? String(n) : '-1';
}
