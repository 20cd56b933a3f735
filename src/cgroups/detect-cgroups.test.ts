import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvironmentError } from '../errors.ts';
import { detectCgroups } from './detect-cgroups.ts';
import { readableCheckout } from '../../test/helpers/readable-checkout.ts';

let root: string;
const touch = (rel: string, text = '') => {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
};
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'fake-sysfs-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('detectCgroups (fake roots)', () => {
  it('hybrid: v1 memory plus a unified mount counts as v1, with the cpu hierarchy', async () => {
    touch('memory/memory.limit_in_bytes', '9223372036854771712\n');
    touch('cpu/cpu.cfs_quota_us', '-1\n');
    touch('unified/cgroup.controllers', 'hugetlb\n');
    expect(await detectCgroups(root)).toEqual({ version: 1, memoryRoot: path.join(root, 'memory'), cpuRoot: path.join(root, 'cpu'), canWrite: true });
  });
  it('v1 with cpu co-mounted as cpu,cpuacct', async () => {
    touch('memory/memory.limit_in_bytes');
    touch('cpu,cpuacct/cpu.cfs_quota_us');
    expect((await detectCgroups(root)).cpuRoot).toBe(path.join(root, 'cpu,cpuacct'));
  });
  it('v2: cgroup.controllers at the root', async () => {
    touch('cgroup.controllers', 'cpuset cpu io memory pids\n');
    touch('cgroup.subtree_control', '');
    expect(await detectCgroups(root)).toEqual({ version: 2, memoryRoot: root, cpuRoot: root, canWrite: true });
  });
  it('v2 without the memory controller is an EnvironmentError', async () => {
    touch('cgroup.controllers', 'cpu io pids\n');
    await expect(detectCgroups(root)).rejects.toThrow(EnvironmentError);
  });
  it('no memory controller at all is an EnvironmentError with a hint', async () => {
    const err = await detectCgroups(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as EnvironmentError).hint).toMatch(/mount/);
  });
});

const isRoot = process.getuid?.() === 0;
const realV1 = existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes') && !existsSync('/sys/fs/cgroup/cgroup.controllers');

describe('detectCgroups (this machine)', () => {
  it.skipIf(!realV1 || !isRoot)('finds v1 memory and cpu and may write as root (needs root on a v1 machine)', async () => {
    expect(await detectCgroups()).toEqual({ version: 1, memoryRoot: '/sys/fs/cgroup/memory', cpuRoot: '/sys/fs/cgroup/cpu', canWrite: true });
  });

  it.skipIf(!realV1 || !isRoot || !existsSync('/usr/sbin/runuser'))(
    'as user nobody: canWrite false, and requireWritableCgroups is an EnvironmentError with the hint (needs root to switch user)',
    () => {
      // What nobody runs must be where nobody can read it: the checkout may sit in a 0700 folder.
      const checkout = readableCheckout();
      const probe = path.join(checkout.copied ? checkout.root : tmpdir(), `detect-probe-${randomBytes(4).toString('hex')}.mts`);
      const here = path.join(checkout.root, 'src', 'cgroups');
      writeFileSync(
        probe,
        `import { detectCgroups, requireWritableCgroups } from '${here}/detect-cgroups.ts';
console.log(JSON.stringify(await detectCgroups()));
try { await requireWritableCgroups(); } catch (e) { console.log(JSON.stringify({ name: e.name, exitCode: e.exitCode, hint: e.hint })); }`,
      );
      try {
        const tsx = path.join(checkout.root, 'node_modules', '.bin', 'tsx');
        const out = execFileSync('/usr/sbin/runuser', ['-u', 'nobody', '--', tsx, probe], { cwd: tmpdir(), encoding: 'utf8' });
        const [detected, error] = out.trim().split('\n').map((l) => JSON.parse(l));
        expect(detected).toMatchObject({ version: 1, canWrite: false, reason: expect.stringMatching(/not root/) });
        expect(error).toMatchObject({ name: 'EnvironmentError', exitCode: 3, hint: expect.stringMatching(/Delegate=yes/) });
      } finally {
        rmSync(probe, { force: true });
        checkout.dispose();
      }
    },
  );
});
