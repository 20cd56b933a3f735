/**
 * Where the engine puts a run's containers. With the cgroupfs driver, `CgroupParent: /simulate/<run>`
 * puts a container at `<controller>/simulate/<run>/<id>` in every controller, held by the limit the
 * run set on `memory/simulate/<run>`. The systemd driver wants a `.slice` whose limit is set on the
 * unit (moby #33876); that needs systemd as PID 1, which this tool does not drive yet.
 */
import { readdir, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { MemoryCgroup } from '../../cgroups/cgroup.ts';
import { EnvironmentError } from '../../errors.ts';

export function cgroupParentFor(parent: MemoryCgroup, cgroupDriver: string | undefined): string {
  if (cgroupDriver === 'systemd') {
    throw new EnvironmentError(
      'the Docker engine uses the systemd cgroup driver, which the docker driver does not support yet (it needs a capped .slice unit)',
      'start dockerd with `--exec-opt native.cgroupdriver=cgroupfs`, or use --driver process',
    );
  }
  return parent.path;
}

/**
 * The engine (runc) creates `<controller>/<parent>` in every controller it uses and leaves the
 * empty directories behind when the containers go. Remove those, but never the ones the run's own
 * cgroup owns (its `procsFiles()`): the run destroys them itself.
 */
export async function removeEngineParents(parent: MemoryCgroup, root = '/sys/fs/cgroup'): Promise<string[]> {
  const owned = new Set(parent.procsFiles().map((f) => path.dirname(f)));
  owned.add(parent.dir);
  const removed: string[] = [];
  let controllers: string[];
  try {
    controllers = await readdir(root);
  } catch {
    // No cgroup root to look in (a fake or an unmounted hierarchy): nothing of the engine's to remove.
    return removed;
  }
  for (const c of controllers) {
    const dir = path.join(root, c, parent.path);
    if (owned.has(dir)) continue;
    try {
      if (!(await stat(dir)).isDirectory()) continue;
      const children = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory());
      if (children.length) continue;
      await rmdir(dir);
      removed.push(dir);
      // Its parents (`/simulate`) too when empty: another run may still use them, then rmdir fails.
      let up = path.dirname(parent.path);
      while (up !== '/' && up !== '.') {
        try {
          await rmdir(path.join(root, c, up));
        } catch {
          // Not empty (another run) or gone: stop climbing.
          break;
        }
        up = path.dirname(up);
      }
    } catch {
      /* gone already, or busy: nothing of ours to do */
    }
  }
  return removed;
}
