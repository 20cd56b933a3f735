/**
 * What a run needs when its engine is on another machine (--docker-host ssh://…): the server's facts
 * (its memory is the cap unless --cap caps a cgroup there), the stack's "parent cgroup" read from the
 * engine's stats stream, the docker driver in remote mode, and the stack as this process reaches it:
 * each port the run talks to becomes a listener on this machine's 127.0.0.1 carried over ssh.
 */
import type { MemoryCgroup } from '../../cgroups/cgroup.ts';
import { EnvironmentError, InputError } from '../../errors.ts';
import type { Stack } from '../../profile/stack.ts';
import { LABEL_OWNER, LABEL_ROLE, LABEL_RUN, OWNER } from './container-options.ts';
import { runOneShot } from './container-run.ts';
import type { DockerHost } from './docker-host.ts';
import { DockerDriver, type RemoteSide } from './docker-driver.ts';
import { connectEngine, requireEngine, sshDialer } from './engine.ts';
import { dockerImagesReady, roleImage } from './local-images.ts';
import { PortForwards } from './port-forwards.ts';
import { capRemote, uncapRemote } from './remote-cap.ts';
import { RemoteStack } from './remote-stats.ts';
import { RemoteLoader } from './remote-load.ts';
import { RemoteHostWatch } from './remote-host-watch.ts';
import type { Psi } from '../../cgroups/psi.ts';

export interface RemoteRun {
  driver: DockerDriver;
  cgroups: { version: 1 | 2; create(relPath: string): Promise<MemoryCgroup>; remove(relPath: string): Promise<void> };
  /** The stack as reached from here (ports → local forwards). */
  here: Stack;
  /** For run.json: the server and how the run reached it. */
  meta: Record<string, unknown>;
  dispose(): Promise<void>;
  /** Called when the ssh connection in use drops. */
  onDrop(listener: (reason: string) => void): void;
  /** The server's PSI (through the helper container), undefined while it has none. */
  psi: () => Psi | undefined;
  /** `--load-from remote`: the load engine on the server. */
  load?: { start: RemoteLoader['start']; prepare: (runId: string) => Promise<void> };
}

/** The server's memory from its own /proc/meminfo (a container sees the host's), before the stack starts. */
async function serverMemory(docker: Awaited<ReturnType<typeof connectEngine>>, image: string): Promise<{ totalBytes: number; availableBytes: number } | undefined> {
  const r = await runOneShot(docker, {
    Image: image,
    Entrypoint: [],
    Cmd: ['cat', '/proc/meminfo'],
    Labels: { [LABEL_RUN]: 'probe', [LABEL_ROLE]: 'oneshot', [LABEL_OWNER]: OWNER },
    HostConfig: { NetworkMode: 'none' },
  }).catch(() => undefined);
  if (!r || r.exitCode !== 0) return undefined;
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(r.output)?.[1] ?? NaN) * 1024;
  const totalBytes = kb('MemTotal');
  const availableBytes = kb('MemAvailable');
  return Number.isFinite(totalBytes) && Number.isFinite(availableBytes) ? { totalBytes, availableBytes } : undefined;
}

export async function prepareRemoteRun(host: DockerHost, stack: Stack, opts: { capGiven: boolean; loadFrom: 'here' | 'remote' }): Promise<RemoteRun> {
  if (host.kind !== 'ssh') {
    throw new InputError(`a run on ${host.url} needs an ssh:// Docker host (its ports are reached through ssh forwards)`, 'use --docker-host ssh://user@host; tcp:// works for setup and down');
  }
  const docker = connectEngine(host);
  const info = await requireEngine(docker);
  const images = await dockerImagesReady(stack, docker);
  if (!images.ok) {
    throw new EnvironmentError(`the local images for this profile are missing on ${host.url} (${images.missing.join(', ')})`, `run \`simulate setup --driver docker --docker-host ${host.url}\` first (it copies them there)`);
  }
  const dialer = sshDialer(host);
  const helperImage = roleImage('app');
  const memory = await serverMemory(docker, helperImage);
  const machineBytes = info.machine?.memoryBytes ?? memory?.totalBytes;
  if (!opts.capGiven) {
    if (!machineBytes) throw new EnvironmentError(`${host.url} did not say how much memory it has`, 'pass --cap SIZE');
    // The server is the cap: its memory, as its engine reports it.
    stack.capBytes = machineBytes;
  }
  const version: 1 | 2 = info.cgroupVersion === '2' ? 2 : 1;
  // A CPU quota on the server would need the helper's cgroup too: not applied, and run.json says so.
  const cpusAsked = stack.cpus;
  stack.cpus = 0;

  // Every port of the stack this process may talk to: published ports, readiness URLs, the database.
  const ports = new Set<number>();
  for (const s of stack.services) {
    for (const p of s.ports) ports.add(p.host);
    if (s.launch?.ready.kind === 'http') ports.add(Number(new URL(s.launch.ready.url).port || 80));
  }
  const appPort = Number(new URL(stack.appUrl).port || 80);
  ports.add(appPort);
  const forwards = new PortForwards(dialer);
  await forwards.open([...ports]);
  const here = viewFromHere(stack, forwards.mapping());

  let cgroupParent: string | undefined;
  // The driver reads `side.cgroupParent` when it starts containers: set by the cap below, before up().
  const watch = new RemoteHostWatch(docker, helperImage);
  const side: RemoteSide = { url: host.url, dialer, forwards, watch };
  const driver = new DockerDriver({ imagesChecked: true, docker, remote: side });
  const cgroups: RemoteRun['cgroups'] = {
    version,
    create: async (relPath) => {
      const path = relPath.startsWith('/') ? relPath : `/${relPath}`;
      const runId = path.split('/').pop()!;
      return new RemoteStack(
        docker,
        opts.capGiven ? path : `${host.url} (the whole machine)`,
        version,
        stack.capBytes,
        async (bytes, swapBytes) => {
          if (!opts.capGiven) return;
          await capRemote(docker, { image: helperImage, runId, path, version: info.cgroupVersion, cgroupDriver: info.cgroupDriver, bytes, swapBytes, url: host.url });
          cgroupParent = path;
          side.cgroupParent = path;
        },
        async () => {
          if (cgroupParent) await uncapRemote(docker, { image: helperImage, runId, path: cgroupParent, version: info.cgroupVersion });
        },
      );
    },
    remove: async () => undefined,
  };
  const loader = opts.loadFrom === 'remote' ? new RemoteLoader(docker, { image: helperImage, url: host.url }) : undefined;
  const meta = {
    dockerHost: {
      url: host.url,
      name: info.machine?.name,
      kernel: info.machine?.kernel,
      os: info.machine?.os,
      cpus: info.machine?.cpus,
      memoryBytes: machineBytes,
      cgroupVersion: info.cgroupVersion,
      cgroupDriver: info.cgroupDriver,
      engineVersion: info.version,
      // What else was using the server when the run began (its MemAvailable before our stack started).
      ...(memory ? { memAvailableAtStartBytes: memory.availableBytes, inUseByOthersAtStartBytes: memory.totalBytes - memory.availableBytes } : {}),
      cap: opts.capGiven ? 'a cgroup capped on the server by a helper container (--cap)' : 'the server\'s memory (engine info MemTotal)',
      memorySource: 'the engine\'s stats stream per container (working set = usage - inactive file); OOM kills from events and State.OOMKilled, named from the server\'s kernel log where the helper reads it',
      // Read when run.json is written (a getter: the run's meta shares this object), so it says what the run could read there.
      get watch() {
        return watch.report();
      },
    },
    ...(cpusAsked > 0 ? { cpusNotApplied: `${cpusAsked} (the profile's CPU limit is not applied on a remote engine)` } : {}),
    loadFrom: loader
      ? `remote: our load engine on ${host.url}, against 127.0.0.1:${appPort} there (the server's own capacity); its per-second windows streamed back over ssh`
      : `here: this machine's 127.0.0.1:${forwards.local(appPort)}, carried by ssh to 127.0.0.1:${appPort} on ${host.url}`,
    // Filled in when the engine is copied there (an object the run's meta shares, so run.json shows it at the end).
    ...(loader ? { remoteLoad: loader.facts } : {}),
  };
  return {
    driver,
    cgroups,
    here,
    meta,
    dispose: () => forwards.close(),
    psi: () => watch.psi(),
    onDrop: (l) => dialer.onDrop(l),
    ...(loader ? { load: { start: loader.start, prepare: (runId: string) => loader.prepare(runId) } } : {}),
  };
}

/** The stack with every port this process uses replaced by its local forward (pure). */
export function viewFromHere(stack: Stack, mapping: Map<number, number>): Stack {
  const swapUrl = (raw: string | undefined): string | undefined => {
    if (!raw) return raw;
    const m = /^([a-z]+:\/\/(?:[^@/]*@)?)(127\.0\.0\.1|localhost)(?::(\d+))?/i.exec(raw);
    if (!m || !m[3]) return raw;
    const local = mapping.get(Number(m[3]));
    return local === undefined ? raw : `${m[1]}127.0.0.1:${local}${raw.slice(m[0].length)}`;
  };
  return {
    ...stack,
    appUrl: swapUrl(stack.appUrl)!,
    // The metrics endpoint a profile's Prometheus scrapes is this process's: the server's Prometheus cannot reach it.
    metricsPort: undefined,
    services: stack.services.map((s) => ({
      ...s,
      ports: s.ports.map((p) => (mapping.has(p.host) ? { ...p, hostIp: '127.0.0.1', host: mapping.get(p.host)! } : p)),
      environment: Object.fromEntries(Object.entries(s.environment).map(([k, v]) => [k, k.endsWith('_URL') ? swapUrl(v)! : v])),
      ...(s.launch ? { launch: { ...s.launch, env: Object.fromEntries(Object.entries(s.launch.env).map(([k, v]) => [k, k.endsWith('_URL') ? swapUrl(v)! : v])) } } : {}),
    })),
  };
}
