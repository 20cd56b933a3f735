/**
 * The docker driver: every service of a stack as a container under the run's capped parent cgroup,
 * through dockerode. Containers run the service's `launch` (the same argv as the process driver)
 * in local Debian images; OOM kills, exits and restarts come from the engine's events API.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { EnvironmentError, InterruptedError } from '../../errors.ts';
import type { Launch, ServiceSpec, Stack } from '../../profile/stack.ts';
import type { Driver, DriverContext, ServiceHandle } from '../driver.ts';
import { cgroupParentFor, removeEngineParents } from './cgroup-parent.ts';
import { LABEL_ROLE, LABEL_RUN, LABEL_SERVICE, containerOptions, guardedArgv, planMounts, type MountPlan } from './container-options.ts';
import { execIn, runOneShot } from './container-run.ts';
import { connectEngine, requireEngine } from './engine.ts';
import { JsonLineSplitter, type EngineEvent } from './event-lines.ts';
import { dockerImagesReady, roleFor, roleImage, substitutionNote } from './local-images.ts';
import { httpAnswers, sleep, tcpAnswers } from '../../util/wait-ready.ts';

/** The repo's docker/ folder (app, stand-in, configs): mounted read-only at the same path. */
export const REPO_DOCKER_DIR = path.resolve(import.meta.dirname, '..', '..', '..', 'docker');

/** An `oom` event this recent, then `die` with 137, is a kill even if the restart already reset State.OOMKilled. */
const OOM_WINDOW_MS = 10_000;

interface Running {
  handle: ServiceHandle;
  container: Docker.Container;
  /** Set by `die`; a later `start` is then a restart by the engine's policy. */
  dead: boolean;
  lastOomAt?: number;
  log?: WriteStream;
  /** The engine's log streams being copied into `log` (one per start). */
  follows: Array<NodeJS.ReadableStream & { destroy?: () => void }>;
}

export interface DockerDriverOptions {
  docker?: Docker;
  /** Extra read-only host folders to mount at the same path (besides docker/ and the Compose dir). */
  readOnlyDirs?: string[];
}

export class DockerDriver implements Driver {
  readonly name = 'docker' as const;
  private readonly docker: Docker;
  private ctx?: DriverContext;
  private running = new Map<string, Running>();
  private byContainer = new Map<string, Running>();
  private events?: NodeJS.ReadableStream & { destroy?: () => void };
  private stopping = false;
  private downDone?: Promise<void>;

  constructor(private readonly opts: DockerDriverOptions = {}) {
    this.docker = opts.docker ?? connectEngine();
  }

  handles(): ServiceHandle[] {
    return [...this.running.values()].map((r) => r.handle);
  }

  async up(stack: Stack, ctx: DriverContext): Promise<ServiceHandle[]> {
    this.ctx = ctx;
    const info = await requireEngine(this.docker);
    const cgroupParent = cgroupParentFor(ctx.parent, info.cgroupDriver);
    const images = await dockerImagesReady(stack, this.docker);
    if (!images.ok) {
      throw new EnvironmentError(`local Docker images missing: ${images.missing.join(', ')}`, 'run `simulate setup --driver docker`');
    }
    await this.watchEvents(ctx.runId);
    await mkdir(path.join(ctx.runDir, 'logs'), { recursive: true });
    const readOnlyDirs = [REPO_DOCKER_DIR, stack.dir, ...(this.opts.readOnlyDirs ?? [])];

    for (const spec of stack.services) {
      if (ctx.signal.aborted) throw new InterruptedError();
      if (!spec.launch) {
        ctx.emit({ kind: 'service-unavailable', service: spec.name, detail: spec.unavailableReason ?? 'no way to run it' });
        continue;
      }
      const role = roleFor(spec, stack)!;
      const image = roleImage(role);
      await this.startService(spec, spec.launch, image, cgroupParent, readOnlyDirs);
    }
    return this.handles();
  }

  private async startService(spec: ServiceSpec, launch: Launch, image: string, cgroupParent: string, readOnlyDirs: string[]): Promise<void> {
    const ctx = this.ctx!;
    const runId = ctx.runId;
    // Host networking: a port someone else holds would make the service exit while the readiness
    // check happily talks to the other program. Say so before starting.
    for (const port of portsOf(spec, launch)) {
      if (await tcpAnswers(port.host, port.port, 500)) {
        throw new EnvironmentError(`${spec.name}: port ${port.port} on ${port.host} is already in use by another program`, 'stop what listens there (`ss -ltnp`), or change the port in the profile');
      }
    }
    const mounts = planMounts({ runId, workDir: ctx.workDir, readOnlyDirs, volumes: spec.volumes });
    await this.prepareMounts(spec, mounts);
    const base = { runId, spec, image, cgroupParent, mounts };
    const note = substitutionNote(spec, image.split(':')[0]);
    ctx.emit({ kind: 'info', service: spec.name, detail: note });

    // Data dirs: created and chowned inside a container, because the image's users (postgres, ...)
    // need not have the host's uids, and a named volume's content is only visible there.
    if (launch.dataDirs.length) {
      const owner = launch.user ? `chown ${shellWord(launch.user)}: "$@"` : 'true';
      await this.oneShot(spec, 'prep', { ...base, role: 'oneshot', command: { argv: ['/bin/sh', '-c', `mkdir -p "$@" && ${owner}`, 'sh', ...launch.dataDirs], env: {} } });
    }
    for (const [i, init] of launch.init.entries()) {
      await this.oneShot(spec, `init ${i + 1}`, { ...base, role: 'oneshot', command: { ...init, argv: guardedArgv(init) } });
    }

    const container = await this.docker.createContainer(
      containerOptions({ ...base, role: 'service', command: launch, name: `simulate-${runId}-${spec.name}`.replace(/[^a-zA-Z0-9_.-]/g, '_') }),
    );
    const running: Running = {
      container,
      dead: false,
      follows: [],
      handle: { name: spec.name, spec, containerId: container.id, image: image.split(':')[0], cgroup: undefined as never, oomKillsReported: 0 },
    };
    this.byContainer.set(container.id, running);
    // Ctrl-C while the container was being created: down() may have listed the run's containers already.
    if (this.stopping) {
      await container.remove({ force: true }).catch(() => undefined);
      throw new InterruptedError();
    }
    await container.start();
    const state = (await container.inspect()).State;
    running.handle.pid = state.Pid || undefined;
    // The container's own memory cgroup, `<parent>/<id>` (made by the engine at start): what the monitor reads.
    // `child()` reuses the engine's directory (and makes it if the container already died, so the
    // handle stays valid: the engine joins it again on a restart).
    running.handle.cgroup = await ctx.parent.child(container.id);
    // Only now a handle: the monitor reads `handles()` at any time and needs the cgroup.
    this.running.set(spec.name, running);
    ctx.emit({ kind: 'service-start', service: spec.name, pid: running.handle.pid, detail: `container ${container.id.slice(0, 12)} (${image.split(':')[0]})` });
    this.followLogs(running, Math.floor(Date.now() / 1000) - 1);

    const outcome = await this.waitReady(running, launch);
    if (outcome !== 'ready') {
      ctx.emit({ kind: 'info', service: spec.name, detail: `not ready yet (${outcome}): the stack is being OOM-killed, so the run goes on without waiting` });
      this.reportReadyLater(running, launch);
      return;
    }
    ctx.emit({ kind: 'service-ready', service: spec.name, pid: running.handle.pid, detail: describeReady(launch) });

    for (const after of launch.afterReady) {
      const r = await execIn(this.docker, container, { ...after, argv: guardedArgv(after) });
      if (r.exitCode !== 0) {
        throw new EnvironmentError(`${spec.name}: after-ready command failed (exit ${r.exitCode}): ${after.argv.join(' ')}: ${lastLine(r.output)}`, `see ${this.logPath(spec.name)}`);
      }
    }
    if (launch.versionArgv) {
      const v = await execIn(this.docker, container, { argv: launch.versionArgv, user: launch.user }).catch(() => undefined);
      if (v && v.exitCode === 0) running.handle.version = v.output.trim().split('\n')[0];
    }
  }

  /** Makes the host side of bind mounts and the run's Docker volumes (labelled for cleanup). */
  private async prepareMounts(spec: ServiceSpec, mounts: MountPlan[]): Promise<void> {
    for (const m of mounts) {
      if (m.type === 'bind') {
        // 0755: a service's user (postgres, redis) must be able to walk down to its data dir.
        if (!m.readOnly) await mkdir(m.source, { recursive: true, mode: 0o755 });
        continue;
      }
      try {
        await this.docker.getVolume(m.source).inspect();
      } catch {
        await this.docker.createVolume({ Name: m.source, Labels: { [LABEL_RUN]: this.ctx!.runId, [LABEL_SERVICE]: spec.name } });
      }
    }
  }

  private async oneShot(spec: ServiceSpec, what: string, input: Parameters<typeof containerOptions>[0]): Promise<void> {
    const r = await runOneShot(this.docker, containerOptions(input));
    if (r.exitCode !== 0) {
      throw new EnvironmentError(
        `${spec.name}: ${what} failed in a one-shot container (exit ${r.exitCode}): ${input.command.argv.join(' ')}: ${lastLine(r.output)}`,
        `run it by hand: docker run --rm --network host ${input.image} ${input.command.argv.join(' ')}`,
      );
    }
  }

  /** OOM kills reported so far in this run (the monitor and the events stream bump the handles' counters). */
  private oomKillsSoFar(): number {
    return [...this.running.values()].reduce((a, r) => a + r.handle.oomKillsReported, 0);
  }

  /**
   * 'ready', or why the run goes on without it: once the kernel is killing services for memory, a service
   * that cannot get ready (its dependency is in a crash loop) is part of the result, not a setup error.
   */
  private async waitReady(running: Running, launch: Launch): Promise<'ready' | string> {
    const { spec } = running.handle;
    const ready = launch.ready;
    const deadline = Date.now() + launch.readyTimeoutMs;
    const signal = this.ctx!.signal;
    for (;;) {
      if (signal.aborted) throw new InterruptedError();
      const ok = await this.answers(running, ready);
      const state = (await running.container.inspect()).State;
      if (ok && state.Running) return 'ready';
      if (this.oomKillsSoFar() > 0 || state.OOMKilled) return state.Running ? describeReady(launch) : `exit code ${state.ExitCode}${state.OOMKilled ? ', OOM-killed' : ''}`;
      if (!state.Running && !state.Restarting && spec.restart === 'no') {
        throw new EnvironmentError(
          `${spec.name} exited (code ${state.ExitCode}${state.OOMKilled ? ', OOM-killed' : ''}) before it was ready (${describeReady(launch)})`,
          `see ${this.logPath(spec.name)}`,
        );
      }
      if (Date.now() > deadline) {
        throw new EnvironmentError(`${spec.name} was not ready within ${Math.round(launch.readyTimeoutMs / 1000)} s (${describeReady(launch)})`, `see ${this.logPath(spec.name)}`);
      }
      await sleep(250, signal);
    }
  }

  private async answers(running: Running, ready: Launch['ready']): Promise<boolean> {
    if (ready.kind === 'none') return true;
    if (ready.kind === 'tcp') return tcpAnswers(ready.host, ready.port);
    if (ready.kind === 'http') return httpAnswers(ready.url);
    return (await execIn(this.docker, running.container, { argv: ready.argv, env: ready.env }).catch(() => ({ exitCode: -1 }))).exitCode === 0;
  }

  /** Keep checking in the background a service the run stopped waiting for, and say when it is ready. */
  private reportReadyLater(running: Running, launch: Launch): void {
    const ctx = this.ctx!;
    const deadline = Date.now() + launch.readyTimeoutMs;
    void (async () => {
      while (!this.stopping && !ctx.signal.aborted && Date.now() < deadline) {
        if (!running.dead && (await this.answers(running, launch.ready).catch(() => false))) {
          if (!this.stopping) ctx.emit({ kind: 'service-ready', service: running.handle.name, pid: running.handle.pid, detail: describeReady(launch) });
          return;
        }
        await sleep(1000, ctx.signal).catch(() => undefined);
      }
    })();
  }

  private logPath(service: string): string {
    return path.join(this.ctx!.runDir, 'logs', `${service}.log`);
  }

  /** Copies the container's output to `<runDir>/logs/<service>.log`; called again after each restart. */
  private followLogs(running: Running, sinceS: number): void {
    running.log ??= createWriteStream(this.logPath(running.handle.name), { flags: 'a' });
    const log = running.log;
    running.container
      .logs({ follow: true, stdout: true, stderr: true, since: sinceS })
      .then((stream) => {
        const s = stream as NodeJS.ReadableStream & { destroy?: () => void };
        running.follows.push(s);
        this.docker.modem.demuxStream(s, passTo(log), passTo(log));
        s.on('error', () => undefined);
      })
      .catch(() => undefined);
  }

  /** One events stream for the whole run, filtered by its label. */
  private async watchEvents(runId: string): Promise<void> {
    const stream = await this.docker.getEvents({
      filters: { type: ['container'], event: ['oom', 'die', 'start'], label: [`${LABEL_RUN}=${runId}`] },
    });
    this.events = stream as typeof this.events;
    const splitter = new JsonLineSplitter<EngineEvent>();
    stream.on('data', (chunk: Buffer) => {
      for (const ev of splitter.push(chunk)) void this.onEvent(ev);
    });
    stream.on('error', () => undefined);
  }

  private async onEvent(ev: EngineEvent): Promise<void> {
    if (this.stopping) return;
    const id = ev.Actor?.ID ?? ev.id;
    const running = id ? this.byContainer.get(id) : undefined;
    // One-shot containers carry the run label too; only services matter here.
    if (!running || ev.Actor?.Attributes?.[LABEL_ROLE] === 'oneshot') return;
    const ctx = this.ctx!;
    const service = running.handle.name;
    const action = ev.Action ?? ev.status;
    const at = ev.timeNano ? Math.floor(ev.timeNano / 1e6) : Date.now();
    if (action === 'oom') {
      // On cgroup v1 the engine hears about an OOM in the parent in every container below it, so
      // `oom` alone does not say who was killed: the `die` that follows does.
      running.lastOomAt = at;
      // Read the counters while the container's cgroup still exists: the monitor may name the victim.
      ctx.sampleNow?.();
      return;
    }
    if (action === 'die') {
      running.dead = true;
      const exitCode = Number(ev.Actor?.Attributes?.exitCode ?? NaN);
      const pid = running.handle.pid;
      let flagged = false;
      try {
        const state = (await running.container.inspect()).State;
        // After a fast restart the engine has reset OOMKilled: then the recent `oom` event decides.
        flagged = state.OOMKilled && !state.Running;
      } catch {
        /* removed already */
      }
      const recentOom = running.lastOomAt !== undefined && at - running.lastOomAt < OOM_WINDOW_MS;
      // OOMKilled can be stale (set by an OOM in the parent that killed a sibling): the kernel's
      // SIGKILL (137) is what says this container's process was the victim.
      const oomKilled = exitCode === 137 && (flagged || recentOom);
      if (this.stopping) return;
      const policy = running.handle.spec.restart;
      if (oomKilled) {
        // The monitor may have read the kill from the container's cgroup counter before the engine
        // removed the cgroup; if it did (this incarnation's count is not 0), it was reported once already.
        if (running.handle.oomKillsReported === 0) {
          running.handle.oomKillsReported = 1;
          ctx.emit({ at, kind: 'oom-kill', service, pid, detail: `engine: container ${running.handle.containerId!.slice(0, 12)} State.OOMKilled, exit 137` });
        }
      }
      ctx.emit({
        at,
        kind: 'service-exit',
        service,
        pid,
        oomKilled,
        ...(Number.isNaN(exitCode) ? {} : { exitCode }),
        detail: `exited with code ${Number.isNaN(exitCode) ? '?' : exitCode}${oomKilled ? ' (OOM-killed)' : ''}; restart policy ${policy}`,
      });
      ctx.sampleNow?.();
      return;
    }
    if (action === 'start') {
      if (!running.dead) return; // our own first start
      running.dead = false;
      let pid: number | undefined;
      try {
        pid = (await running.container.inspect()).State.Pid || undefined;
      } catch {
        /* removed */
      }
      if (this.stopping) return;
      running.handle.pid = pid;
      // The engine made a fresh cgroup (same path) whose OOM-kill counter starts at 0 again.
      running.handle.oomKillsReported = 0;
      ctx.emit({ at, kind: 'service-restart', service, pid, detail: `restarted by the engine (policy ${running.handle.spec.restart})` });
      this.followLogs(running, Math.floor(at / 1000));
    }
  }

  async down(): Promise<void> {
    this.downDone ??= this.tearDown();
    return this.downDone;
  }

  /**
   * `simulate up`: stop listening (events, logs) so this process can exit; the containers keep running,
   * and the engine keeps applying their restart policy.
   */
  release(): void {
    this.stopping = true;
    this.events?.destroy?.();
    for (const r of this.running.values()) {
      for (const f of r.follows) f.destroy?.();
      r.log?.end();
    }
  }

  private async tearDown(): Promise<void> {
    this.stopping = true;
    try {
      this.events?.destroy?.();
    } catch {
      /* already closed */
    }
    const ctx = this.ctx;
    if (!ctx) return;
    await removeRun(this.docker, ctx.runId);
    for (const r of this.running.values()) r.log?.end();
    await removeEngineParents(ctx.parent).catch(() => undefined);
  }
}

/** Removes every container and volume labelled with the run id (SIGKILL: the run is over). */
export async function removeRun(docker: Docker, runId: string): Promise<{ containers: number; volumes: number }> {
  const label = `${LABEL_RUN}=${runId}`;
  const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreGone)));
  const { Volumes } = await docker.listVolumes({ filters: { label: [label] } });
  await Promise.all((Volumes ?? []).map((v) => docker.getVolume(v.Name).remove().catch(ignoreGone)));
  return { containers: containers.length, volumes: (Volumes ?? []).length };
}

function ignoreGone(err: { statusCode?: number }): void {
  // 404: already gone; 409: removal already in progress.
  if (err?.statusCode === 404 || err?.statusCode === 409) return;
  throw err;
}

function passTo(log: WriteStream): NodeJS.WritableStream {
  // demuxStream writes to both outputs; a log closed by down() must not throw.
  return { write: (c: Buffer) => (log.writable ? log.write(c) : true) } as unknown as NodeJS.WritableStream;
}

/** The host ports a service will listen on: its Compose ports and its readiness check's port. */
export function portsOf(spec: ServiceSpec, launch: Launch): Array<{ host: string; port: number }> {
  const out = new Map<string, { host: string; port: number }>();
  const add = (host: string, port: number) => {
    if (!Number.isFinite(port) || port <= 0) return;
    const h = !host || host === '0.0.0.0' || host === 'localhost' ? '127.0.0.1' : host;
    out.set(`${h}:${port}`, { host: h, port });
  };
  for (const p of spec.ports) add(p.hostIp, p.host);
  const r = launch.ready;
  if (r.kind === 'tcp') add(r.host, r.port);
  if (r.kind === 'http') {
    const u = new URL(r.url);
    add(u.hostname, Number(u.port || (u.protocol === 'https:' ? 443 : 80)));
  }
  return [...out.values()];
}

function describeReady(launch: Launch): string {
  const r = launch.ready;
  if (r.kind === 'tcp') return `tcp ${r.host}:${r.port}`;
  if (r.kind === 'http') return `http ${r.url}`;
  if (r.kind === 'command') return `\`${r.argv.join(' ')}\``;
  return 'no check';
}

function shellWord(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}

