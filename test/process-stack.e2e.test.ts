/**
 * The process driver for real, through the CLI: the seed's stack under a 4 GiB cgroup, an OOM kill seen in
 * the same second the kernel counted it, and nothing left behind after a normal end, SIGTERM or SIGKILL.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, isRoot, REPO, ROOT_SKIP, simulate } from './helpers/stack.ts';
import { assertNothingLeft, pidsIn } from './helpers/leftovers.ts';
import { readCsv } from './helpers/csv.ts';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'simulate-e2e-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

const MEM = '/sys/fs/cgroup/memory/simulate';
const runDirs = () => new Set(fs.readdirSync(out));
function newRunDir(before: Set<string>): string {
  const dir = fs.readdirSync(out).find((d) => !before.has(d));
  if (!dir) throw new Error('no run folder was written');
  return path.join(out, dir);
}

/** Start the CLI in the background; resolves its exit. */
function start(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code, sig) => r(code ?? (sig ? -1 : null))));
  return { child, exited, stderr: () => stderr };
}

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function runningRun(): string | undefined {
  try {
    return fs.readdirSync(MEM).find((d) => /^\d{8}-\d{6}-[0-9a-f]{4}$/.test(d));
  } catch {
    return undefined;
  }
}

const comm = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

describe.skipIf(!isRoot)(`the 4gb stack under the process driver (${isRoot ? 'root' : ROOT_SKIP})`, () => {
  it('runs each service in its own cgroup under a parent capped at exactly 4 GiB, samples every second, and leaves nothing', async () => {
    const before = runDirs();
    const run = start(['--profile', '4gb', '--driver', 'process', '--data', '64m', '--duration', '20', '--no-load', '--no-tui', '--out', out]);
    const runId = await until('the run cgroup', runningRun, 60_000);
    // While it runs: the cap, and each program in its service's own cgroup.
    const seen = await until(
      'every service in its cgroup',
      () => {
        const found: Record<string, string[]> = {};
        for (const svc of ['postgres', 'redis', 'prometheus', 'alertmanager', 'app']) {
          found[svc] = fs.existsSync(`${MEM}/${runId}/${svc}`) ? pidsIn(`${runId}/${svc}`).map(comm) : [];
        }
        return Object.values(found).every((l) => l.length > 0) && found;
      },
      90_000,
    );
    expect(fs.readFileSync(`${MEM}/${runId}/memory.limit_in_bytes`, 'utf8').trim()).toBe(String(4 * 1024 ** 3));
    expect(seen.postgres).toContain('postgres');
    expect(seen.redis).toContain('redis-server');
    expect(seen.prometheus).toContain('prometheus');
    expect(seen.alertmanager).toContain('prometheus-aler'); // comm is cut at 15 characters
    expect(await run.exited).toBe(0);

    const dir = newRunDir(before);
    const rows = readCsv(path.join(dir, 'timeseries.csv'));
    for (const svc of ['postgres', 'redis', 'prometheus', 'alertmanager']) {
      const nonZero = rows.filter((r) => Number(r[`${svc}_working_set_mb`]) > 0);
      expect(nonZero.length, `${svc} rows with memory`).toBeGreaterThanOrEqual(15);
    }
    const runJson = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
    expect(runJson).toMatchObject({ profile: '4gb', driver: 'process', capBytes: 4 * 1024 ** 3, cgroupVersion: 1 });
    const kinds = Object.fromEntries(runJson.services.map((s: { name: string; kind: string }) => [s.name, s.kind]));
    expect(kinds).toMatchObject({ postgres: 'real', redis: 'real', app: 'real', grafana: 'standin' });
    expect(runJson.services.find((s: { name: string }) => s.name === 'postgres').version).toMatch(/PostgreSQL\) 15/);
    expect(fs.existsSync(path.join(dir, 'logs', 'postgres.log'))).toBe(true);
    await assertNothingLeft(runId);
  });

  it('reports an OOM kill as an event naming the service, in the second the kernel counted it', async () => {
    const before = runDirs();
    const r = await simulate(['--profile', 'test/fixtures/profiles/hog.yml', '--driver', 'process', '--no-load', '--duration', '6', '--no-tui', '--out', out], { timeoutMs: 60_000 });
    const exitedAt = Date.now();
    expect(r.code).toBe(1); // an OOM kill misses the targets
    const dir = newRunDir(before);
    // The command ends with its run: nothing keeps it alive after the report is written (the process driver's
    // uncleared 10 s stop-grace timer once held every run for 10 s after its last line).
    expect(exitedAt - fs.statSync(path.join(dir, 'report.json')).mtimeMs).toBeLessThan(5000);
    const events = readCsv(path.join(dir, 'events.csv'));
    const kills = events.filter((e) => e.event === 'oom-kill');
    expect(kills).toHaveLength(1);
    expect(kills[0].service).toBe('hog');
    expect(kills[0].detail).toMatch(/kernel: Memory cgroup out of memory: Killed process \d+ \(python3\)/);
    // The kernel's own record of the kill, and its time, match the event.
    const pid = Number(kills[0].pid);
    const dmesg = await import('node:child_process').then((cp) => cp.execFileSync('dmesg', { encoding: 'utf8' }));
    const line = dmesg.split('\n').find((l) => l.includes(`Killed process ${pid} `));
    expect(line, `a kernel line for pid ${pid}`).toBeDefined();
    const oomCtl = dmesg.split('\n').find((l) => l.includes(`task_memcg=/simulate/`) && l.includes(`pid=${pid},`));
    expect(oomCtl).toMatch(new RegExp(`task_memcg=/simulate/\\d{8}-\\d{6}-[0-9a-f]{4}/hog`));
    const kernelSecs = Number(/^\[\s*(\d+\.\d+)\]/.exec(line!)![1]);
    const uptime = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const kernelAt = Date.now() - (uptime - kernelSecs) * 1000;
    expect(Math.abs(Date.parse(kills[0].time) - kernelAt)).toBeLessThan(1000);
    const runJson = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
    expect(runJson.verdict.oomKills[0]).toMatchObject({ service: 'hog', pid });
    await assertNothingLeft();
  });

  it('SIGTERM mid-run: exit 130, a partial report marked interrupted, nothing left', async () => {
    const before = runDirs();
    const run = start(['--profile', 'test/fixtures/profiles/pg-redis.yml', '--driver', 'process', '--no-load', '--duration', '120', '--no-tui', '--out', out]);
    const runId = await until('the run cgroup', runningRun, 60_000);
    await until('redis up', () => fs.existsSync(`${MEM}/${runId}/cache`) && pidsIn(`${runId}/cache`).length > 0, 60_000);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(130);
    const report = JSON.parse(fs.readFileSync(path.join(newRunDir(before), 'report.json'), 'utf8'));
    expect(report.verdict.interrupted).toBe(true);
    await assertNothingLeft(runId);
  });

  it('SIGKILL leaves a record that the next run uses to reap what remains', async () => {
    const run = start(['--profile', 'test/fixtures/profiles/pg-redis.yml', '--driver', 'process', '--no-load', '--duration', '120', '--no-tui', '--out', out]);
    const runId = await until('the run cgroup', runningRun, 60_000);
    await until('redis up', () => fs.existsSync(`${MEM}/${runId}/cache`) && pidsIn(`${runId}/cache`).length > 0, 60_000);
    const orphans = pidsIn(runId);
    run.child.kill('SIGKILL');
    await run.exited;
    expect(orphans.length).toBeGreaterThan(0);
    expect(fs.existsSync(`/var/tmp/simulate/${runId}/owner.json`)).toBe(true);
    // The orphans still run: nobody cleaned up.
    expect(pidsIn(runId).length).toBeGreaterThan(0);
    // The next run reaps them before it starts (and then runs normally on the same ports).
    const next = await simulate(['--profile', 'test/fixtures/profiles/pg-redis.yml', '--driver', 'process', '--no-load', '--duration', '3', '--no-tui', '--out', out], { timeoutMs: 120_000 });
    expect(next.code, next.stderr).toBe(0);
    for (const pid of orphans) expect(fs.existsSync(`/proc/${pid}`) && comm(pid) !== '' && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')).toBe(false);
    await assertNothingLeft();
  });
});
