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
import type { Driver, DriverContext, ServiceAction, ServiceHandle } from '../driver.ts';
import { cgroupParentFor, removeEngineParents } from './cgroup-parent.ts';
import { LABEL_OWNER, LABEL_ROLE, LABEL_RUN, LABEL_SERVICE, OWNER, containerOptions, guardedArgv, planMounts, type MountPlan } from './container-options.ts';
import { execIn, runOneShot } from './container-run.ts';
import { connectEngine, requireEngine } from './engine.ts';
import type { EngineEvent } from './event-lines.ts';
import { ReopeningEvents } from './event-stream.ts';
import { dockerImagesReady, roleFor, roleImage, substitutionNote } from './local-images.ts';
import { readKernelOomKills, type KernelOomKill } from '../../cgroups/index.ts';
import type { RemoteHostWatch } from './remote-host-watch.ts';
import { debug, swallow } from '../../util/debug.ts';
import { describePortHolder } from '../../util/port-holder.ts';
import { checkOnce, describeCheck, tcpAnswers, waitReady } from '../../util/wait-ready.ts';
import { classifyDie } from './die-classification.ts';
import type { PortForwards } from './port-forwards.ts';
import { fillVolume, remoteMounts, type RemoteMount } from './remote-mounts.ts';
import type { SshDialer } from './ssh-dialer.ts';

/** The repo's docker/ folder (app, stand-in, configs): mounted read-only at the same path. */
export const REPO_DOCKER_DIR = path.resolve(import.meta.dirname, '..', '..', '..', 'docker');

interface Running {
  handle: ServiceHandle;
  container: Docker.Container;
  /** Set by `die`; a later `start` is then a restart by the engine's policy. */
  dead: boolean;
  lastOomAt?: number;
  /** OOM kills reported in earlier incarnations (the engine makes a fresh cgroup, counter 0, on each start). */
  earlierKills: number;
  /** The kills the previous incarnation reported, for a `die` whose handling straddled the restart. */
  lastIncarnationKills?: number;
  log?: WriteStream;
  /** The engine's log streams being copied into `log` (one per start). */
  follows: Array<NodeJS.ReadableStream & { destroy?: () => void }>;
  /** Started again by a fault (not by the engine's policy): its `start` event says so. */
  startedByFault?: boolean;
  /** A death counted from the container's state after the events stream was reopened (ms): its own `die`, if the engine sends it later, is not counted again. */
  reconciledAt?: number;
}

/** Marks an event the driver made up from the container's state (a death no events stream heard). */
const UNSEEN = 'simulate.unseen';

export interface DockerDriverOptions {
  docker?: Docker;
  /** Extra read-only host folders to mount at the same path (besides docker/ and the Compose dir). */
  readOnlyDirs?: string[];
  /** The caller (chooseDriver) checked the local images already: up() does not ask the engine again. */
  imagesChecked?: boolean;
  /** The engine is on another machine (--docker-host ssh://…): no host paths, ports or cgroup files of ours there. */
  remote?: RemoteSide;
}

export interface RemoteSide {
  url: string;
  /** For ssh: readiness checks reach the server's loopback through it. */
  dialer?: SshDialer;
  /** Listeners on this machine's 127.0.0.1 carried to the server's ports. */
  forwards?: PortForwards;
  /** The capped cgroup made on the server (--cap), or undefined: the engine's default, the machine is the cap. */
  cgroupParent?: string;
  /** The server's PSI and kernel log, through a helper container there (started with the stack). */
  watch?: RemoteHostWatch;
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
    const remote = this.opts.remote;
    // Remote: the server's engine places the containers (its default parent, or the cgroup capped there).
    const cgroupParent = remote ? (remote.cgroupParent ?? '') : cgroupParentFor(ctx.parent, info.cgroupDriver);
    // Before the services: an OOM kill in their first seconds is in the server's kernel log the helper follows.
    if (remote?.watch) {
      await remote.watch.start(ctx.runId).catch((err: unknown) => ctx.emit({ kind: 'info', detail: `the server's PSI and kernel log are not read: the helper container did not start (${String(err)})` }));
      const { kernelLog } = remote.watch.report();
      if (kernelLog.startsWith('not read')) ctx.emit({ kind: 'info', detail: `the server's kernel log is ${kernelLog}: OOM kills there are named by the engine's evidence alone` });
    }
    if (!this.opts.imagesChecked) {
      const images = await dockerImagesReady(stack, this.docker);
      if (!images.ok) throw missingImagesError(images.missing);
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
    // check happily talks to the other program. Say so before starting. (On a remote engine the ports
    // are the server's: not checked from here.)
    for (const port of this.opts.remote ? [] : portsOf(spec, launch)) {
      if (await tcpAnswers(port.host, port.port, 500)) {
        const holder = (await describePortHolder(port.port)) ?? 'another program';
        throw new EnvironmentError(`${spec.name}: port ${port.port} on ${port.host} is already in use by ${holder}`, 'stop what listens there (`ss -ltnp`), or change the port in the profile');
      }
    }
    const planned = planMounts({ runId, workDir: ctx.workDir, readOnlyDirs, volumes: spec.volumes, filled: ctx.filledVolumes });
    // Remote: the folders here become volumes there, filled from here (a kept dataset too: it is copied over).
    const mounts = this.opts.remote ? remoteMounts(planned, runId) : planned;
    await this.prepareMounts(spec, mounts, image);
    const base = { runId, spec, image, cgroupParent, mounts };
    const note = substitutionNote(spec, image.split(':')[0]);
    ctx.emit({ kind: 'info', service: spec.name, detail: note });

    // Data dirs: created and chowned inside a container, because the image's users (postgres, ...)
    // need not have the host's uids, and a named volume's content is only visible there. Recursively: a
    // kept dataset copied in by the host carries the host's postgres uid (101 here, 102 in the image),
    // and PostgreSQL refuses a data directory that is not its own. chown touches inodes, not data
    // pages: the copy stays out of the page cache.
    if (launch.dataDirs.length) {
      const owner = launch.user ? `chown -R ${shellWord(launch.user)}: "$@"` : 'true';
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
      earlierKills: 0,
      follows: [],
      handle: { name: spec.name, spec, containerId: container.id, image: image.split(':')[0], cgroup: undefined as never, oomKillsReported: 0, incarnation: 0 },
    };
    this.byContainer.set(container.id, running);
    // Ctrl-C while the container was being created: down() may have listed the run's containers already.
    if (this.stopping) {
      await container.remove({ force: true }).catch(swallow('docker', `${spec.name}: remove container after Ctrl-C`));
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
    ctx.emit({ kind: 'service-ready', service: spec.name, pid: running.handle.pid, detail: `ready (${describeCheck(launch.ready)})` });

    for (const after of launch.afterReady) {
      const r = await execIn(this.docker, container, { ...after, argv: guardedArgv(after) });
      if (r.exitCode !== 0) {
        throw new EnvironmentError(`${spec.name}: after-ready command failed (exit ${r.exitCode}): ${after.argv.join(' ')}: ${lastLine(r.output)}`, `see ${this.logPath(spec.name)}`);
      }
    }
    if (launch.versionArgv) {
      // The version is a note in run.json; a service that cannot say it still runs.
      const v = await execIn(this.docker, container, { argv: launch.versionArgv, user: launch.user }).catch(swallow('docker', `${spec.name}: version`));
      if (v && v.exitCode === 0) running.handle.version = v.output.trim().split('\n')[0];
    }
  }

  /** Makes the host side of bind mounts and the run's Docker volumes (labelled for cleanup). */
  private async prepareMounts(spec: ServiceSpec, mounts: Array<MountPlan | RemoteMount>, image: string): Promise<void> {
    for (const m of mounts) {
      if ('fillFrom' in m) {
        if ((await fillVolume(this.docker, m, image, this.ctx!.runId, spec.name)) === 'made') debug('docker', `${spec.name}: ${m.fillFrom} copied into volume ${m.source} on ${this.opts.remote!.url}`);
        continue;
      }
      if (m.type === 'bind') {
        // 0755: a service's user (postgres, redis) must be able to walk down to its data dir.
        if (!m.readOnly) await mkdir(m.source, { recursive: true, mode: 0o755 });
        continue;
      }
      try {
        await this.docker.getVolume(m.source).inspect();
      } catch {
        // No such volume yet (404): make it.
        await this.docker.createVolume({ Name: m.source, Labels: { [LABEL_RUN]: this.ctx!.runId, [LABEL_SERVICE]: spec.name, [LABEL_OWNER]: OWNER } });
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

  /** OOM kills reported so far in this run, every incarnation of every service. */
  private oomKillsSoFar(): number {
    return [...this.running.values()].reduce((a, r) => a + r.earlierKills + r.handle.oomKillsReported, 0);
  }

  /**
   * 'ready', or why the run goes on without it: once the kernel is killing services for memory, a service
   * that cannot get ready (its dependency is in a crash loop) is part of the result, not a setup error.
   * The polling is util/wait-ready's, as for the process driver; the check runs inside the container.
   */
  private async waitReady(running: Running, launch: Launch): Promise<'ready' | string> {
    const { spec } = running.handle;
    let state: Docker.ContainerInspectInfo['State'] | undefined;
    const outcome = await waitReady(launch.ready, {
      timeoutMs: launch.readyTimeoutMs,
      signal: this.ctx!.signal,
      stillAlive: async () => {
        state = (await running.container.inspect()).State;
        // A container the engine will restart is alive for this purpose: its policy brings it back. One the
        // kernel killed is the run's result (giveUp below), not a setup error.
        return state.Running || state.Restarting || spec.restart !== 'no' || state.OOMKilled || this.oomKillsSoFar() > 0;
      },
      // Ready only while it runs: a check answered by something else while it restarts does not count.
      check: async () => Boolean(state?.Running) && (await this.answers(running, launch.ready)),
      giveUp: () => this.oomKillsSoFar() > 0 || Boolean(state?.OOMKilled),
    });
    const what = describeCheck(launch.ready);
    const exited = () => `exit code ${state?.ExitCode}${state?.OOMKilled ? ', OOM-killed' : ''}`;
    switch (outcome) {
      case 'ready':
        return 'ready';
      case 'aborted':
        throw new InterruptedError();
      case 'gave-up':
        return state?.Running ? what : exited();
      case 'died':
        throw new EnvironmentError(
          `${spec.name} exited (code ${state?.ExitCode}${state?.OOMKilled ? ', OOM-killed' : ''}) before it was ready (${what})`,
          `see ${this.logPath(spec.name)}`,
        );
      case 'timeout':
        throw new EnvironmentError(`${spec.name} was not ready within ${Math.round(launch.readyTimeoutMs / 1000)} s (${what})`, `see ${this.logPath(spec.name)}`);
    }
  }

  /** The ready check; a command runs inside the container (its programs are there, not on the host). */
  private async answers(running: Running, ready: Launch['ready']): Promise<boolean> {
    if (ready.kind !== 'command' && this.opts.remote) return this.answersThere(ready);
    if (ready.kind !== 'command') return checkOnce(ready);
    const r = await execIn(this.docker, running.container, { argv: ready.argv, env: ready.env }).catch((err: unknown) => {
      debug('docker', `${running.handle.name}: ready check could not run: ${String(err)}`);
      return { exitCode: -1 };
    });
    return r.exitCode === 0;
  }

  /** A tcp or http check against the server's loopback: through ssh (tcp: a channel opens), or an http GET through a forward. */
  private async answersThere(ready: Exclude<Launch['ready'], { kind: 'command' }>): Promise<boolean> {
    const remote = this.opts.remote!;
    if (ready.kind === 'none') return true;
    if (ready.kind === 'tcp') {
      if (!remote.dialer) throw new EnvironmentError(`a tcp readiness check on ${remote.url} needs an ssh:// Docker host`, 'use --docker-host ssh://user@host');
      const channel = await remote.dialer.forward(ready.host === 'localhost' ? '127.0.0.1' : ready.host, ready.port).catch(() => undefined);
      channel?.close();
      return Boolean(channel);
    }
    const url = new URL(ready.url);
    const local = remote.forwards?.local(Number(url.port || 80));
    if (local === undefined) throw new EnvironmentError(`no forward from here to port ${url.port} on ${remote.url} for the check ${ready.url}`, 'a remote run reaches the server\'s ports through ssh forwards');
    url.hostname = '127.0.0.1';
    url.port = String(local);
    return checkOnce({ kind: 'http', url: url.toString() });
  }

  /**
   * Keep checking in the background a service the run stopped waiting for, and say when it is ready. After a
   * fault's start or restart (`afterIncarnation`: the incarnation before it), only the new process counts: its
   * `start` event handled (its pid known), else a check just after `docker restart` returned was answered while
   * the engine's events were still on their way and the ready named the old pid (seen here).
   */
  private reportReadyLater(running: Running, launch: Launch, afterIncarnation?: number): void {
    const ctx = this.ctx!;
    const fresh = () => afterIncarnation === undefined || (running.handle.incarnation ?? 0) > afterIncarnation;
    void waitReady(launch.ready, {
      timeoutMs: launch.readyTimeoutMs,
      signal: ctx.signal,
      stillAlive: () => !this.stopping,
      check: async () => !running.dead && fresh() && (await this.answers(running, launch.ready)),
      intervalMs: 1000,
    }).then((o) => {
      if (o === 'ready' && !this.stopping) ctx.emit({ kind: 'service-ready', service: running.handle.name, pid: running.handle.pid, detail: `ready (${describeCheck(launch.ready)})` });
    });
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
        s.on('error', swallow('docker', `${running.handle.name}: log stream`));
      })
      .catch(swallow('docker', `${running.handle.name}: follow logs`));
  }

  /** One events stream for the whole run, filtered by its label; reopened if the engine restarts. */
  private async watchEvents(runId: string): Promise<void> {
    const filters = { type: ['container' as const], event: ['oom', 'die', 'start'], label: [`${LABEL_RUN}=${runId}`] };
    const events = new ReopeningEvents(
      { open: async (since) => (await this.docker.getEvents({ ...(since !== undefined ? { since } : {}), filters })) as unknown as NodeJS.ReadableStream },
      (ev) => void this.onEvent(ev),
      (detail) => {
        if (this.stopping) return;
        this.ctx?.emit({ kind: 'info', detail });
        // What no stream heard: a death while the engine was down (with live-restore the engine does not
        // report it as an event when it comes back), or while it stopped its containers (without). Let the
        // replayed events of `since` arrive first, then compare each container with what we know.
        setTimeout(() => void this.reconcile().catch(swallow('docker', 'compare containers after the events stream reopened')), 1500).unref();
      },
    );
    await events.start();
    this.events = { destroy: () => events.close() } as typeof this.events;
  }

  /**
   * After the events stream was reopened: a container whose main process is not the one we know died
   * unheard. Count that death (and the restart, if the engine's policy already started it again) once,
   * as the events would have.
   */
  private async reconcile(): Promise<void> {
    for (const running of this.running.values()) {
      if (this.stopping) return;
      if (running.dead) continue; // its die was heard; a start will follow or not, as events say
      let state: Docker.ContainerInspectInfo['State'];
      try {
        state = (await running.container.inspect()).State;
      } catch (err) {
        debug('docker', `${running.handle.name}: inspect after reopen: ${String(err)}`);
        continue;
      }
      if (running.dead || (state.Running && (state.Pid || undefined) === running.handle.pid)) continue;
      const id = running.handle.containerId!;
      const at = Date.now();
      running.reconciledAt = at;
      const exitCode = state.Running ? undefined : state.ExitCode;
      await this.onEvent({ Action: 'die', Actor: { ID: id, Attributes: { ...(exitCode !== undefined ? { exitCode: String(exitCode) } : {}), [UNSEEN]: 'true' } }, timeNano: at * 1e6 });
      if (state.Running) await this.onEvent({ Action: 'start', Actor: { ID: id, Attributes: { [UNSEEN]: 'true' } }, timeNano: at * 1e6 });
    }
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
    const unseen = ev.Actor?.Attributes?.[UNSEEN] === 'true';
    if (action === 'die') {
      // Counted already from the container's state after the stream reopened.
      if (!unseen && running.reconciledAt !== undefined && at <= running.reconciledAt) return;
      running.dead = true;
      const exitCode = Number(ev.Actor?.Attributes?.exitCode ?? NaN);
      const pid = running.handle.pid;
      const incarnation = running.handle.incarnation;
      const facts = await this.dieFacts(running, exitCode, at);
      // A restart (`start`) while we read: this death belongs to the incarnation that was current at `die`.
      const sameIncarnation = running.handle.incarnation === incarnation;
      const { oomKilled, evidence } = classifyDie(facts);
      if (this.stopping) return;
      const policy = running.handle.spec.restart;
      if (oomKilled) {
        // The monitor may have read the kill from the container's cgroup counter before the engine
        // removed the cgroup; if it did (this incarnation's count is not 0), it was reported once already.
        const reported = sameIncarnation ? running.handle.oomKillsReported : running.lastIncarnationKills;
        if (reported === 0) {
          if (sameIncarnation) running.handle.oomKillsReported = 1;
          else running.earlierKills += 1;
          const k = facts.kernelKill;
          const named = k ? `; the server's kernel: Killed process ${k.pid} (${k.name}) in ${k.taskMemcg ?? '?'}${k.anonRss ? `, anon-rss ${(k.anonRss / 1024 ** 2).toFixed(1)} MB` : ''}` : '';
          ctx.emit({ at, kind: 'oom-kill', service, pid: k?.pid ?? pid, detail: `engine: container ${running.handle.containerId!.slice(0, 12)} exit 137, OOM kill by ${evidence}${named}` });
        }
      }
      ctx.emit({
        at,
        kind: 'service-exit',
        service,
        pid,
        oomKilled,
        ...(Number.isNaN(exitCode) ? {} : { exitCode }),
        detail: `exited with code ${Number.isNaN(exitCode) ? '?' : exitCode}${oomKilled ? ' (OOM-killed)' : ''}; restart policy ${policy}${unseen ? '; no events stream heard it (the engine was restarting): found from the container\'s state when the stream was reopened' : ''}`,
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
      } catch (err) {
        // Removed by down() in between: no pid to show.
        debug('docker', `${service}: inspect after start: ${String(err)}`);
      }
      if (this.stopping) return;
      running.handle.pid = pid;
      // The engine made a fresh cgroup (same path) whose OOM-kill counter starts at 0 again. A new
      // incarnation: a monitor read that began before this start must not compare the old counter with 0.
      running.earlierKills += running.handle.oomKillsReported;
      running.lastIncarnationKills = running.handle.oomKillsReported;
      running.handle.oomKillsReported = 0;
      running.handle.incarnation = (running.handle.incarnation ?? 0) + 1;
      const byFault = running.startedByFault;
      running.startedByFault = false;
      ctx.emit({ at, kind: 'service-restart', service, pid, detail: byFault ? 'started again after the fault (docker start)' : `restarted by the engine (policy ${running.handle.spec.restart})${unseen ? ', found running again with a new process when the events stream was reopened' : ''}` });
      this.followLogs(running, Math.floor(at / 1000));
    }
  }

  /** What the engine and the kernel say about a death, read at once (the engine removes the cgroup soon). */
  private async dieFacts(running: Running, exitCode: number, at: number) {
    let stateOomKilled: boolean | undefined;
    try {
      const state = (await running.container.inspect()).State;
      // Running again already: the engine reset OOMKilled on the restart, so it says nothing of this death.
      if (!state.Running) stateOomKilled = state.OOMKilled;
    } catch (err) {
      debug('docker', `${running.handle.name}: inspect after die: ${String(err)}`);
    }
    let kernelLogged: boolean | undefined;
    let kernelKill: KernelOomKill | undefined;
    // A remote engine's kernel log is the server's, read by its helper container: a line naming a process
    // in this container decides; none (yet) leaves it to the engine's evidence, as an unreadable log does.
    const watch = this.opts.remote?.watch;
    if (exitCode === 137 && watch?.kernelLogReadable()) {
      kernelKill = await watch.killIn(running.handle.containerId!).catch(swallow('docker', 'the server\'s kernel log', undefined));
      if (kernelKill) kernelLogged = true;
    }
    // The kernel log read here is this machine's: for a remote engine, the engine's word decides.
    if (exitCode === 137 && running.handle.pid !== undefined && !this.opts.remote) {
      try {
        const kills = await readKernelOomKills({ under: running.handle.cgroup.path });
        kernelLogged = kills.some((k) => k.pid === running.handle.pid);
      } catch (err) {
        // No root or no dmesg: the engine's own evidence decides (classifyDie).
        debug('docker', `kernel OOM log not readable: ${String(err)}`);
      }
    }
    return { exitCode, stateOomKilled, oomEventAgeMs: running.lastOomAt !== undefined ? at - running.lastOomAt : undefined, kernelLogged, kernelKill };
  }

  async inject(service: string, action: ServiceAction): Promise<string> {
    const r = this.running.get(service);
    if (!r) throw new Error(`${service} is not running in this run`);
    const c = r.container;
    const id = r.handle.containerId!.slice(0, 12);
    if (this.opts.remote) throw new EnvironmentError(`faults on a remote engine (${this.opts.remote.url}) are not built yet`, 'run --fault against the local engine');
    switch (action) {
      case 'kill': {
        // A crash, not `docker kill`: the engine marks a container it was asked to kill as stopped by hand
        // and its restart policy (unless-stopped) would not apply. SIGKILL from the host to the container's
        // first process ends the container as the kernel would.
        const pid = (await c.inspect()).State.Pid;
        if (!pid) throw new Error(`${service} has no running process to kill`);
        process.kill(pid, 'SIGKILL');
        return `SIGKILL to container ${id}'s main process (host pid ${pid}) as a crash; restart policy ${r.handle.spec.restart}`;
      }
      case 'pause':
        await c.pause();
        return `docker pause ${id} (freezer cgroup)`;
      case 'resume':
        await c.unpause();
        return `docker unpause ${id}`;
      case 'stop':
        await c.stop({ t: 10 });
        return `docker stop ${id}; held down: the engine does not restart a container stopped by hand`;
      case 'start': {
        if (this.stopping) return 'not started: the run is stopping';
        r.startedByFault = true;
        const before = r.handle.incarnation ?? 0;
        await c.start();
        this.reportReadyLater(r, r.handle.spec.launch!, before);
        return `docker start ${id}`;
      }
      case 'restart': {
        r.startedByFault = true;
        const before = r.handle.incarnation ?? 0;
        await c.restart({ t: 10 });
        this.reportReadyLater(r, r.handle.spec.launch!, before);
        return `docker restart ${id}`;
      }
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
    this.opts.remote?.watch?.release();
    for (const r of this.running.values()) {
      for (const f of r.follows) f.destroy?.();
      r.log?.end();
    }
  }

  private async tearDown(): Promise<void> {
    this.stopping = true;
    try {
      this.events?.destroy?.();
    } catch (err) {
      debug('docker', `close events stream: ${String(err)}`);
    }
    const ctx = this.ctx;
    if (!ctx) return;
    await this.opts.remote?.watch?.stop();
    await removeRun(this.docker, ctx.runId);
    for (const r of this.running.values()) r.log?.end();
    // The engine's empty parents are on the server for a remote engine: the run's cap helper removes its own.
    if (!this.opts.remote) await removeEngineParents(ctx.parent).catch(swallow('docker', 'remove the engine\'s cgroup parents'));
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

/** The one line that says the local images are missing, and how to build them. */
export function missingImagesError(missing: string[]): EnvironmentError {
  return new EnvironmentError(`the local images for this profile are missing (${missing.join(', ')})`, 'run `simulate setup --driver docker` first (it builds them from Debian packages)');
}

function shellWord(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}

