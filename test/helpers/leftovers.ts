/** What a run must not leave behind: processes in our cgroups, the cgroups, work dirs, containers. */
import fs from 'node:fs';
import { expect } from 'vitest';

const MEMORY_ROOT = '/sys/fs/cgroup/memory/simulate';

/** Run ids (our shape) that still have a cgroup or a work dir. */
export function leftoverRuns(): string[] {
  const shape = /^\d{8}-\d{6}-[0-9a-f]{4}$/;
  const dirs = (d: string) => {
    try {
      return fs.readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory() && shape.test(e.name)).map((e) => e.name);
    } catch {
      return [];
    }
  };
  // Every hierarchy: Docker's engine makes the run's cgroup in blkio, pids, devices, … too.
  const hierarchies = fs.existsSync('/sys/fs/cgroup') ? fs.readdirSync('/sys/fs/cgroup').map((c) => `/sys/fs/cgroup/${c}/simulate`) : [];
  return [...new Set([...hierarchies.flatMap(dirs), ...dirs('/var/tmp/simulate')])];
}

export function pidsIn(runId: string): number[] {
  const out: number[] = [];
  const walk = (dir: string) => {
    try {
      out.push(...fs.readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number));
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(`${dir}/${e.name}`);
    } catch {
      /* gone */
    }
  };
  walk(`${MEMORY_ROOT}/${runId}`);
  return out;
}

export async function assertNothingLeft(runId?: string): Promise<void> {
  const left = leftoverRuns().filter((id) => runId === undefined || id === runId);
  expect(left, `cgroups or work dirs left by runs: ${left.join(', ')}`).toEqual([]);
}
