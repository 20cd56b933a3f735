/**
 * cgroup v2 for real, inside the guest (test/v2-guest/run-in-guest.sh boots Debian's kernel with cgroup2
 * mounted as systemd mounts it): the cgroup layer and the monitor against the kernel's own files.
 * Detection, a capped run cgroup under a fresh /simulate, the monitor's figures against memory.current /
 * memory.stat, an OOM kill in a 256 MiB cap seen in memory.events and the kernel log and attributed to the
 * right service, per-cgroup PSI, teardown leaving nothing. The files seen are recorded as fixtures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemoryCgroup } from '../../src/cgroups/cgroup.ts';
import { createCgroup, detectCgroups, parseFlatKeyed, parsePsi, readKernelOomKills, readPsi, removeIfEmpty } from '../../src/cgroups/index.ts';
import { spawnInCgroup } from '../../src/drivers/process/spawn-in-cgroup.ts';
import type { ServiceHandle } from '../../src/drivers/driver.ts';
import { Monitor } from '../../src/monitor/monitor.ts';
import type { RunEvent } from '../../src/model/events.ts';
import { testService } from '../helpers/stack-model.ts';
import { recordCgroup, recordFile, SYS } from './guest-helpers.ts';

const MiB = 1024 * 1024;
const CAP = 256 * MiB;
/** Not a run id's shape: the reaper of a real run never takes it. */
const RUN = '/simulate/r-v2suite';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'v2-suite-'));
const children: ChildProcess[] = [];

let run: MemoryCgroup;
let svc: MemoryCgroup;
let hog: MemoryCgroup;
let svcProc: ChildProcess;

const read = (cg: MemoryCgroup, file: string) => fs.readFileSync(path.join(cg.dir, file), 'utf8');
const stat = (cg: MemoryCgroup) => parseFlatKeyed(read(cg, 'memory.stat'));
const current = (cg: MemoryCgroup) => Number(read(cg, 'memory.current'));

/** Start a program inside `cg` the way the process driver does; resolves when it printed `line`. */
async function startIn(cg: MemoryCgroup, argv: string[], line?: string): Promise<ChildProcess> {
  const log = path.join(tmp, `${path.basename(cg.path)}.log`);
  const child = spawnInCgroup({ argv, env: {} }, cg.procsFiles(), log);
  children.push(child);
  if (line) {
    const deadline = Date.now() + 120_000;
    while (!(fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes(line))) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${argv[0]} ended before "${line}": ${fs.readFileSync(log, 'utf8')}`);
      if (Date.now() > deadline) throw new Error(`${argv[0]} never printed "${line}"`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.signalCode ?? child.exitCode);
    else child.once('exit', (code, sig) => resolve(sig ?? code));
  });

beforeAll(async () => {
  const found = await detectCgroups();
  if (found.version !== 2) throw new Error('this suite runs inside the cgroup v2 guest: test/v2-guest/run-in-guest.sh');
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('cgroup v2 on a real kernel', () => {
  it('detects the unified hierarchy with memory and cpu, writable as root', async () => {
    expect(await detectCgroups()).toEqual({ version: 2, memoryRoot: SYS, cpuRoot: SYS, canWrite: true });
    expect(fs.existsSync(`${SYS}/simulate`)).toBe(false);
    recordFile('cgroup-v2/cgroup.controllers', `${SYS}/cgroup.controllers`);
    recordFile('cgroup-v2/cgroup.subtree_control', `${SYS}/cgroup.subtree_control`);
  });

  it('a run cgroup under a fresh /simulate: memory.max, memory.swap.max and cpu.max set, controllers handed down', async () => {
    run = await createCgroup(RUN);
    await run.setMemoryLimit(CAP, 0);
    await run.setCpuLimit(2);
    expect(read(run, 'memory.max').trim()).toBe(String(CAP));
    expect(read(run, 'memory.swap.max').trim()).toBe('0');
    expect(read(run, 'cpu.max').trim()).toBe('200000 100000');
    svc = await run.child('svc');
    hog = await run.child('hog');
    expect(read(run, 'cgroup.subtree_control').split(/\s+/)).toEqual(expect.arrayContaining(['memory', 'cpu']));
    expect(read(svc, 'cgroup.controllers').split(/\s+/)).toEqual(expect.arrayContaining(['memory', 'cpu']));
    expect(read(svc, 'memory.max').trim()).toBe('max');
  });

  it("stats() and the monitor read what memory.current and memory.stat say: working set = current − inactive_file", async () => {
    // 64 MiB of anon memory and a 48 MiB file written once: its pages sit on the inactive file list.
    const script = [
      'import os, sys, time',
      'anon = bytearray(64 * 1024 * 1024)',
      'with open(sys.argv[1], "wb") as f:',
      '    f.write(os.urandom(1024 * 1024) * 48)',
      'print("ready", flush=True)',
      'time.sleep(600)',
    ].join('\n');
    svcProc = await startIn(svc, ['/usr/bin/python3', '-c', script, '/root/v2-pagecache'], 'ready');
    svcProc.kill('SIGSTOP'); // hold the figures still while we compare
    await new Promise((r) => setTimeout(r, 300));

    const before = { current: current(svc), stat: stat(svc) };
    const s = await svc.stats();
    const after = { current: current(svc), stat: stat(svc) };
    recordCgroup('cgroup-v2/simulate/r-fixture/svc', svc.dir);

    const near = (value: number, a: number, b: number) => {
      expect(value).toBeGreaterThanOrEqual(Math.min(a, b) - MiB);
      expect(value).toBeLessThanOrEqual(Math.max(a, b) + MiB);
    };
    expect(before.stat.inactive_file).toBeGreaterThan(32 * MiB); // the file: so a wrong field shows
    near(s.usage, before.current, after.current);
    near(s.inactiveFile, before.stat.inactive_file, after.stat.inactive_file);
    near(s.workingSet, before.current - before.stat.inactive_file, after.current - after.stat.inactive_file);
    near(s.rss, before.stat.anon, after.stat.anon);
    near(s.cache, before.stat.file, after.stat.file);
    expect(s.rss).toBeGreaterThan(64 * MiB);
    expect(s.swap).toBe(Number(read(svc, 'memory.swap.current')));
    expect(s.peak).toBe(Number(read(svc, 'memory.peak')));
    expect(s.peak).toBeGreaterThanOrEqual(s.usage);
    expect(s.limit).toBe(Infinity);
    expect(s.oomKills).toBe(0);

    // The monitor: the capped parent counts its children (v2 files are hierarchical).
    const handle: ServiceHandle = { name: 'svc', spec: testService('svc'), cgroup: svc, oomKillsReported: 0, pid: svcProc.pid };
    const monitor = new Monitor({ parent: run, handles: () => [handle], emit: () => undefined, onSample: () => undefined, intervalMs: 1000, psiFile: path.join(run.dir, 'memory.pressure') });
    const runBefore = current(run);
    const sample = await monitor.sample();
    const runAfter = current(run);
    recordCgroup('cgroup-v2/simulate/r-fixture', run.dir);
    recordCgroup('cgroup-v2/simulate', path.dirname(run.dir));
    near(sample.stack.usage, runBefore, runAfter);
    expect(sample.stack.limit).toBe(CAP);
    expect(sample.stack.usage).toBeGreaterThanOrEqual(sample.services.get('svc')!.usage - MiB);
    near(sample.services.get('svc')!.workingSet, before.current - before.stat.inactive_file, after.current - after.stat.inactive_file);
    expect(sample.psi?.some).toBeDefined();
  });

  it('an OOM kill in the 256 MiB cap: memory.events counts it in the victim and up, the kernel names it, the monitor attributes it to the right service', async () => {
    const events: RunEvent[] = [];
    const handles: ServiceHandle[] = [
      { name: 'svc', spec: testService('svc'), cgroup: svc, oomKillsReported: 0, pid: svcProc.pid },
      { name: 'hog', spec: testService('hog'), cgroup: hog, oomKillsReported: 0 },
    ];
    const monitor = new Monitor({
      parent: run,
      handles: () => handles,
      emit: (e) => events.push({ ...e, at: e.at ?? Date.now(), t: 0 }),
      onSample: () => undefined,
      intervalMs: 1000,
    });
    await monitor.sample(); // the counters before: nothing to report
    // Touch 10 MiB at a time up to 400 MiB: well past what the cap has left.
    const hogProc = await startIn(hog, ['/usr/bin/python3', '-c', 'import time\nb = []\nfor i in range(40):\n    b.append(bytearray(10 * 1024 * 1024))\ntime.sleep(60)']);
    handles[1].pid = hogProc.pid;
    expect(await exited(hogProc)).toBe('SIGKILL');

    const hogEvents = parseFlatKeyed(read(hog, 'memory.events'));
    expect(hogEvents.oom_kill).toBe(1);
    expect(parseFlatKeyed(read(run, 'memory.events')).oom_kill).toBe(1); // hierarchical: the parent counts it
    expect(parseFlatKeyed(read(run, 'memory.events.local')).oom_kill).toBe(0); // the victim was not in the parent itself
    expect(parseFlatKeyed(read(run, 'memory.events')).max).toBeGreaterThan(0); // the cap was hit
    expect(parseFlatKeyed(read(svc, 'memory.events')).oom_kill).toBe(0);
    expect((await hog.stats()).oomKills).toBe(1);
    expect((await svc.stats()).oomKills).toBe(0);

    const logged = await readKernelOomKills({ under: RUN });
    expect(logged).toEqual([
      expect.objectContaining({ pid: hogProc.pid, name: 'python3', constraint: 'CONSTRAINT_MEMCG', memcg: RUN, taskMemcg: `${RUN}/hog` }),
    ]);

    await monitor.sample();
    const kills = events.filter((e) => e.kind === 'oom-kill');
    expect(kills).toHaveLength(1);
    expect(kills[0]).toMatchObject({ service: 'hog', pid: hogProc.pid });
    expect(kills[0].detail).toContain(`Killed process ${hogProc.pid} (python3) in ${RUN}/hog`);
    recordCgroup('cgroup-v2/simulate/r-fixture/hog', hog.dir);
    recordCgroup('cgroup-v2/simulate/r-fixture', run.dir);
    await recordKernelLog(hogProc.pid!);
  });

  it("per-cgroup PSI: the capped cgroup's memory.pressure shows the stall of reclaim before the kill", async () => {
    const file = path.join(run.dir, 'memory.pressure');
    const psi = await run.pressure!();
    expect(psi).toBeDefined();
    expect(psi!.full).toBeDefined();
    expect(psi!.some.total).toBeGreaterThan(0);
    // The same figures as the file, and the service that never stalled has its own, smaller total.
    expect(parsePsi(fs.readFileSync(file, 'utf8')).some.total).toBeGreaterThanOrEqual(psi!.some.total);
    expect((await readPsi(path.join(hog.dir, 'memory.pressure')))!.some.total).toBeGreaterThan(0);
    expect((await svc.pressure!())!.some.total).toBeLessThanOrEqual(psi!.some.total);
    recordFile('cgroup-v2/simulate/r-fixture/memory.pressure', file);
  });

  it('destroy() kills what is inside (stopped processes too) and removes the tree; /simulate goes when empty', async () => {
    const pid = svcProc.pid!;
    expect(fs.readFileSync(path.join(svc.dir, 'cgroup.procs'), 'utf8')).toContain(String(pid));
    await run.destroy();
    expect(await exited(svcProc)).toBe('SIGKILL');
    expect(fs.existsSync(run.dir)).toBe(false);
    expect(await removeIfEmpty('/simulate')).toBe(true);
    expect(fs.existsSync(`${SYS}/simulate`)).toBe(false);
    fs.rmSync('/root/v2-pagecache', { force: true });
  });
});

/** The kernel's lines about this kill, from "invoked oom-killer" to "Killed process", as a fixture. */
async function recordKernelLog(pid: number): Promise<void> {
  const text = await new Promise<string>((resolve, reject) => {
    const c = spawn('dmesg', [], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`dmesg exit ${code}`))));
  });
  const lines = text.split('\n');
  const end = lines.findIndex((l) => l.includes(`Killed process ${pid} `));
  let start = end;
  while (start >= 0 && !lines[start].includes('invoked oom-killer')) start--;
  if (end < 0 || start < 0) throw new Error(`no kernel record of the kill of ${pid}`);
  recordFile(`kernel-oom/dmesg-memcg-v2-${os.release()}.txt`, undefined, lines.slice(start, end + 1).join('\n') + '\n');
}
