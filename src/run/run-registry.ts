/**
 * Every run leaves a record in its work dir (`/var/tmp/simulate/<run-id>/owner.json`): who owns it, which
 * cgroup, which services. A run killed with SIGKILL cannot clean up; the next `simulate` finds its record,
 * sees the owner is gone, and reaps what remains (like testcontainers' reaper). Stacks left up on purpose
 * (`simulate up`) are marked detached and only `simulate down` takes them.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { listRunCgroups, openCgroup, removeEverywhere, removeIfEmpty, RUNS_PARENT } from '../cgroups/index.ts';
import { swallow } from '../util/debug.ts';

export const WORK_BASE = process.env.SIMULATE_WORK_DIR ?? '/var/tmp/simulate';

export interface OwnerRecord {
  runId: string;
  pid: number;
  /** The owner's start time (/proc/<pid>/stat field 22): a reused pid is not the owner. */
  pidStart: string;
  detached: boolean;
  driver: 'process' | 'docker';
  cgroup: string;
  profile: string;
  startedAt: string;
  runDir: string;
  appUrl?: string;
  services: Array<{ name: string; stopSignal?: string }>;
  /** The engine the run's containers are on, when not this machine's (--docker-host). */
  dockerHost?: string;
}

/**
 * The base is shared by every user's runs, as /tmp is: world-writable with the sticky bit. Root's first run
 * (or `simulate setup`) makes it; without the mode, a later run by a non-root user (a delegated cgroup
 * subtree) could not make its own work dir under it, and failed before starting anything.
 */
export function ensureWorkBase(base = WORK_BASE): void {
  fs.mkdirSync(base, { recursive: true });
  const st = fs.statSync(base);
  // Only the base's owner may change its mode; anyone else finds it as its owner made it.
  if (st.uid === process.getuid?.() && (st.mode & 0o7777) !== 0o1777) fs.chmodSync(base, 0o1777);
}

export function workDirOf(runId: string): string {
  return path.join(WORK_BASE, runId);
}

export function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may hold spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    // No such process: its owner is gone.
    return undefined;
  }
}

/** Into the run's work dir (by default the one the reaper looks in). */
export function writeOwner(rec: OwnerRecord, dir = workDirOf(rec.runId)): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'owner.json'), JSON.stringify(rec, null, 2));
}

export function readOwner(runId: string): OwnerRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(workDirOf(runId), 'owner.json'), 'utf8')) as OwnerRecord;
  } catch {
    // No record (a cgroup left without its work dir) or a half-written one: the reaper goes by the cgroup.
    return undefined;
  }
}

export function ownerAlive(rec: OwnerRecord | undefined): boolean {
  return rec !== undefined && processStart(rec.pid) === rec.pidStart;
}

/** `20261125-191107-e92c`: what newRunId makes. Other names under /simulate are not runs (a test's own cgroup). */
export const RUN_ID_SHAPE = /^\d{8}-\d{6}-[0-9a-f]{4}$/;

/** Run ids with a work dir or a cgroup of ours. */
export async function knownRuns(): Promise<string[]> {
  const ids = new Set<string>();
  try {
    for (const d of fs.readdirSync(WORK_BASE)) ids.add(d);
  } catch {
    /* no runs yet */
  }
  for (const id of await listRunCgroups().catch(swallow('reaper', 'list run cgroups', [] as string[]))) ids.add(id);
  return [...ids].filter((id) => RUN_ID_SHAPE.test(id)).sort();
}

export type DockerReaper = (isGone: (runId: string) => boolean) => Promise<number>;

/**
 * Reap runs whose owner died without cleaning up (SIGKILL, a crash of the machine's OOM killer on us).
 * With `include` the given detached runs go too (`simulate down`). Returns the run ids reaped.
 */
export async function reap(opts: { include?: (rec: OwnerRecord | undefined, runId: string) => boolean; docker?: DockerReaper } = {}): Promise<string[]> {
  const reaped: string[] = [];
  const gone = new Set<string>();
  for (const runId of await knownRuns()) {
    const rec = readOwner(runId);
    const abandoned = !ownerAlive(rec) && !rec?.detached;
    if (!abandoned && !opts.include?.(rec, runId)) continue;
    if (ownerAlive(rec) && !rec?.detached) continue; // never a live run's
    gone.add(runId);
    await destroyRun(runId, rec);
    reaped.push(runId);
  }
  if (opts.docker) {
    await opts
      .docker((id) => {
        if (!RUN_ID_SHAPE.test(id)) return false; // a test's own containers, not a run of ours
        const rec = readOwner(id);
        return gone.has(id) || (!ownerAlive(rec) && !rec?.detached);
      })
      .catch(() => 0);
  }
  await removeIfEmpty(RUNS_PARENT).catch(swallow('reaper', `remove ${RUNS_PARENT}`, false));
  if (fs.existsSync(WORK_BASE) && fs.readdirSync(WORK_BASE).length === 0) fs.rmSync(WORK_BASE, { recursive: true, force: true });
  return reaped;
}

/** Stop a run's services gently (their stop signal), then kill what is left with the cgroup, then drop its files. */
export async function destroyRun(runId: string, rec?: OwnerRecord, graceMs = 10_000): Promise<void> {
  const cgPath = rec?.cgroup ?? `${RUNS_PARENT}/${runId}`;
  const parent = await openCgroup(cgPath).catch(() => undefined);
  if (parent) {
    for (const svc of [...(rec?.services ?? [])].reverse()) {
      const child = await openCgroup(`${cgPath}/${svc.name}`).catch(() => undefined);
      const pids = (await child?.pids().catch(() => [] as number[])) ?? [];
      for (const pid of pids) {
        try {
          process.kill(pid, (svc.stopSignal as NodeJS.Signals) ?? 'SIGTERM');
        } catch {
          /* gone */
        }
      }
      const deadline = Date.now() + graceMs;
      while (child && Date.now() < deadline && (await child.pids().catch(() => [])).length > 0) await new Promise((r) => setTimeout(r, 100));
    }
    await parent.destroy();
  }
  // Whatever else of the run is left in any hierarchy (the engine's blkio, pids, … directories).
  await removeEverywhere(cgPath).catch(swallow('reaper', `remove ${cgPath}`));
  // A disk-full fault's small filesystem is loop-mounted inside the work dir; a run killed while it was
  // mounted leaves the mount (and its loop device), which rmSync cannot remove. Detach them first.
  for (const mountPoint of mountsUnder(workDirOf(runId))) {
    const r = spawnSync('umount', ['-l', '-d', mountPoint], { stdio: 'ignore' });
    if (r.status !== 0) swallow('reaper', `umount ${mountPoint}`)(new Error(`umount exited ${r.status}`));
  }
  fs.rmSync(workDirOf(runId), { recursive: true, force: true });
}

/** Mount points at or below `dir`, deepest first (from /proc/self/mounts, whose paths escape spaces as \040). */
export function mountsUnder(dir: string, mountsText = readMounts()): string[] {
  const base = path.resolve(dir);
  return mountsText
    .split('\n')
    .map((line) => line.split(' ')[1])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8))))
    .filter((p) => p === base || p.startsWith(`${base}/`))
    .sort((a, b) => b.length - a.length);
}

function readMounts(): string {
  try {
    return fs.readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return ''; // not Linux: nothing of ours can be mounted
  }
}
