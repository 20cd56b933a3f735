/**
 * The v2 implementation against a fake /sys/fs/cgroup: a temp copy of test/fixtures/cgroup-v2.
 * Plain files stand in for the kernel's, so this checks what we read and write, not what the
 * kernel does with it (the v1 integration test covers that on this machine).
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

beforeEach(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'fake-cgroup2-'));
  cpSync(FIXTURE, root, { recursive: true });
  const found = await detectCgroups(root);
  expect(found).toMatchObject({ version: 2, memoryRoot: root, cpuRoot: root, canWrite: true });
  layout = found;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('cgroup v2 (fake root)', () => {
  it('stats() of the run cgroup', async () => {
    const cg = await openCgroup('/simulate/r-fixture', { layout });
    expect(cg.version).toBe(2);
    expect(cg.dir).toBe(path.join(root, 'simulate/r-fixture'));
    expect(await cg.stats()).toEqual({
      usage: 1249902592,
      workingSet: 1249902592 - 268435456,
      rss: 805306368,
      cache: 402653184,
      inactiveFile: 268435456,
      swap: 0,
      peak: 1610612736,
      failcnt: 12,
      oomKills: 1,
      limit: 4 * 1024 ** 3,
    });
  });

  it('stats() on a kernel without memory.peak and swap files: peak is the highest usage read', async () => {
    const app = await openCgroup('/simulate/r-fixture/app', { layout });
    expect(await app.stats()).toMatchObject({ usage: 536870912, peak: 536870912, swap: 0, oomKills: 1, limit: 536870912 });
    writeFileSync(path.join(app.dir, 'memory.current'), '104857600\n');
    expect(await app.stats()).toMatchObject({ usage: 104857600, peak: 536870912 });
  });

  it('per-cgroup memory.pressure', async () => {
    const pg = await openCgroup('/simulate/r-fixture/postgres', { layout });
    expect((await pg.pressure?.())?.some.avg60).toBe(0.12);
  });

  it('pids(), allPids() and procsFiles()', async () => {
    const run = await openCgroup('/simulate/r-fixture', { layout });
    const pg = await openCgroup('/simulate/r-fixture/postgres', { layout });
    expect(await run.pids()).toEqual([]);
    expect(await pg.pids()).toEqual([4412, 4431, 4432, 4433]);
    expect((await allPids(run)).sort()).toEqual([4412, 4431, 4432, 4433, 4520]);
    expect(run.procsFiles()).toEqual([path.join(root, 'simulate/r-fixture/cgroup.procs')]);
  });

  it('setMemoryLimit writes memory.max and memory.swap.max; Infinity is "max"', async () => {
    const cg = await openCgroup('/simulate/r-fixture', { layout });
    await cg.setMemoryLimit(3 * 1024 ** 3, 0);
    expect([read('simulate/r-fixture/memory.max'), read('simulate/r-fixture/memory.swap.max')]).toEqual(['3221225472', '0']);
    await cg.setMemoryLimit(Infinity, 512 * 1024 ** 2);
    expect([read('simulate/r-fixture/memory.max'), read('simulate/r-fixture/memory.swap.max')]).toEqual(['max', '536870912']);
    await expect(cg.setMemoryLimit(1.5, 0)).rejects.toThrow(/bad memory limit/);
  });

  it('without swap accounting, no swap file is invented (and with swap on, that is an error)', async () => {
    const app = await openCgroup('/simulate/r-fixture/app', { layout });
    const attempt = app.setMemoryLimit(256 * 1024 ** 2, 0);
    if (await systemHasSwap()) await expect(attempt).rejects.toThrow(EnvironmentError);
    else await attempt;
    expect(existsSync(path.join(app.dir, 'memory.swap.max'))).toBe(false);
  });

  it('setCpuLimit writes cpu.max', async () => {
    const cg = await openCgroup('/simulate/r-fixture', { layout });
    await cg.setCpuLimit(1.5);
    expect(read('simulate/r-fixture/cpu.max')).toBe('150000 100000');
    await cg.setCpuLimit(0);
    expect(read('simulate/r-fixture/cpu.max')).toBe('max 100000');
  });

  it('createCgroup enables +memory +cpu in each parent that lacks them, root first', async () => {
    writeFileSync(path.join(root, 'simulate/cgroup.subtree_control'), '\n');
    const run = await createCgroup('/simulate/r-new', { layout });
    expect(run.path).toBe('/simulate/r-new');
    expect(read('cgroup.subtree_control')).toBe('cpuset cpu io memory pids\n'); // already enabled: untouched
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
