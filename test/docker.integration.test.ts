/**
 * The docker driver against a real engine (CI starts one with .ci/start-dockerd) and the real
 * cgroup v1/v2 hierarchy: containers under a capped parent, labels, OOM kills and restarts from
 * the events API, and nothing left behind. The local images are built once and cached (~2 min).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCgroup, removeIfEmpty, RUNS_PARENT } from '../src/cgroups/index.ts';
import type { MemoryCgroup } from '../src/cgroups/cgroup.ts';
import type { DriverContext } from '../src/drivers/driver.ts';
import { DockerDriver, dockerAvailable, dockerImagesReady, reapDockerRuns, setupDockerImages } from '../src/drivers/docker/index.ts';
import { execIn } from '../src/drivers/docker/container-run.ts';
import type { Launch, ServiceSpec, Stack } from '../src/profile/stack.ts';
import type { RunEvent } from '../src/model/index.ts';

const isRoot = process.getuid?.() === 0;
const engine = await dockerAvailable();
const canRun = isRoot && engine.ok;
const why = !isRoot ? 'needs root' : !engine.ok ? `needs a Docker engine: ${engine.reason}; run .ci/start-dockerd` : '';
const docker = new Docker();
const MiB = 1024 * 1024;

function launch(argv: string[], extra: Partial<Launch> = {}): Launch {
  return { argv, env: {}, init: [], afterReady: [], dataDirs: [], ready: { kind: 'none' }, readyTimeoutMs: 30_000, ...extra };
}

function service(name: string, l: Launch, extra: Partial<ServiceSpec> = {}): ServiceSpec {
  return { name, kind: 'real', dependsOn: [], restart: 'no', ports: [], environment: {}, volumes: [], launch: l, ...extra };
}

function stackOf(services: ServiceSpec[], dir: string): Stack {
  return {
    name: 'docker-test',
    file: path.join(dir, 'compose.yml'),
    dir,
    capBytes: 256 * MiB,
    swapBytes: 0,
    cpus: 0,
    targets: { avgLatencyMs: 60, minRps: 300, p99Ms: 1000, maxOomKills: 0, minFreeBytes: 0, minCacheHitRate: 0, maxErrorRate: 0.01 },
    scenario: 'none',
    appUrl: 'http://127.0.0.1:1',
    safetyLineBytes: 0,
    services,
  };
}

interface Run {
  runId: string;
  parent: MemoryCgroup;
  ctx: DriverContext;
  events: RunEvent[];
  dir: string;
  abort: AbortController;
}

async function newRun(capBytes: number): Promise<Run> {
  const runId = `dt-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const parent = await createCgroup(`/simulate/${runId}`);
  await parent.setMemoryLimit(capBytes, 0);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'simulate-docker-'));
  // Like the run's work dir: services running as their own user must be able to walk into it.
  await chmod(dir, 0o755);
  const events: RunEvent[] = [];
  const abort = new AbortController();
  const started = Date.now();
  const ctx: DriverContext = {
    runId,
    runDir: path.join(dir, 'run'),
    workDir: path.join(dir, 'work'),
    parent,
    signal: abort.signal,
    emit: (e) => {
      const at = e.at ?? Date.now();
      events.push({ ...e, at, t: (at - started) / 1000 });
    },
  };
  return { runId, parent, ctx, events, dir, abort };
}

async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function labelled(runId: string): Promise<{ containers: number; volumes: number }> {
  const filters = { label: [`simulate.run=${runId}`] };
  const containers = await docker.listContainers({ all: true, filters });
  const { Volumes } = await docker.listVolumes({ filters });
  return { containers: containers.length, volumes: (Volumes ?? []).length };
}

function redisPing(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write('PING\r\n'));
    s.once('data', (d) => {
      resolve(d.toString().trim());
      s.destroy();
    });
    s.once('error', reject);
    s.setTimeout(3000, () => reject(new Error('no answer')));
  });
}

describe.skipIf(!canRun)(`docker driver against a real engine${why ? ` (skipped: ${why})` : ''}`, () => {
  let driver: DockerDriver | undefined;
  let run: Run | undefined;

  beforeAll(async () => {
    // Cached after the first build: a second call only checks the image and re-tags.
    const r = await setupDockerImages((line) => console.error(`setup: ${line}`));
    expect(r.base).toMatch(/^simulate\/debian-stack:/);
  }, 600_000);

  afterEach(async () => {
    await driver?.down();
    if (run) {
      await run.parent.destroy().catch(() => undefined);
      await rm(run.dir, { recursive: true, force: true });
    }
    driver = undefined;
    run = undefined;
  });

  afterAll(async () => {
    // Nothing of ours may stay behind, even after a failed test.
    await reapDockerRuns((id) => !id.startsWith(`dt-${process.pid}-`));
    await removeIfEmpty(RUNS_PARENT); // the shared /simulate parent, when no run is left in it
  });

  it('reports the engine for doctor', () => {
    expect(engine.ok).toBe(true);
    expect(engine.version).toBeTruthy();
    expect(['cgroupfs', 'systemd']).toContain(engine.cgroupDriver);
    expect(['1', '2']).toContain(engine.cgroupVersion);
  });

  it('runs redis in a container under the capped parent, labelled, with init, user, data dir and a named volume; down() removes it all', async () => {
    run = await newRun(256 * MiB);
    const work = run.ctx.workDir;
    const data = path.join(work, 'redis', 'data');
    const marker = path.join(data, 'init-ran');
    const volSource = path.join(work, 'volumes', 'redis-extra');
    const spec = service(
      'redis',
      launch(['/usr/bin/redis-server', '--port', '56391', '--bind', '127.0.0.1', '--save', '', '--dir', data], {
        user: 'redis',
        dataDirs: [data],
        init: [{ argv: ['/bin/sh', '-c', `id -un > '${marker}'`], env: {}, user: 'redis', unless: marker }],
        ready: { kind: 'tcp', host: '127.0.0.1', port: 56391 },
        versionArgv: ['/usr/bin/redis-server', '--version'],
      }),
      { image: 'redis:7-alpine', memLimit: 128 * MiB, volumes: [{ type: 'volume', source: volSource, target: '/data', readOnly: false }] },
    );
    const stack = stackOf([spec, service('grafana', undefined as never, { launch: undefined, unavailableReason: 'not packaged' })], run.dir);
    expect((await dockerImagesReady(stack)).ok).toBe(true);

    driver = new DockerDriver();
    const handles = await driver.up(stack, run.ctx);
    expect(handles).toHaveLength(1);
    const h = handles[0];
    expect(h.image).toBe('simulate/redis');
    expect(h.version).toMatch(/Redis server v=7/);
    expect(await redisPing(56391)).toBe('+PONG');

    // The container's cgroup is under the run's capped parent, and the handle points at it.
    const memLine = readFileSync(`/proc/${h.pid}/cgroup`, 'utf8').split('\n').find((l) => /(^|:)memory:|^0::/.test(l))!;
    expect(memLine).toContain(`/simulate/${run.runId}/${h.containerId}`);
    expect(h.cgroup.path).toBe(`/simulate/${run.runId}/${h.containerId}`);
    expect((await h.cgroup.stats()).usage).toBeGreaterThan(0);
    expect((await h.cgroup.stats()).limit).toBe(128 * MiB);

    const info = await docker.getContainer(h.containerId!).inspect();
    expect(info.Config.Labels).toMatchObject({ 'simulate.run': run.runId, 'simulate.service': 'redis', 'simulate.role': 'service' });
    expect(info.HostConfig.CgroupParent).toBe(`/simulate/${run.runId}`);
    expect(info.HostConfig.NetworkMode).toBe('host');
    expect(info.HostConfig.Memory).toBe(128 * MiB);
    expect(info.Config.User).toBe('redis');
    expect(info.Mounts.find((m) => m.Destination === volSource)?.Type).toBe('volume');

    // init ran as its user, in a one-shot container, after the data dir was given to that user, and wrote through the shared work dir.
    expect(readFileSync(marker, 'utf8').trim()).toBe('redis');
    // The data dir belongs to the image's redis user (by name in the container, whatever its uid on the host).
    const id = await execIn(docker, docker.getContainer(h.containerId!), { argv: ['id', '-u', 'redis'] });
    expect(statSync(data).uid).toBe(Number(id.output.trim()));
    expect(statSync(data).uid).not.toBe(0);

    const kinds = run.events.map((e) => `${e.kind}:${e.service}`);
    expect(kinds).toContain('service-unavailable:grafana');
    expect(kinds).toContain('service-start:redis');
    expect(kinds).toContain('service-ready:redis');
    expect(run.events.find((e) => e.kind === 'info')?.detail).toBe('substituted local image simulate/redis for redis:7-alpine (no registry)');
    expect(existsSync(path.join(run.ctx.runDir, 'logs', 'redis.log'))).toBe(true);

    expect(await labelled(run.runId)).toEqual({ containers: 1, volumes: 1 });
    await driver.down();
    await driver.down(); // twice is safe
    expect(await labelled(run.runId)).toEqual({ containers: 0, volumes: 0 });
    // The engine's cgroup dirs in the other controllers are gone too (the run removes its own).
    expect(existsSync(`/sys/fs/cgroup/pids/simulate/${run.runId}`)).toBe(false);
  });

  it('turns an OOM kill under a 64 MiB parent into an oom-kill event that matches State.OOMKilled', async () => {
    run = await newRun(64 * MiB);
    const spec = service('hog', launch(['/usr/bin/python3', '-c', "import time; time.sleep(1); s = 'x' * (200 << 20); time.sleep(60)"]));
    driver = new DockerDriver();
    const [h] = await driver.up(stackOf([spec], run.dir), run.ctx);
    const kill = await waitFor('an oom-kill event', () => run!.events.find((e) => e.kind === 'oom-kill'));
    expect(kill.service).toBe('hog');
    expect(kill.pid).toBe(h.pid);
    const state = (await docker.getContainer(h.containerId!).inspect()).State;
    expect(state.OOMKilled).toBe(true);
    expect(state.ExitCode).toBe(137);
    const exit = await waitFor('a service-exit event', () => run!.events.find((e) => e.kind === 'service-exit'));
    expect(exit.detail).toContain('OOM-killed');
    expect(run.events.filter((e) => e.kind === 'oom-kill')).toHaveLength(1);
  });

  it('follows the restart policy: an on-failure exit comes back as a service-restart with a new pid', async () => {
    run = await newRun(128 * MiB);
    const spec = service('flaky', launch(['/usr/bin/python3', '-c', 'import time; time.sleep(1.5); raise SystemExit(3)']), { restart: 'on-failure' });
    driver = new DockerDriver();
    const [h] = await driver.up(stackOf([spec], run.dir), run.ctx);
    const firstPid = h.pid;
    const restart = await waitFor('a service-restart event', () => run!.events.find((e) => e.kind === 'service-restart'));
    expect(restart.service).toBe('flaky');
    expect(run.events.find((e) => e.kind === 'service-exit')?.detail).toMatch(/exited with code 3/);
    expect(restart.pid).toBeDefined();
    expect(restart.pid).not.toBe(firstPid);
    expect(driver.handles()[0].pid).toBe(restart.pid);
    expect(run.events.some((e) => e.kind === 'oom-kill')).toBe(false);
  });

  it('a service that dies before it is ready fails up() naming the service', async () => {
    run = await newRun(128 * MiB);
    const spec = service('broken', launch(['/usr/bin/python3', '-c', 'raise SystemExit(5)'], { ready: { kind: 'tcp', host: '127.0.0.1', port: 56399 } }));
    driver = new DockerDriver();
    await expect(driver.up(stackOf([spec], run.dir), run.ctx)).rejects.toThrow(/broken exited \(code 5\) before it was ready/);
  });

  it('refuses to start a service whose port another program holds (host networking would hide it)', async () => {
    run = await newRun(128 * MiB);
    const squatter = net.createServer().listen(56392, '127.0.0.1');
    await new Promise((r) => squatter.once('listening', r));
    try {
      const spec = service('squatted', launch(['/usr/bin/redis-server', '--port', '56392'], { ready: { kind: 'tcp', host: '127.0.0.1', port: 56392 } }));
      driver = new DockerDriver();
      await expect(driver.up(stackOf([spec], run.dir), run.ctx)).rejects.toThrow(/squatted: port 56392 on 127.0.0.1 is already in use/);
      expect(await labelled(run.runId)).toEqual({ containers: 0, volumes: 0 });
    } finally {
      squatter.close();
    }
  });

  it('reaps containers and volumes of runs that are no longer alive', async () => {
    const deadRun = `dt-${process.pid}-dead`;
    await docker.createVolume({ Name: `simulate-${deadRun}-v`, Labels: { 'simulate.run': deadRun } });
    const c = await docker.createContainer({ Image: 'simulate/debian-stack:' + (await setupDockerImages(() => undefined)).base.split(':')[1], Cmd: ['true'], Labels: { 'simulate.run': deadRun } });
    const r = await reapDockerRuns((id) => id !== deadRun);
    expect(r.runs).toContain(deadRun);
    expect(await labelled(deadRun)).toEqual({ containers: 0, volumes: 0 });
    await expect(c.inspect()).rejects.toThrow();
  });
});
