import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newRunId } from './run.ts';
import { ensureWorkBase, mountsUnder, ownerAlive, processStart, RUN_ID_SHAPE, type OwnerRecord } from './run-registry.ts';

function record(over: Partial<OwnerRecord> = {}): OwnerRecord {
  return {
    runId: newRunId(),
    pid: process.pid,
    pidStart: processStart(process.pid)!,
    detached: false,
    driver: 'process',
    cgroup: '/simulate/x',
    profile: '4gb',
    startedAt: new Date(0).toISOString(),
    runDir: '/tmp/results/x',
    services: [{ name: 'postgres', stopSignal: 'SIGINT' }, { name: 'app' }],
    ...over,
  };
}

describe('processStart', () => {
  it("reads field 22 of /proc/<pid>/stat: this process's start time in clock ticks", () => {
    const start = processStart(process.pid);
    expect(start).toMatch(/^\d+$/);
    // Stable across reads, and the same as a field count of our own.
    expect(processStart(process.pid)).toBe(start);
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ');
    expect(fields[0]).toMatch(/^[RSDTtZXIWP]$/); // field 3, the state: the count starts right
    expect(start).toBe(fields[22 - 3]);
    // It started before now, and after boot: ticks since boot no larger than the uptime.
    const uptimeTicks = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100;
    expect(Number(start)).toBeLessThanOrEqual(uptimeTicks + 100);
  });

  it('differs between processes started at different times (pid 1 and us)', () => {
    expect(processStart(1)).toMatch(/^\d+$/);
    expect(processStart(1)).not.toBe(processStart(process.pid));
  });

  it('counts fields after the last parenthesis, so a command name with ") " in it does not shift them', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'simulate-comm-'));
    const odd = path.join(d, 'a) b (c');
    fs.symlinkSync('/bin/sleep', odd);
    const child = spawn(odd, ['30'], { stdio: 'ignore' });
    try {
      await new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
      const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      expect(stat).toContain('(a) b (c)');
      const start = processStart(child.pid!);
      expect(start).toMatch(/^\d+$/);
      // Started after us: a later (or equal, within a tick) start time.
      expect(Number(start)).toBeGreaterThanOrEqual(Number(processStart(process.pid)));
    } finally {
      child.kill('SIGKILL');
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('is undefined for a process that does not exist', () => {
    const maxPid = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    expect(processStart(maxPid + 1)).toBeUndefined();
  });
});

describe('ownerAlive', () => {
  it('is true for a record of this live process', () => {
    expect(ownerAlive(record())).toBe(true);
  });

  it('is false when the pid was reused by another process (same pid, other start time)', () => {
    expect(ownerAlive(record({ pidStart: String(Number(processStart(process.pid)) + 1) }))).toBe(false);
  });

  it('is false for a dead pid and for no record', () => {
    const maxPid = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    expect(ownerAlive(record({ pid: maxPid + 1 }))).toBe(false);
    expect(ownerAlive(undefined)).toBe(false);
  });
});

describe('RUN_ID_SHAPE', () => {
  it('accepts what newRunId makes', () => {
    for (let i = 0; i < 50; i++) expect(newRunId()).toMatch(RUN_ID_SHAPE);
    expect(newRunId(new Date('2026-11-25T19:11:07.123Z'))).toMatch(/^20261125-191107-[0-9a-f]{4}$/);
  });

  it('rejects other names', () => {
    for (const name of ['', 'test-cgroup', '20261125-191107', '20261125-191107-e92', '20261125-191107-E92C', '20261125-191107-e92c0', 'x20261125-191107-e92c', '2026112-1911070-e92c', '20261125-191107-e92c/..']) {
      expect(RUN_ID_SHAPE.test(name), name).toBe(false);
    }
  });
});

describe('owner records', () => {
  let dir: string | undefined;
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('round-trip through the work dir named by SIMULATE_WORK_DIR', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'simulate-registry-'));
    vi.stubEnv('SIMULATE_WORK_DIR', dir);
    vi.resetModules();
    // WORK_BASE is read at import: a fresh import sees the stubbed variable.
    const reg = await import('./run-registry.ts');
    expect(reg.WORK_BASE).toBe(dir);

    const rec = record();
    expect(reg.readOwner(rec.runId)).toBeUndefined();
    reg.writeOwner(rec);
    expect(reg.workDirOf(rec.runId)).toBe(path.join(dir, rec.runId));
    expect(fs.existsSync(path.join(dir, rec.runId, 'owner.json'))).toBe(true);
    const back = reg.readOwner(rec.runId);
    expect(back).toEqual(rec);
    expect(reg.ownerAlive(back)).toBe(true);

    // A second write replaces the first (`up` marks its run detached).
    reg.writeOwner({ ...rec, detached: true });
    expect(reg.readOwner(rec.runId)?.detached).toBe(true);

    // A torn file reads as no record, not a crash.
    fs.writeFileSync(path.join(dir, rec.runId, 'owner.json'), '{"runId": ');
    expect(reg.readOwner(rec.runId)).toBeUndefined();
  });
});

describe('mountsUnder (the reaper detaches a disk-full fault left mounted in a killed run)', () => {
  const mounts = [
    '/dev/vda / ext4 rw 0 0',
    '/dev/loop3 /var/tmp/simulate/20261130-120000-abcd/volumes/pg\\040data ext4 rw 0 0',
    '/dev/loop4 /var/tmp/simulate/20261130-120000-abcd/volumes/pg\\040data/inner ext4 rw 0 0',
    '/dev/loop5 /var/tmp/simulate/20261130-120000-abcdX/volumes/x ext4 rw 0 0',
  ].join('\n');

  it('finds the mounts inside the run dir, deepest first, with escaped spaces decoded', () => {
    expect(mountsUnder('/var/tmp/simulate/20261130-120000-abcd', mounts)).toEqual([
      '/var/tmp/simulate/20261130-120000-abcd/volumes/pg data/inner',
      '/var/tmp/simulate/20261130-120000-abcd/volumes/pg data',
    ]);
  });

  it('ignores a sibling whose name only starts the same', () => {
    expect(mountsUnder('/var/tmp/simulate/20261130-120000-abcdX', mounts)).toEqual(['/var/tmp/simulate/20261130-120000-abcdX/volumes/x']);
    expect(mountsUnder('/var/tmp/simulate/other', mounts)).toEqual([]);
  });
});

describe('ensureWorkBase', () => {
  const isRoot = process.getuid?.() === 0;
  it(`makes the base world-writable and sticky, so another user's run can make its work dir${isRoot ? '' : ' (skipped part: the other user needs root to switch to)'}`, async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'simulate-base-'));
    try {
      const base = path.join(tmp, 'simulate');
      // As root's earlier runs left it before: 0755.
      fs.mkdirSync(base, { mode: 0o755 });
      ensureWorkBase(base);
      expect(fs.statSync(base).mode & 0o7777).toBe(0o1777);
      ensureWorkBase(path.join(tmp, 'fresh'));
      expect(fs.statSync(path.join(tmp, 'fresh')).mode & 0o7777).toBe(0o1777);
      if (!isRoot) return;
      fs.chmodSync(tmp, 0o755);
      const code = await new Promise<number | null>((resolve) => spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'mkdir', path.join(base, 'run-of-nobody')]).on('exit', resolve));
      expect(code).toBe(0);
      expect(fs.statSync(path.join(base, 'run-of-nobody')).uid).toBe(65534);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
