/**
 * The v2 implementation against a fake /sys/fs/cgroup: a temp copy of test/fixtures/cgroup-v2, the files
 * the real v2 kernel showed in the guest (test/v2-guest/, Debian's 6.1): the run cgroup `r-fixture` under a
 * 256 MiB cap, `svc` holding anon memory and page cache, `hog` after its OOM kill. Plain files stand in for
 * the kernel's here, so this checks what we read and write; the guest suite checks what the kernel does.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvironmentError } from '../errors.ts';
import { allPids } from './cgroup-base.ts';
import { systemHasSwap } from './cgroup-files.ts';
import { detectCgroups, type CgroupLayout } from './detect-cgroups.ts';
import { createCgroup, listRunCgroups, openCgroup, removeIfEmpty } from './open-cgroup.ts';

const FIXTURE = path.resolve(import.meta.dirname, '../../test/fixtures/cgroup-v2');
let root: string;
let layout: CgroupLayout;
const read = (rel: string) => readFileSync(path.join(root, rel), 'utf8');
/** A figure straight from a recorded file, read without our parsers: `key value` lines or a single number. */
const fig = (rel: string, key?: string): number => {
  const text = readFileSync(path.join(FIXTURE, rel), 'utf8');
  if (key === undefined) return Number(text.trim());
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  if (!m) throw new Error(`${rel} has no ${key}`);
  return Number(m[1]);
};
const procsOf = (rel: string) => readFileSync(path.join(FIXTURE, rel, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
const RUN = 'simulate/r-fixture';

beforeEach(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'fake-cgroup2-'));
  cpSync(FIXTURE, root, { recursive: true });
  const found = await detectCgroups(root);
  expect(found).toMatchObject({ version: 2, memoryRoot: root, cpuRoot: root, canWrite: true });
  layout = found;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('cgroup v2 (fake root holding files recorded on a real v2 kernel)', () => {
  it('stats() of the capped run cgroup after the OOM kill of one of its services', async () => {
    const cg = await openCgroup('/simulate/r-fixture', { layout });
    expect(cg.version).toBe(2);
    expect(cg.dir).toBe(path.join(root, RUN));
    const usage = fig(`${RUN}/memory.current`);
    expect(await cg.stats()).toEqual({
      usage,
      workingSet: usage - fig(`${RUN}/memory.stat`, 'inactive_file'),
      rss: fig(`${RUN}/memory.stat`, 'anon'),
      cache: fig(`${RUN}/memory.stat`, 'file'),
      inactiveFile: fig(`${RUN}/memory.stat`, 'inactive_file'),
      activeFile: fig(`${RUN}/memory.stat`, 'active_file'),
      swap: fig(`${RUN}/memory.swap.current`),
      peak: fig(`${RUN}/memory.peak`),
      failcnt: fig(`${RUN}/memory.events`, 'max'),
      oomKills: 1,
      limit: 256 * 1024 ** 2,
    });
  });

  it('stats() of the service holding page cache: working set leaves the inactive file pages out', async () => {
    const svc = await openCgroup('/simulate/r-fixture/svc', { layout });
    const s = await svc.stats();
    expect(s.inactiveFile).toBe(fig(`${RUN}/svc/memory.stat`, 'inactive_file'));
    expect(s.inactiveFile).toBeGreaterThan(0);
    expect(s.workingSet).toBe(fig(`${RUN}/svc/memory.current`) - fig(`${RUN}/svc/memory.stat`, 'inactive_file'));
    expect(s).toMatchObject({ oomKills: 0, limit: Infinity });
  });

  it('the victim counts its kill in memory.events; the parent counts it hierarchically but not in memory.events.local', async () => {
    const hog = await openCgroup('/simulate/r-fixture/hog', { layout });
    expect((await hog.stats()).oomKills).toBe(1);
    expect(fig(`${RUN}/memory.events.local`, 'oom_kill')).toBe(0);
    expect(fig(`${RUN}/svc/memory.events`, 'oom_kill')).toBe(0);
  });

  it('stats() on a kernel without memory.peak and swap files (before 5.19): peak is the highest usage read', async () => {
    const hogDir = path.join(root, RUN, 'hog');
    for (const f of ['memory.peak', 'memory.swap.current', 'memory.swap.max', 'memory.swap.events']) rmSync(path.join(hogDir, f), { force: true });
    const hog = await openCgroup('/simulate/r-fixture/hog', { layout });
    writeFileSync(path.join(hogDir, 'memory.current'), '536870912\n');
    expect(await hog.stats()).toMatchObject({ usage: 536870912, peak: 536870912, swap: 0, oomKills: 1 });
    writeFileSync(path.join(hogDir, 'memory.current'), '104857600\n');
    expect(await hog.stats()).toMatchObject({ usage: 104857600, peak: 536870912 });
  });

  it('per-cgroup memory.pressure', async () => {
    const run = await openCgroup('/simulate/r-fixture', { layout });
    const total = Number(/^some .*total=(\d+)$/m.exec(read(`${RUN}/memory.pressure`))![1]);
    const psi = await run.pressure?.();
    expect(psi?.some.total).toBe(total);
    expect(psi?.full).toBeDefined();
  });

  it('pids(), allPids() and procsFiles()', async () => {
    const run = await openCgroup('/simulate/r-fixture', { layout });
    const svc = await openCgroup('/simulate/r-fixture/svc', { layout });
    expect(await run.pids()).toEqual([]);
    expect(await svc.pids()).toEqual(procsOf(`${RUN}/svc`));
    expect((await allPids(run)).sort()).toEqual([...procsOf(`${RUN}/svc`), ...procsOf(`${RUN}/hog`)].sort());
    expect(run.procsFiles()).toEqual([path.join(root, RUN, 'cgroup.procs')]);
  });

  it('setMemoryLimit writes memory.max and memory.swap.max; Infinity is "max"', async () => {
    const cg = await openCgroup('/simulate/r-fixture', { layout });
    await cg.setMemoryLimit(3 * 1024 ** 3, 0);
    expect([read(`${RUN}/memory.max`), read(`${RUN}/memory.swap.max`)]).toEqual(['3221225472', '0']);
    await cg.setMemoryLimit(Infinity, 512 * 1024 ** 2);
    expect([read(`${RUN}/memory.max`), read(`${RUN}/memory.swap.max`)]).toEqual(['max', '536870912']);
    await expect(cg.setMemoryLimit(1.5, 0)).rejects.toThrow(/bad memory limit/);
  });

  it('without swap accounting, no swap file is invented (and with swap on, that is an error)', async () => {
    rmSync(path.join(root, RUN, 'hog', 'memory.swap.max'));
    const hog = await openCgroup('/simulate/r-fixture/hog', { layout });
    const attempt = hog.setMemoryLimit(256 * 1024 ** 2, 0);
    if (await systemHasSwap()) await expect(attempt).rejects.toThrow(EnvironmentError);
    else await attempt;
    expect(existsSync(path.join(hog.dir, 'memory.swap.max'))).toBe(false);
  });

  it('setCpuLimit writes cpu.max', async () => {
    const cg = await openCgroup('/simulate/r-fixture', { layout });
    await cg.setCpuLimit(1.5);
    expect(read(`${RUN}/cpu.max`)).toBe('150000 100000');
    await cg.setCpuLimit(0);
    expect(read(`${RUN}/cpu.max`)).toBe('max 100000');
  });

  it('createCgroup enables +memory +cpu in each parent that lacks them, root first', async () => {
    const rootControl = read('cgroup.subtree_control');
    writeFileSync(path.join(root, 'simulate/cgroup.subtree_control'), '\n');
    const run = await createCgroup('/simulate/r-new', { layout });
    expect(run.path).toBe('/simulate/r-new');
    expect(read('cgroup.subtree_control')).toBe(rootControl); // already enabled: untouched
    expect(read('simulate/cgroup.subtree_control')).toBe('+memory +cpu');
    const svc = await run.child('svc');
    expect(svc.path).toBe('/simulate/r-new/svc');
    expect(read('simulate/r-new/cgroup.subtree_control')).toBe('+memory +cpu');
    expect(existsSync(svc.dir)).toBe(true);
    await svc.addPid(4242);
    expect(read('simulate/r-new/svc/cgroup.procs')).toBe('4242');
    expect(svc.procsFiles()).toEqual([path.join(root, 'simulate/r-new/svc/cgroup.procs')]);
  });

  it('createCgroup under a parent that does not exist yet makes it, then enables controllers in it (a fresh /simulate)', async () => {
    const run = await createCgroup('/fresh/r-1', { layout });
    expect(read('fresh/cgroup.subtree_control')).toBe('+memory +cpu');
    expect(existsSync(run.dir)).toBe(true);
  });

  it('destroy() removes children first, is idempotent; removeIfEmpty and listRunCgroups', async () => {
    const run = await createCgroup('/simulate/r-gone', { layout });
    // Made by hand: child() would write subtree_control into `a`, a file the fake cannot rmdir past.
    mkdirSync(path.join(run.dir, 'a/deeper'), { recursive: true });
    mkdirSync(path.join(run.dir, 'b'));
    expect(await listRunCgroups({ layout })).toEqual(['r-fixture', 'r-gone']);
    await run.destroy();
    await run.destroy();
    expect(existsSync(path.join(root, 'simulate/r-gone'))).toBe(false);
    expect(await listRunCgroups({ layout })).toEqual(['r-fixture']);
    expect(await removeIfEmpty('/simulate', { layout })).toBe(false);
  });

  it('rejects bad names and paths', async () => {
    const run = await openCgroup('/simulate/r-fixture', { layout });
    await expect(run.child('../escape')).rejects.toThrow(/bad cgroup name/);
    await expect(createCgroup('/simulate/../etc', { layout })).rejects.toThrow(/bad cgroup path/);
    await expect(createCgroup('/', { layout })).rejects.toThrow(/root cgroup/);
    await expect(openCgroup('/simulate/nope', { layout })).rejects.toThrow(/no cgroup/);
  });
});
