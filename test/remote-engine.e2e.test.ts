/**
 * `--docker-host ssh://…` against a second Docker engine that this machine reaches only over ssh
 * (test/tools/remote-engine.sh: a network namespace with sshd and a dockerd of its own). The tool talks
 * to it through ssh alone; the test looks at it through its socket file to check what is (not) there.
 * Runs under the heavy lock (it starts a daemon and copies an image). Everything it makes, it removes.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteEngineDown, remoteEngineDrop, remoteEngineUnavailable, remoteEngineUp, testBedLeftovers, type RemoteEngine } from './helpers/remote-engine.ts';
import { BIN, REPO, simulate } from './helpers/stack.ts';
import { readCsv } from './helpers/csv.ts';
import { chooseEngine, closeEngines } from '../src/drivers/docker/engine-info.ts';
import { parseDockerHost } from '../src/drivers/docker/docker-host.ts';
import { connectEngine, requireEngine, sshDialer } from '../src/drivers/docker/engine.ts';
import { roleImage } from '../src/drivers/docker/local-images.ts';

const why = remoteEngineUnavailable();
const out = fs.mkdtempSync(path.join(tmpdir(), 'simulate-remote-'));
const lastRunDir = () =>
  fs
    .readdirSync(out)
    .map((d) => path.join(out, d))
    .filter((d) => fs.statSync(d).isDirectory())
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0]!;
/** Containers and volumes of ours on the remote engine (the test's own look through its socket). */
async function oursThere(): Promise<string[]> {
  const cs = await look.listContainers({ all: true, filters: { label: ['simulate.run'] } });
  const { Volumes } = await look.listVolumes({ filters: { label: ['simulate.run'] } });
  return [...cs.map((c) => `container ${c.Names[0]}`), ...(Volumes ?? []).map((v) => `volume ${v.Name}`)];
}
let bed: RemoteEngine;
/** The test's own view of the remote engine (its socket file): never what the tool uses. */
let look: Docker;

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe.skipIf(Boolean(why))(`a Docker engine reached over ssh${why ? ` (skipped: ${why})` : ''}`, () => {
  beforeAll(() => {
    bed = remoteEngineUp();
    look = new Docker({ socketPath: bed.socket });
  }, 150_000);

  afterAll(() => {
    fs.rmSync(out, { recursive: true, force: true });
    closeEngines();
    remoteEngineDown();
    // The test bed's own teardown: nothing of it is left on this machine.
    expect(testBedLeftovers()).toEqual([]);
  }, 150_000);

  it('makes the test bed idempotently: a second `up` answers with the same engine and no second daemon', () => {
    const again = remoteEngineUp();
    expect(again).toEqual(bed);
    expect(bed.dockerHost).toMatch(/^ssh:\/\/root@10\.\d+\.\d+\.\d+$/);
  });

  it('answers over ssh with the server\'s own facts, on a few pooled connections', async () => {
    const host = parseDockerHost(bed.dockerHost, { sshKey: bed.sshKey });
    chooseEngine(host);
    try {
      const info = await requireEngine(connectEngine());
      expect(info.endpoint).toBe(bed.dockerHost);
      expect(info.machine?.memoryBytes).toBeGreaterThan(256 * 1024 ** 2);
      expect(info.machine?.kernel).toBeTruthy();
      // 20 requests at once: OpenSSH allows 10 sessions per connection, the dialer puts 8 on each.
      const docker = connectEngine();
      const dialer = sshDialer(host as Extract<typeof host, { kind: 'ssh' }>);
      const pings = Promise.all(Array.from({ length: 20 }, () => docker.ping()));
      await new Promise((r) => setTimeout(r, 300));
      const open = dialer.connections();
      await pings;
      expect(open).toBeGreaterThanOrEqual(3);
      expect(open).toBeLessThanOrEqual(4);
    } finally {
      chooseEngine(undefined);
    }
  }, 60_000);

  it('says in one line when the URL is bad (exit 2) or the engine does not answer (exit 3)', async () => {
    const bad = await simulate(['down', '--docker-host', 'ssh://10.213.7.2']);
    expect(bad.code).toBe(2);
    expect(oneLine(bad.stderr)).toMatch(/--docker-host: "ssh:\/\/10\.213\.7\.2" names no user/);
    // The right address, a port nothing listens on: the ssh control connection is refused.
    const closed = await simulate(['down', '--docker-host', `ssh://root@${bed.addr}:2222`, '--ssh-key', bed.sshKey]);
    expect(closed.code).toBe(3);
    expect(oneLine(closed.stderr)).toMatch(/cannot reach the Docker engine at ssh:\/\/root@10\.\d+\.\d+\.\d+:2222 \(ssh: connect ECONNREFUSED/);
    // A host key other than the one known_hosts lists for that address: refused, as ssh refuses it.
    const home = fs.mkdtempSync(path.join(tmpdir(), 'simulate-home-'));
    fs.mkdirSync(path.join(home, '.ssh'));
    fs.writeFileSync(path.join(home, '.ssh', 'known_hosts'), `${bed.addr} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOnotTheServersKey\n`);
    const spoofed = await simulate(['down', '--docker-host', bed.dockerHost, '--ssh-key', bed.sshKey], { env: { HOME: home } });
    fs.rmSync(home, { recursive: true, force: true });
    expect(spoofed.code).toBe(3);
    expect(oneLine(spoofed.stderr)).toMatch(/ssh: the server's host key differs from the one .*known_hosts lists for 10\./);
    const noKey = await simulate(['down', '--docker-host', bed.dockerHost, '--ssh-key', `${bed.sshKey}.pub`]);
    expect(noKey.code).toBe(2);
    expect(oneLine(noKey.stderr)).toMatch(/--ssh-key: .*id_ed25519\.pub is not a private key/);
  }, 60_000);

  it('copies the local images there once (one gzip\'d layer), then only tags them', async () => {
    // A fresh server: whatever an earlier use of the test bed loaded goes first.
    for (const img of await look.listImages()) await look.getImage(img.Id).remove({ force: true });
    const first = await simulate(['setup', '--driver', 'docker', '--docker-host', bed.dockerHost, '--ssh-key', bed.sshKey], { timeoutMs: 600_000 });
    expect(first.code, first.stderr).toBe(0);
    const copy = JSON.parse(first.stdout.trim().split('\n').pop()!).copy;
    expect(copy.sent).toBe(true);
    expect(copy.sentBytes).toBeGreaterThan(10 * 1024 ** 2);
    // gzip -1 of a Debian root file system: well under the tar's size.
    expect(copy.sentBytes).toBeLessThan(copy.tarBytes * 0.6);
    const inspected = await look.getImage(roleImage('postgres')).inspect();
    expect(inspected.Id).toBe(copy.imageId);
    const second = await simulate(['setup', '--driver', 'docker', '--docker-host', bed.dockerHost, '--ssh-key', bed.sshKey], { timeoutMs: 300_000 });
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout.trim().split('\n').pop()!).copy).toMatchObject({ sent: false, sentBytes: 0 });
  }, 900_000);

  it('`simulate down --docker-host` removes what a dead run of ours left there, and leaves another machine\'s run alone', async () => {
    const dead = '20250101-000000-dead';
    const foreign = '20250101-000000-f0e1';
    const make = (runId: string, owner: string) =>
      look.createContainer({ Image: roleImage('app'), Cmd: ['sleep', '600'], Labels: { 'simulate.run': runId, 'simulate.owner': owner, 'simulate.service': 'app', 'simulate.role': 'service' }, HostConfig: { NetworkMode: 'host' } });
    const ours = await make(dead, hostname());
    await ours.start();
    const theirs = await make(foreign, 'another-machine');
    await look.createVolume({ Name: `simulate-${dead}-pgdata`, Labels: { 'simulate.run': dead, 'simulate.owner': hostname() } });
    try {
      const r = await simulate(['down', '--docker-host', bed.dockerHost, '--ssh-key', bed.sshKey]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`removed 1 container(s) and 1 volume(s) of run(s) ${dead} on ${bed.dockerHost}`);
      expect(r.stdout).toContain(`left alone on ${bed.dockerHost}: run(s) ${foreign} started from another machine`);
      const left = await look.listContainers({ all: true, filters: { label: ['simulate.run'] } });
      expect(left.map((c) => c.Labels['simulate.run'])).toEqual([foreign]);
      expect((await look.listVolumes({ filters: { label: ['simulate.run'] } })).Volumes ?? []).toEqual([]);
    } finally {
      await theirs.remove({ force: true });
    }
  }, 120_000);

  it('runs the 4gb profile there with the load from here (the default): judged, the load carried by ssh, nothing left there', async () => {
    // What users see: this machine's engine, through the ssh forward to the app's port on the server.
    // 8 s of load (the short scenario scaled: 2 s warm-up, 6 s judged; about 2,500 requests, over 100 acknowledged
    // writes) is plenty for what is checked here; the --load-from remote run below keeps 20 s for its per-second rows.
    const r = await simulate(['--profile', '4gb', '--driver', 'docker', '--docker-host', bed.dockerHost, '--ssh-key', bed.sshKey, '--data', 'none', '--scenario', 'test/fixtures/scenarios/steady-300-short.yaml', '--duration', '8', '--no-tui', '--out', out], { timeoutMs: 420_000 });
    expect([0, 1], r.stderr.slice(-2000)).toContain(r.code);
    const dir = lastRunDir();
    const run = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
    expect(run.dockerHost).toMatchObject({ url: bed.dockerHost });
    expect(run.loadFrom).toMatch(/^here: this machine's 127\.0\.0\.1:\d+, carried by ssh to 127\.0\.0\.1:8000 on ssh:\/\//);
    expect(run.remoteLoad).toBeUndefined();
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
    expect(report.verdict.targets.filter((t: { measured: unknown }) => t.measured !== null).length).toBeGreaterThan(3);
    expect(report.verdict.writes.acknowledged).toBeGreaterThan(10);
    expect(report.verdict.writes.lost).toBe(0);
    const total = readCsv(path.join(dir, 'summary.csv')).find((row) => row.Name === 'Aggregated')!;
    expect(Number(total['Request Count'])).toBeGreaterThan(100);
    expect(Number(total['Failure Count'])).toBeLessThan(Number(total['Request Count']) * 0.05);
    expect(await oursThere()).toEqual([]);
  }, 450_000);

  it('runs the 4gb profile there with --load-from remote: judged, run.json names the server, memory from the stats stream, the server\'s PSI, nothing left there', async () => {
    // The load engine runs in a container there: seen through the test's own look while the run goes.
    const running = simulate(['--profile', '4gb', '--driver', 'docker', '--docker-host', bed.dockerHost, '--ssh-key', bed.sshKey, '--load-from', 'remote', '--data', 'none', '--scenario', 'test/fixtures/scenarios/steady-300-short.yaml', '--no-tui', '--out', out], { timeoutMs: 420_000 });
    let loadSeen: Docker.ContainerInfo | undefined;
    let finished = false;
    void running.then(() => (finished = true));
    while (!finished && !loadSeen) {
      loadSeen = (await look.listContainers({ filters: { label: ['simulate.role=load'] } }))[0];
      if (!loadSeen) await new Promise((res) => setTimeout(res, 1000));
    }
    const r = await running;
    // Judged: 0 (targets met) or 1 (a target missed, named); not an error.
    expect([0, 1], r.stderr.slice(-2000)).toContain(r.code);
    const dir = lastRunDir();
    const run = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
    expect(run.driver).toBe('docker');
    expect(run.dockerHost).toMatchObject({ url: bed.dockerHost, cgroupDriver: 'cgroupfs' });
    expect(run.dockerHost.kernel).toBeTruthy();
    expect(['1', '2']).toContain(run.dockerHost.cgroupVersion);
    // No --cap: the server's memory is the cap.
    expect(run.dockerHost.memoryBytes).toBeGreaterThan(1024 ** 3);
    expect(run.capBytes).toBe(run.dockerHost.memoryBytes);
    expect(run.dockerHost.inUseByOthersAtStartBytes).toBeGreaterThan(0);
    // The load came from the server: our engine in a container there on the host network, against its loopback.
    expect(loadSeen, 'a load container running on the server during the run').toBeDefined();
    expect(loadSeen!.HostConfig.NetworkMode).toBe('host');
    expect(loadSeen!.Command).toContain('"baseUrl":"http://127.0.0.1:8000/"');
    expect(run.loadFrom).toMatch(/^remote: our load engine on ssh:\/\/root@10\.\d+\.\d+\.\d+, against 127\.0\.0\.1:8000 there/);
    // node and the bundled engine, gzip'd, sent once for the run.
    expect(run.remoteLoad.copiedBytes).toBeGreaterThan(10 * 1024 ** 2);
    // The server's PSI and kernel log, read by the helper container there.
    expect(run.dockerHost.watch.psi).toMatch(/once a second/);
    expect(run.dockerHost.watch.kernelLog).toMatch(/kmsg|not read: /);
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
    expect(report.verdict.targets.length).toBeGreaterThan(3);
    // The writes the app acknowledged to the engine there, looked up in the database afterwards.
    expect(report.verdict.writes.acknowledged).toBeGreaterThan(10);
    expect(report.verdict.writes.lost).toBe(0);
    // Requests went through the forward and were answered there.
    const summary = readCsv(path.join(dir, 'summary.csv'));
    const total = summary.find((row) => row.Name === 'Aggregated')!;
    expect(Number(total['Request Count'])).toBeGreaterThan(100);
    expect(Number(total['Failure Count'])).toBeLessThan(Number(total['Request Count']) * 0.05);
    // Each service's memory, read from the engine's stats stream (not this machine's cgroup files).
    const rows = readCsv(path.join(dir, 'timeseries.csv'));
    const appColumn = Object.keys(rows[0]!).find((k) => /^app_working_set_mb$/.test(k))!;
    expect(appColumn).toBeDefined();
    expect(Math.max(...rows.map((row) => Number(row[appColumn]) || 0))).toBeGreaterThan(10);
    expect(Math.max(...rows.map((row) => Number(row.stack_working_set_mb) || 0))).toBeGreaterThan(50);
    // The per-second windows streamed back: each judged second's completions, from the engine there.
    expect(rows.filter((row) => Number(row.rate_completed) > 0).length).toBeGreaterThan(10);
    // The server's PSI (a row a second, from its /proc/pressure/memory), not this machine's.
    expect(rows.filter((row) => row.psi_some_avg10 !== '' && row.psi_some_avg10 !== undefined).length).toBeGreaterThan(10);
    expect(await oursThere()).toEqual([]);
  }, 450_000);

  it('--cap caps a cgroup on the server through a helper container; an OOM kill there is seen and named', async () => {
    const r = await simulate(['--profile', 'test/fixtures/profiles/hog.yml', '--driver', 'docker', '--docker-host', bed.dockerHost, '--ssh-key', bed.sshKey, '--cap', '64m', '--no-load', '--duration', '10', '--no-tui', '--out', out], { timeoutMs: 240_000 });
    expect(r.code, r.stderr.slice(-2000)).toBe(1); // an OOM kill misses the targets
    const dir = lastRunDir();
    const run = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
    expect(run.capBytes).toBe(64 * 1024 ** 2);
    expect(run.dockerHost.cap).toMatch(/helper container \(--cap\)/);
    expect(run.cgroup).toBe(`/simulate/${run.runId}`);
    const kills = readCsv(path.join(dir, 'events.csv')).filter((e) => e.event === 'oom-kill');
    expect(kills).toHaveLength(1);
    expect(kills[0]!.service).toBe('hog');
    expect(kills[0]!.detail).toMatch(/engine: container [0-9a-f]{12} exit 137, OOM kill by/);
    // Named by the server's own kernel log (read by the helper container there): the process, its pid and cgroup.
    expect(run.dockerHost.watch.kernelLog).toMatch(/^the server's kernel log/);
    expect(kills[0]!.detail).toMatch(new RegExp(`OOM kill by kernel log; the server's kernel: Killed process \\d+ \\(python3\\) in /simulate/${run.runId}/[0-9a-f]{64}, anon-rss \\d+\\.\\d MB`));
    // The server's cgroup (this test bed shares this machine's /sys/fs/cgroup) is gone with the run.
    expect(fs.existsSync(`/sys/fs/cgroup/memory/simulate/${run.runId}`)).toBe(false);
    expect(await oursThere()).toEqual([]);
  }, 260_000);

  it('a dropped ssh connection ends a run (exit 3, its reason); it and a SIGKILLed run leave containers there; the next `simulate down --docker-host` removes them', async () => {
    const args = ['--profile', 'test/fixtures/profiles/pg-redis.yml', '--driver', 'docker', '--docker-host', bed.dockerHost, '--ssh-key', bed.sshKey, '--no-load', '--duration', '300', '--no-tui', '--out', out];
    const servicesRunning = async (n: number) => {
      const deadline = Date.now() + 180_000;
      let running = 0;
      while (Date.now() < deadline && running < n) {
        running = (await look.listContainers({ filters: { label: ['simulate.role=service'] } })).length;
        if (running < n) await new Promise((r) => setTimeout(r, 1000));
      }
      return running;
    };
    // 1. The link drops mid-run: sshd and its sessions are killed there, and new connections are refused.
    const before = new Set(fs.readdirSync(out));
    const dropped = simulate(args, { timeoutMs: 240_000 });
    expect(await servicesRunning(2), 'both services running on the server before the drop').toBe(2);
    // Mid-run: both services ready (on the run's timeline), the run watching.
    const deadline = Date.now() + 60_000;
    const readyCount = () => {
      const dir = fs.readdirSync(out).find((d) => !before.has(d));
      const events = dir && fs.existsSync(path.join(out, dir, 'events.csv')) ? readCsv(path.join(out, dir, 'events.csv')) : [];
      return events.filter((e) => e.event === 'service-ready').length;
    };
    while (readyCount() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    expect(readyCount()).toBe(2);
    remoteEngineDrop();
    const d = await dropped;
    expect(d.code, d.stderr.slice(-2000)).toBe(3);
    const reason = d.stderr.trim().split('\n').pop()!;
    expect(reason).toMatch(/the ssh connection to ssh:\/\/root@10\.\d+\.\d+\.\d+ closed with \d+ channel\(s\) open: the run ended at second \d+ .*simulate down --docker-host ssh:\/\//);
    // The server could not be reached to tidy up: what the run left is still there.
    expect((await oursThere()).length).toBeGreaterThanOrEqual(2);
    bed = remoteEngineUp(); // sshd again
    const down = (runs: string) => simulate(['down', '--docker-host', bed.dockerHost, '--ssh-key', bed.sshKey]).then((r) => {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`removed [2-9] container\\(s\\) and \\d+ volume\\(s\\) of run\\(s\\) ${runs} on ssh://`));
    });
    const droppedRun = /\/(\d{8}-\d{6}-[0-9a-f]{4})\)/.exec(reason)?.[1];
    expect(droppedRun, reason).toBeDefined();
    await down(droppedRun!);
    expect(await oursThere()).toEqual([]);
    // 2. A run killed with SIGKILL: nothing of it tidies up; the next `simulate down` does.
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: 'ignore' });
    try {
      expect(await servicesRunning(2), 'both services running on the server before the kill').toBe(2);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    expect((await oursThere()).length).toBeGreaterThanOrEqual(2);
    await down('\\d{8}-\\d{6}-[0-9a-f]{4}');
    expect(await oursThere()).toEqual([]);
  }, 420_000);
});
