/**
 * A fake cgroup v1 root for unit tests: a temp directory laid out like /sys/fs/cgroup (memory controller
 * only), whose cgroups are filled with memory files recorded on a real kernel (test/fixtures/cgroup-v1-oom,
 * see its record.sh). It stands in for the kernel's file behaviour only: a new cgroup gets the recorded
 * files, removing one drops its files (as the kernel's rmdir does). What the code reads and writes is the
 * real code's; no root needed.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCgroup, detectCgroups, type CgroupLayout, type MemoryCgroup } from '../../src/cgroups/index.ts';
import type { RunCgroups } from '../../src/run/run.ts';

export const RECORDED_V1_OOM = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/cgroup-v1-oom');

/** Copy the recorded files of `moment/rel` (`before` or `after`, `''` or `app`) into a cgroup's directory. */
export function replayFiles(dir: string, moment: 'before' | 'after', rel = ''): void {
  const from = path.join(RECORDED_V1_OOM, moment, rel);
  for (const f of readdirSync(from)) if (statSync(path.join(from, f)).isFile()) cpSync(path.join(from, f), path.join(dir, f));
}

export interface FakeCgroupRoot {
  root: string;
  layout: CgroupLayout;
  cgroups: RunCgroups;
  /** Directories of cgroups still there under /simulate (what a run must leave empty). */
  leftovers(): string[];
  dispose(): void;
}

export async function fakeCgroupRoot(): Promise<FakeCgroupRoot> {
  const root = mkdtempSync(path.join(tmpdir(), 'fake-cgroup1-'));
  const memory = path.join(root, 'memory');
  mkdirSync(memory);
  // The root of a v1 memory hierarchy: what detectCgroups looks for, unlimited as on a real machine.
  writeFileSync(path.join(memory, 'memory.limit_in_bytes'), '9223372036854771712\n');
  writeFileSync(path.join(memory, 'memory.use_hierarchy'), '1\n');
  const layout = await detectCgroups(root);
  if (layout.version !== 1 || !layout.canWrite) throw new Error(`fake root not seen as a writable v1 hierarchy: ${JSON.stringify(layout)}`);
  const cgroups: RunCgroups = {
    version: 1,
    async create(relPath): Promise<MemoryCgroup> {
      const cg = await createCgroup(relPath, { layout, cpu: false });
      replayFiles(cg.dir, 'before');
      return cg;
    },
    async remove(relPath) {
      rmSync(path.join(memory, relPath), { recursive: true, force: true });
      const parent = path.join(memory, path.dirname(relPath));
      if (existsSync(parent) && readdirSync(parent, { withFileTypes: true }).every((d) => !d.isDirectory())) rmSync(parent, { recursive: true });
    },
  };
  return {
    root,
    layout,
    cgroups,
    leftovers: () => {
      const runs = path.join(memory, 'simulate');
      return existsSync(runs) ? readdirSync(runs, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name) : [];
    },
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}
