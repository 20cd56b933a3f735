/**
 * `simulate` itself under cgroup v2, inside the guest: an OOM kill detected, named and matched to the
 * kernel's record (root); a run killed with SIGKILL reaped by the next one (root); and a non-root user in a
 * delegated subtree (what systemd's Delegate=yes gives) running a small stack (Redis + a stand-in + a hog)
 * end to end under a 256 MiB cap: caps, watches, cleans up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readKernelOomKills } from '../../src/cgroups/index.ts';
import { reap, RUN_ID_SHAPE } from '../../src/run/run-registry.ts';
import { readCsv } from '../helpers/csv.ts';
import { SYS } from './guest-helpers.ts';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(REPO, 'src', 'cli', 'bin.js');
const HOG = path.join(REPO, 'test', 'fixtures', 'profiles', 'hog.yml');
const SMALL = path.join(REPO, 'test', 'v2-guest', 'small-stack.yml');
const WORK = '/var/tmp/simulate';
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'v2-cli-'));
fs.chmodSync(out, 0o777); // the non-root run writes its folder here too
const started: ChildProcess[] = [];
afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

interface Cli {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

/** Start the CLI; `prefix` runs before node (the shell that joins a cgroup and drops to a user). */
function simulate(args: string[], prefix: string[] = [], env: Record<string, string> = {}): Cli {
  const child = spawn(prefix[0] ?? process.execPath, [...prefix.slice(1), ...(prefix.length ? [process.execPath] : []), BIN, ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code, sig) => r(code ?? (sig ? -1 : null))));
  return { child, exited, output: () => text };
}

async function until<T>(what: string, fn: () => T | undefined | false, cli?: Cli, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (cli && cli.child.exitCode !== null) throw new Error(`simulate ended (exit ${cli.child.exitCode}) before ${what}:\n${cli.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${cli ? `:\n${cli.output()}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const runIn = (dir: string) => {
  try {
    return fs.readdirSync(dir).find((d) => RUN_ID_SHAPE.test(d));
  } catch {
    return undefined;
  }
};
const procs = (dir: string) => {
  try {
    return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
const alive = (pid: number) => fs.existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
const uidOf = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
const leftRuns = () => [...(fs.existsSync(WORK) ? fs.readdirSync(WORK) : []), ...(fs.existsSync(`${SYS}/simulate`) ? fs.readdirSync(`${SYS}/simulate`) : [])].filter((d) => RUN_ID_SHAPE.test(d));

describe('simulate on cgroup v2', () => {
  it('an OOM kill is detected, named and matched to the kernel record (root)', async () => {
    const cli = simulate(['--profile', HOG, '--driver', 'process', '--duration', '10', '--no-load', '--no-tui', '--out', out]);
    const runId = await until('the run cgroup', () => runIn(`${SYS}/simulate`), cli);
    // Read once a service runs: the limits are written after the cgroup appears, before anything starts in it.
    await until('the idle service running', () => procs(`${SYS}/simulate/${runId}/idle`)[0], cli);
    expect(fs.readFileSync(`${SYS}/simulate/${runId}/memory.max`, 'utf8').trim()).toBe(String(64 * 1024 ** 2));
    expect(fs.readFileSync(`${SYS}/simulate/${runId}/memory.swap.max`, 'utf8').trim()).toBe('0');
    const code = await cli.exited;
    expect(code, cli.output()).toBe(1);
    const events = readCsv(path.join(out, runId, 'events.csv'));
    const kills = events.filter((e) => e.event === 'oom-kill');
    expect(kills, cli.output()).toHaveLength(1);
    expect(kills[0].service).toBe('hog');
    const logged = await readKernelOomKills({ under: `/simulate/${runId}` });
    expect(logged).toEqual([expect.objectContaining({ name: 'python3', memcg: `/simulate/${runId}`, taskMemcg: `/simulate/${runId}/hog` })]);
    expect(Number(kills[0].pid)).toBe(logged[0].pid);
    expect(kills[0].detail).toContain(`kernel: Memory cgroup out of memory: Killed process ${logged[0].pid} (python3) in /simulate/${runId}/hog`);
    expect(JSON.parse(fs.readFileSync(path.join(out, runId, 'run.json'), 'utf8'))).toMatchObject({ cgroupVersion: 2 });
    expect(leftRuns()).toEqual([]);
    expect(fs.existsSync(`${SYS}/simulate`)).toBe(false);
  });

  it('simulate killed with SIGKILL leaves its services; the reaper of the next run removes them all (root)', async () => {
    const cli = simulate(['--profile', HOG, '--driver', 'process', '--duration', '120', '--no-load', '--no-tui', '--out', out]);
    const runId = await until('the run cgroup', () => runIn(`${SYS}/simulate`), cli);
    const idle = await until('the idle service running', () => procs(`${SYS}/simulate/${runId}/idle`)[0], cli);
    cli.child.kill('SIGKILL');
    await cli.exited;
    expect(alive(idle)).toBe(true); // nobody cleaned up: the run is abandoned
    expect(await reap()).toEqual([runId]);
    expect(alive(idle)).toBe(false);
    expect(leftRuns()).toEqual([]);
    expect(fs.existsSync(`${SYS}/simulate`)).toBe(false);
  });

  it('a non-root user in a delegated subtree runs Redis + a stand-in + a hog under a 256 MiB cap: caps, watches, cleans up', async () => {
    // What systemd does for user@1000.service (Delegate=yes) and `systemd-run --user --scope -p Delegate=yes`:
    // the controllers on down to the user's manager, the delegated cgroup and its files chowned to the user.
    const slice = `${SYS}/user.slice/user-1000.slice`;
    const manager = `${slice}/user@1000.service`;
    const scope = `${manager}/app.slice/run-v2test.scope`;
    fs.mkdirSync(manager, { recursive: true });
    fs.writeFileSync(`${slice}/cgroup.subtree_control`, '+cpu +memory +pids');
    fs.writeFileSync(`${manager}/cgroup.subtree_control`, '+cpu +memory +pids');
    fs.mkdirSync(`${manager}/app.slice`);
    fs.writeFileSync(`${manager}/app.slice/cgroup.subtree_control`, '+cpu +memory +pids');
    fs.mkdirSync(scope);
    for (const dir of [manager, `${manager}/app.slice`, scope]) {
      fs.chownSync(dir, 1000, 1000);
      for (const f of ['cgroup.procs', 'cgroup.threads', 'cgroup.subtree_control']) fs.chownSync(path.join(dir, f), 1000, 1000);
    }
    // Root puts the shell in the scope (a move needs write access to both cgroups' common parent), then drops to uid 1000.
    const join = ['/bin/sh', '-c', `echo $$ > ${scope}/cgroup.procs && exec setpriv --reuid=1000 --regid=1000 --init-groups -- "$@"`, 'join'];
    const cli = simulate(['--profile', SMALL, '--driver', 'process', '--duration', '15', '--no-load', '--no-tui', '--out', out], join, { HOME: '/home/sim', USER: 'sim' });
    const runId = await until('the run cgroup in the delegated scope', () => runIn(`${scope}/simulate`), cli);
    const runDir = `${scope}/simulate/${runId}`;
    // The limits are read once a service runs: they are written (memory.max, then memory.swap.max) after
    // the cgroup appears and before anything starts in it (seen: swap.max still "max" just after mkdir).
    const redis = await until('redis in its cgroup', () => procs(`${runDir}/redis`)[0], cli);
    expect(fs.readFileSync(`${runDir}/memory.max`, 'utf8').trim()).toBe(String(256 * 1024 ** 2));
    expect(fs.readFileSync(`${runDir}/memory.swap.max`, 'utf8').trim()).toBe('0');
    const grafana = await until('the stand-in in its cgroup', () => procs(`${runDir}/grafana`)[0], cli);
    expect(uidOf(redis)).toBe(1000);
    expect(uidOf(grafana)).toBe(1000);
    expect(fs.existsSync(`${SYS}/simulate`)).toBe(false); // nothing outside the delegated subtree

    const code = await cli.exited;
    expect(code, cli.output()).toBe(1); // the hog's OOM kill misses the kill target
    const events = readCsv(path.join(out, runId, 'events.csv'));
    const kills = events.filter((e) => e.event === 'oom-kill');
    expect(kills.map((k) => k.service), cli.output()).toEqual(['hog']);
    const rows = readCsv(path.join(out, runId, 'timeseries.csv'));
    expect(rows.length).toBeGreaterThan(3);
    expect(Math.max(...rows.map((r) => Number(r.redis_working_set_mb)))).toBeGreaterThan(0);
    expect(Math.max(...rows.map((r) => Number(r.stack_working_set_mb)))).toBeLessThanOrEqual(256);
    // Per-cgroup PSI (the run cgroup's memory.pressure) fills the PSI columns on v2.
    expect(rows.filter((r) => r.psi_some_avg10 !== '').length).toBeGreaterThan(0);
    // Cleaned up: no run cgroup, no process of the run, no work dir; only our empty leaf is left in the scope.
    expect(fs.existsSync(`${scope}/simulate`)).toBe(false);
    expect(alive(redis) || alive(grafana)).toBe(false);
    expect(leftRuns()).toEqual([]);
    expect(procs(scope)).toEqual([]);
  });
});
