/**
 * `--docker-host ssh://…` against a second Docker engine that this machine reaches only over ssh
 * (test/tools/remote-engine.sh: a network namespace with sshd and a dockerd of its own). The tool talks
 * to it through ssh alone; the test looks at it through its socket file to check what is (not) there.
 * Runs under the heavy lock (it starts a daemon and copies an image). Everything it makes, it removes.
 */
import { hostname } from 'node:os';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteEngineDown, remoteEngineUnavailable, remoteEngineUp, testBedLeftovers, type RemoteEngine } from './helpers/remote-engine.ts';
import { simulate } from './helpers/stack.ts';
import { chooseEngine, closeEngines } from '../src/drivers/docker/engine-info.ts';
import { parseDockerHost } from '../src/drivers/docker/docker-host.ts';
import { connectEngine, requireEngine, sshDialer } from '../src/drivers/docker/engine.ts';
import { roleImage } from '../src/drivers/docker/local-images.ts';

const why = remoteEngineUnavailable();
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
    const noKey = await simulate(['down', '--docker-host', bed.dockerHost, '--ssh-key', `${bed.sshKey}.pub`]);
    expect(noKey.code).toBe(2);
    expect(oneLine(noKey.stderr)).toMatch(/--ssh-key: .*id_ed25519\.pub is not a private key/);
  }, 60_000);

  it('copies the local images there once (one gzip\'d layer), then only tags them', async () => {
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
});
