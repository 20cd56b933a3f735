/**
 * The cgroup layer on this machine's real cgroup v1 hierarchy: caps hold, the kernel OOM-kills
 * inside them, counters and the kernel log say so, and destroy() leaves nothing behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryCgroup } from './cgroup.ts';
import { allPids } from './cgroup-base.ts';
import { detectCgroups } from './detect-cgroups.ts';
import { readKernelOomKills } from './kernel-oom-log.ts';
import { createCgroup, listRunCgroups, openCgroup, removeIfEmpty, RUNS_PARENT } from './open-cgroup.ts';

const MiB = 1024 ** 2;
const isRoot = process.getuid?.() === 0;
const isV1 = existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes') && !existsSync('/sys/fs/cgroup/cgroup.controllers');
const PYTHON = '/usr/bin/python3';
const runnable = isRoot && isV1 && existsSync(PYTHON);
const why = !isRoot ? 'needs root' : !isV1 ? 'needs cgroup v1' : `needs ${PYTHON}`;

let made: MemoryCgroup[] = [];
afterEach(async () => {
  for (const cg of made) await cg.destroy();
  made = [];
  await removeIfEmpty(RUNS_PARENT);
});

async function newRun(): Promise<MemoryCgroup> {
  const cg = await createCgroup(`${RUNS_PARENT}/test-${randomBytes(4).toString('hex')}`);
  made.push(cg);
  return cg;
}

/** Start argv inside `cg` the way the process driver does: a shell joins the cgroup, then execs. */
function startIn(cg: MemoryCgroup, argv: string[]) {
  const joins = cg.procsFiles().map((f) => `echo $$ > '${f}'`).join(' && ');
  const child = spawn('/bin/sh', ['-c', `${joins} && exec "$@"`, 'sh', ...argv], { stdio: 'ignore' });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited };
}

/** The state letter from /proc/PID/stat (R, S, Z, ...), or 'gone'. */
function processState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return 'gone';
  }
}

const read = (dir: string, file: string) => readFileSync(path.join(dir, file), 'utf8').trim();

describe.skipIf(!runnable)(runnable ? 'cgroup v1 on this machine (as root)' : `cgroup v1 on this machine (skipped: ${why})`, () => {
  it('a child that outgrows the 64 MiB parent cap is OOM-killed; counters and kernel log agree', async () => {
    const run = await newRun();
    await run.setMemoryLimit(64 * MiB, 0);
    const hog = await run.child('hog');
    const { child, exited } = startIn(hog, [PYTHON, '-c', 'b = b"x" * (200 << 20)']);
    const { signal } = await exited;

    expect(signal).toBe('SIGKILL');
    expect((await hog.stats()).oomKills).toBe(1);
    const parent = await run.stats();
    expect(parent.limit).toBe(64 * MiB);
    expect(read(run.dir, 'memory.limit_in_bytes')).toBe(String(64 * MiB));
    expect(parent.oomKills).toBe(0); // v1 counts the kill in the victim's own cgroup only
    expect(parent.peak).toBeGreaterThan(60 * MiB);

    const kills = await readKernelOomKills({ under: run.path });
    expect(kills).toContainEqual(expect.objectContaining({ pid: child.pid, name: 'python3', memcg: run.path, taskMemcg: hog.path }));

    expect(await listRunCgroups()).toContain(path.basename(run.path));
    await run.destroy();
    expect(existsSync(run.dir)).toBe(false);
    expect(existsSync(path.join('/sys/fs/cgroup/cpu', run.path))).toBe(false);
    expect(await listRunCgroups()).not.toContain(path.basename(run.path));
  });

  it('memsw = limit forbids swap; raising and lowering keep memsw ≥ limit', async () => {
    const run = await newRun();
    const files = () => [read(run.dir, 'memory.limit_in_bytes'), read(run.dir, 'memory.memsw.limit_in_bytes')].map(Number);
    await run.setMemoryLimit(64 * MiB, 0);
    expect(files()).toEqual([64 * MiB, 64 * MiB]);
    expect(read(run.dir, 'memory.swappiness')).toBe('0');
    await run.setMemoryLimit(64 * MiB, 32 * MiB);
    expect(files()).toEqual([64 * MiB, 96 * MiB]);
    await run.setMemoryLimit(32 * MiB, 0); // lower: limit first
    expect(files()).toEqual([32 * MiB, 32 * MiB]);
    await run.setMemoryLimit(128 * MiB, 0); // raise above memsw: memsw first
    expect(files()).toEqual([128 * MiB, 128 * MiB]);
    await run.setMemoryLimit(Infinity, Infinity);
    expect((await run.stats()).limit).toBe(Infinity);
    expect(read(run.dir, 'memory.use_hierarchy')).toBe('1');
  });

  it('CPU quota in the cpu controller', async () => {
    const run = await newRun();
    const cpuDir = path.join((await detectCgroups()).cpuRoot ?? '/sys/fs/cgroup/cpu', run.path);
    await run.setCpuLimit(1.5);
    expect([read(cpuDir, 'cpu.cfs_quota_us'), read(cpuDir, 'cpu.cfs_period_us')]).toEqual(['150000', '100000']);
    await run.setCpuLimit(0);
    expect(read(cpuDir, 'cpu.cfs_quota_us')).toBe('-1');
  });

  it('destroy() kills every process in the tree, forks included, and removes all directories', async () => {
    const run = await newRun();
    const svc = await run.child('svc');
    expect(svc.procsFiles()).toEqual([path.join(run.dir, 'svc/cgroup.procs'), path.join('/sys/fs/cgroup/cpu', run.path, 'svc/cgroup.procs')]);
    const { exited } = startIn(svc, ['/bin/sh', '-c', 'sleep 300 & sleep 300 & wait']);
    for (let i = 0; i < 100 && (await svc.pids()).length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    const pids = await allPids(run);
    expect(pids).toHaveLength(3);
    expect(await run.pids()).toEqual([]);

    await run.destroy();
    expect((await exited).signal).toBe('SIGKILL');
    // Orphaned grandchildren may linger a moment as zombies until init reaps them: dead either way.
    for (const pid of pids) expect(['gone', 'Z']).toContain(processState(pid));
    expect(existsSync(run.dir)).toBe(false);
    expect(existsSync(svc.procsFiles()[1])).toBe(false);
    await run.destroy(); // idempotent
  });

  it('a half-removed run (memory dir gone, cpu dir left) still opens and is reaped', async () => {
    const run = await newRun();
    const id = path.basename(run.path);
    rmdirSync(run.dir);
    expect(await listRunCgroups()).toContain(id);
    const leftover = await openCgroup(run.path);
    await leftover.destroy();
    expect(await listRunCgroups()).not.toContain(id);
  });
});
