/**
 * The process driver: every service is a real program from Debian's packages (or our app / stand-in),
 * started in its own child cgroup of the run's capped parent, in depends_on order, each waited for until
 * ready. Exits are reported and restarted by the Compose restart policy, as Docker's engine would.
 */
import { execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { MemoryCgroup } from '../../cgroups/cgroup.ts';
import { EnvironmentError } from '../../errors.ts';
import type { ServiceSpec, Stack } from '../../profile/stack.ts';
import { describePortHolder } from '../../util/port-holder.ts';
import { describeCheck, portIsFree, waitReady } from '../../util/wait-ready.ts';
import type { Driver, DriverContext, ServiceAction, ServiceHandle } from '../driver.ts';
import { Backoff, shouldRestart } from './restart-policy.ts';
import { runInCgroup, spawnInCgroup, tailOf } from './spawn-in-cgroup.ts';
import { swallow } from '../../util/debug.ts';

const run = promisify(execFile);
const STOP_GRACE_MS = 10_000;

/**
 * True when `exited` settles within `ms`, false when the grace ran out. The timer is cleared either way: a
 * pending one kept the whole command alive for the rest of the grace after its results were printed (every
 * process-driver run ended about 10 s after its last line).
 */
async function exitsWithin(exited: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([exited.then(() => true), new Promise<boolean>((res) => (timer = setTimeout(() => res(false), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

interface Running {
  handle: ServiceHandle;
  child?: ChildProcess;
  startedAt: number;
  backoff: Backoff;
  restartTimer?: NodeJS.Timeout;
  exited: Promise<void>;
  logFile: string;
  /** Stopped by a fault: no restart policy brings it back until the fault starts it again. */
  held?: boolean;
}

export class ProcessDriver implements Driver {
  readonly name = 'process' as const;
  private running = new Map<string, Running>();
  private stopping = false;
  private ctx?: DriverContext;

  handles(): ServiceHandle[] {
    return [...this.running.values()].map((r) => r.handle);
  }

  async up(stack: Stack, ctx: DriverContext): Promise<ServiceHandle[]> {
    this.ctx = ctx;
    await checkPortsFree(stack);
    fs.mkdirSync(path.join(ctx.runDir, 'logs'), { recursive: true });
    for (const spec of stack.services) {
      if (ctx.signal.aborted) break;
      if (!spec.launch) {
        ctx.emit({ kind: 'service-unavailable', service: spec.name, detail: spec.unavailableReason ?? 'cannot run' });
        continue;
      }
      await this.startService(spec, ctx);
    }
    return this.handles();
  }

  private async startService(spec: ServiceSpec, ctx: DriverContext): Promise<void> {
    const launch = spec.launch!;
    const cgroup = await ctx.parent.child(cgroupName(spec.name));
    const logFile = path.join(ctx.runDir, 'logs', `${spec.name}.log`);
    for (const dir of launch.dataDirs) await makeOwnedDir(dir, launch.user);
    const handle: ServiceHandle = { name: spec.name, spec, cgroup, oomKillsReported: 0, version: await versionOf(launch.versionArgv) };
    const r: Running = { handle, startedAt: Date.now(), backoff: new Backoff(), exited: Promise.resolve(), logFile };
    this.running.set(spec.name, r);

    for (const step of launch.init) {
      if (step.unless && fs.existsSync(step.unless)) continue;
      const code = await runInCgroup({ ...step, cwd: step.cwd ?? launch.cwd }, cgroup.procsFiles(), logFile);
      if (code !== 0) {
        throw new EnvironmentError(
          `${spec.name}: setup step failed (exit ${code}): ${step.argv.join(' ').slice(0, 200)}: ${tailOf(logFile)}`,
          `see ${logFile}`,
        );
      }
    }

    this.spawn(r);
    ctx.emit({ kind: 'service-start', service: spec.name, pid: handle.pid, detail: launch.argv.join(' ').slice(0, 160) });
    const outcome = await waitReady(launch.ready, {
      timeoutMs: launch.readyTimeoutMs,
      signal: ctx.signal,
      stillAlive: () => r.child?.exitCode === null && r.child.signalCode === null,
      // Once the kernel is killing services for memory, a service that cannot get ready (its dependency
      // is in a crash loop) is part of the result, not a setup error: the run goes on and reports it.
      giveUp: () => this.oomKillsSoFar() > 0,
    });
    if (outcome === 'aborted') return;
    if (outcome === 'gave-up' || ((outcome === 'died' || outcome === 'timeout') && (await this.oomKillsNow()) > 0)) {
      ctx.emit({
        kind: 'info',
        service: spec.name,
        detail: `not ready yet (${outcome === 'died' ? exitText(r.child!) : describeCheck(launch.ready)}): the stack is being OOM-killed, so the run goes on without waiting`,
      });
      this.reportReadyLater(r, ctx);
      return;
    }
    if (outcome === 'died') {
      throw new EnvironmentError(
        `${spec.name} exited before it was ready (${exitText(r.child!)}): ${tailOf(logFile)}`,
        `see ${path.relative(process.cwd(), logFile)}`,
      );
    }
    if (outcome === 'timeout') {
      throw new EnvironmentError(
        `${spec.name} did not become ready within ${Math.round(launch.readyTimeoutMs / 1000)} s (${describeCheck(launch.ready)})`,
        `see ${path.relative(process.cwd(), logFile)}`,
      );
    }
    for (const step of launch.afterReady) {
      if (step.unless && fs.existsSync(step.unless)) continue;
      const code = await runInCgroup(step, cgroup.procsFiles(), logFile);
      if (code !== 0) throw new EnvironmentError(`${spec.name}: post-start step failed (exit ${code}): ${tailOf(logFile)}`, `see ${logFile}`);
    }
    ctx.emit({ kind: 'service-ready', service: spec.name, pid: handle.pid, detail: `ready (${describeCheck(launch.ready)})` });
  }

  private spawn(r: Running): void {
    const launch = r.handle.spec.launch!;
    const child = spawnInCgroup(launch, r.handle.cgroup.procsFiles(), r.logFile);
    r.child = child;
    r.startedAt = Date.now();
    r.handle.pid = child.pid;
    r.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        this.ctx?.emit({ kind: 'service-exit', service: r.handle.name, detail: `could not start: ${err.message}` });
        resolve();
      });
      child.once('exit', () => {
        resolve();
        void this.onExit(r, child);
      });
    });
  }

  private async onExit(r: Running, child: ChildProcess): Promise<void> {
    const ctx = this.ctx!;
    if (this.stopping) return;
    const name = r.handle.name;
    if (r.held) {
      ctx.emit({ kind: 'service-exit', service: name, pid: child.pid, detail: `${exitText(child)} (stopped by a fault; no restart until it ends)` });
      return;
    }
    // Was it the kernel? The service's own cgroup counts its OOM kills (v1: the victim's cgroup). The
    // monitor turns the counter into the oom-kill event (with the kernel's log line); here it is the reason.
    const stats = await r.handle.cgroup.stats().catch(swallow('process', `${name}: read cgroup after exit`));
    const byKernel = stats !== undefined && stats.oomKills > r.handle.oomKillsReported;
    ctx.emit({
      kind: 'service-exit',
      service: name,
      pid: child.pid,
      oomKilled: byKernel,
      ...(child.exitCode !== null ? { exitCode: child.exitCode } : {}),
      detail: `${exitText(child)}${byKernel ? ' (OOM-killed)' : ''}`,
    });
    ctx.sampleNow?.();
    if (!shouldRestart(r.handle.spec.restart, child.exitCode, this.stopping)) return;
    const wait = r.backoff.next(Date.now() - r.startedAt);
    r.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.spawn(r);
      ctx.emit({ kind: 'service-restart', service: name, pid: r.handle.pid, detail: `restarted by policy ${r.handle.spec.restart} after ${wait} ms back-off` });
      this.reportReadyLater(r, ctx);
    }, wait);
  }

  async inject(service: string, action: ServiceAction): Promise<string> {
    const r = this.running.get(service);
    if (!r) throw new Error(`${service} is not running in this run`);
    const signalAll = async (signal: NodeJS.Signals): Promise<number[]> => {
      // Every process of the service (its cgroup), as a container's death takes all of its processes.
      const pids = await r.handle.cgroup.pids().catch(() => [] as number[]);
      for (const pid of pids) {
        try {
          process.kill(pid, signal);
        } catch {
          /* gone meanwhile */
        }
      }
      return pids;
    };
    switch (action) {
      case 'kill': {
        const pids = await signalAll('SIGKILL');
        return `SIGKILL to ${pids.length} process${pids.length === 1 ? '' : 'es'} of ${service} (pid ${r.handle.pid}); restart policy ${r.handle.spec.restart}`;
      }
      case 'pause': {
        const pids = await signalAll('SIGSTOP');
        return `SIGSTOP to ${pids.length} process${pids.length === 1 ? '' : 'es'} of ${service}`;
      }
      case 'resume': {
        const pids = await signalAll('SIGCONT');
        return `SIGCONT to ${pids.length} process${pids.length === 1 ? '' : 'es'} of ${service}`;
      }
      case 'stop':
        await this.stopHeld(r);
        return `stopped ${service} (${r.handle.spec.launch?.stopSignal ?? 'SIGTERM'}); held down: no restart policy applies`;
      case 'start':
        return this.startHeld(r);
      case 'restart':
        await this.stopHeld(r);
        return `stopped and started again: ${await this.startHeld(r)}`;
    }
  }

  private async stopHeld(r: Running): Promise<void> {
    r.held = true;
    clearTimeout(r.restartTimer);
    const child = r.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, r.handle.spec.launch?.stopSignal ?? 'SIGTERM');
    } catch {
      /* already gone */
    }
    const stopped = await exitsWithin(r.exited, STOP_GRACE_MS);
    if (!stopped) for (const pid of await r.handle.cgroup.pids().catch(() => [] as number[])) process.kill(pid, 'SIGKILL');
    await r.exited;
  }

  private startHeld(r: Running): string {
    if (this.stopping) return 'not started: the run is stopping';
    r.held = false;
    const ctx = this.ctx!;
    const child = r.child;
    if (child && child.exitCode === null && child.signalCode === null) return `${r.handle.name} was running already`;
    this.spawn(r);
    ctx.emit({ kind: 'service-restart', service: r.handle.name, pid: r.handle.pid, detail: 'started again after the fault' });
    this.reportReadyLater(r, ctx);
    return `started ${r.handle.name} again (pid ${r.handle.pid})`;
  }

  release(): void {
    this.stopping = true; // an exit after we let go is not ours to restart
    for (const r of this.running.values()) {
      clearTimeout(r.restartTimer);
      r.child?.removeAllListeners('exit');
      r.child?.unref();
    }
  }

  /** Keep checking in the background a service the run stopped waiting for, and say when it is ready. */
  private reportReadyLater(r: Running, ctx: DriverContext): void {
    const launch = r.handle.spec.launch!;
    const child = r.child;
    void waitReady(launch.ready, {
      timeoutMs: launch.readyTimeoutMs,
      signal: ctx.signal,
      stillAlive: () => !this.stopping && r.child === child && child?.exitCode === null && child?.signalCode === null,
    }).then((o) => {
      if (o === 'ready' && !this.stopping) ctx.emit({ kind: 'service-ready', service: r.handle.name, pid: r.handle.pid, detail: `ready (${describeCheck(launch.ready)})` });
    });
  }

  /** OOM kills reported so far in this run (the monitor bumps the handles' counters). */
  private oomKillsSoFar(): number {
    return this.handles().reduce((a, h) => a + h.oomKillsReported, 0);
  }

  /** The same, read from the cgroups now (the monitor may not have looked yet). */
  private async oomKillsNow(): Promise<number> {
    const counts = await Promise.all(this.handles().map((h) => h.cgroup.stats().then((s) => s.oomKills, () => 0)));
    return counts.reduce((a, b) => a + b, 0);
  }

  async down(): Promise<void> {
    this.stopping = true;
    const all = [...this.running.values()].reverse();
    for (const r of all) clearTimeout(r.restartTimer);
    // Stop in reverse start order: the app before its database, so it does not log a storm of errors.
    for (const r of all) {
      const child = r.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      try {
        process.kill(-child.pid!, r.handle.spec.launch?.stopSignal ?? 'SIGTERM');
      } catch {
        /* already gone */
      }
      await exitsWithin(r.exited, STOP_GRACE_MS);
    }
    // Whatever is left (a forked helper, a process that ignored the signal) dies with its cgroup.
    // The run's teardown removes the parent (and so these) again, and says so under SIMULATE_DEBUG=1 if it cannot.
    for (const r of all) await r.handle.cgroup.destroy().catch(swallow('process', `${r.handle.name}: remove cgroup`));
    this.running.clear();
  }
}

function exitText(child: ChildProcess): string {
  if (child.signalCode) return `killed by ${child.signalCode}`;
  return `exit code ${child.exitCode}`;
}

/** Cgroup directory names: the service name, made safe. */
export function cgroupName(service: string): string {
  return service.replace(/[^a-zA-Z0-9_.-]/g, '_');
}

async function makeOwnedDir(dir: string, user: string | undefined): Promise<void> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (user && user !== 'root') {
    const { stdout } = await run('id', ['-u', user]).catch(() => {
      throw new EnvironmentError(`user ${user} does not exist`, `install the package that creates it (postgres: apt-get install postgresql)`);
    });
    const { stdout: gid } = await run('id', ['-g', user]);
    fs.chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    fs.chmodSync(dir, 0o700);
  }
}

const versions = new Map<string, Promise<string | undefined>>();
function versionOf(argv: string[] | undefined): Promise<string | undefined> {
  if (!argv) return Promise.resolve(undefined);
  const key = argv.join(' ');
  if (!versions.has(key)) {
    versions.set(
      key,
      run(argv[0], argv.slice(1), { timeout: 10_000 })
        .then(({ stdout, stderr }) => (stdout || stderr).split('\n')[0].trim() || undefined)
        .catch(() => undefined),
    );
  }
  return versions.get(key)!;
}

/** Fail before starting anything when a port the stack needs is taken: one line naming the port and the service. */
export async function checkPortsFree(stack: Stack, opts: { includeMetricsPort?: boolean } = {}): Promise<void> {
  const wanted = stack.services.filter((s) => s.launch).flatMap((s) => s.ports.map((p) => ({ s: s.name, p })));
  if (stack.metricsPort && opts.includeMetricsPort) wanted.push({ s: 'simulate /metrics', p: { host: stack.metricsPort, container: stack.metricsPort, hostIp: '127.0.0.1' } });
  for (const { s, p } of wanted) {
    if (!(await portIsFree(p.host, p.hostIp === '0.0.0.0' ? '127.0.0.1' : p.hostIp))) {
      const holder = await describePortHolder(p.host);
      throw new EnvironmentError(
        `port ${p.host} (${s}) is already in use on ${p.hostIp}${holder ? ` by ${holder}` : ''}`,
        `stop what listens there (ss -ltnp 'sport = :${p.host}'), or \`simulate down\` if a stack of ours is up`,
      );
    }
  }
}
