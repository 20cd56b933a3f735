import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../profile/stack.ts';
import { parseDeb822Sources, parseOneLineSources, pickMirror } from './apt-mirror.ts';
import { containerOptions, guardedArgv, planMounts, runVolumeName } from './container-options.ts';
import { portsOf } from './docker-driver.ts';
import { roleFor, substitutionNote } from './local-images.ts';

const launch = { argv: ['/usr/bin/redis-server', '--port', '56379'], env: { A: '1' }, user: 'redis', init: [], afterReady: [], dataDirs: [], ready: { kind: 'tcp' as const, host: '127.0.0.1', port: 56379 }, readyTimeoutMs: 1000 };
const spec: ServiceSpec = { name: 'redis', image: 'redis:7-alpine', kind: 'real', dependsOn: [], restart: 'on-failure', memLimit: 100.6 * 1024 * 1024, ports: [{ host: 56379, container: 6379, hostIp: '127.0.0.1' }], environment: {}, volumes: [], launch };

describe('container options', () => {
  it('runs the launch unchanged under the parent cgroup, host network, labelled, integer memory', () => {
    const o = containerOptions({ runId: 'r1', spec, command: launch, image: 'simulate/redis:x', cgroupParent: '/simulate/r1', mounts: [], role: 'service' });
    expect(o.Cmd).toEqual(launch.argv);
    expect(o.Env).toEqual(['PYTHONUNBUFFERED=1', 'A=1']);
    expect(o.User).toBe('redis');
    expect(o.Labels).toEqual({ 'simulate.run': 'r1', 'simulate.service': 'redis', 'simulate.role': 'service', 'simulate.owner': hostname() });
    expect(o.HostConfig?.CgroupParent).toBe('/simulate/r1');
    expect(o.HostConfig?.NetworkMode).toBe('host');
    expect(o.HostConfig?.RestartPolicy).toEqual({ Name: 'on-failure' });
    expect(Number.isInteger(o.HostConfig?.Memory)).toBe(true);
  });

  it('gives one-shot containers no restart policy and no memory limit', () => {
    const o = containerOptions({ runId: 'r1', spec, command: launch, image: 'i', cgroupParent: '/p', mounts: [], role: 'oneshot' });
    expect(o.HostConfig?.RestartPolicy).toEqual({ Name: 'no' });
    expect(o.HostConfig?.Memory).toBeUndefined();
  });

  it('mounts host paths at the same path, named volumes as per-run volumes, without duplicates', () => {
    const plan = planMounts({
      runId: 'r1',
      workDir: '/w/run/work',
      readOnlyDirs: ['/repo/docker', '/repo/docker', '/w/run/work/cfg'],
      volumes: [
        { type: 'volume', source: '/w/run/work/volumes/pgdata', target: '/var/lib/postgresql/data', readOnly: false },
        { type: 'bind', source: '/repo/docker/prometheus/prometheus.yml', target: '/etc/prometheus/prometheus.yml', readOnly: true },
      ],
    });
    expect(plan).toEqual([
      { type: 'bind', source: '/w/run/work', target: '/w/run/work', readOnly: false },
      { type: 'bind', source: '/repo/docker', target: '/repo/docker', readOnly: true },
      { type: 'volume', source: runVolumeName('r1', '/w/run/work/volumes/pgdata'), target: '/w/run/work/volumes/pgdata', readOnly: false },
      { type: 'bind', source: '/repo/docker/prometheus/prometheus.yml', target: '/repo/docker/prometheus/prometheus.yml', readOnly: true },
    ]);
    expect(runVolumeName('r1', '/a/pgdata')).toMatch(/^simulate-r1-pgdata-[0-9a-f]{8}$/);
  });

  it('bind-mounts a named volume the run filled already (a kept dataset), so the container starts from it', () => {
    const volumes = [
      { type: 'volume' as const, source: '/w/run/work/volumes/pgdata', target: '/var/lib/postgresql/data', readOnly: false },
      { type: 'volume' as const, source: '/w/run/work/volumes/redis-data', target: '/data', readOnly: false },
    ];
    const plan = planMounts({ runId: 'r1', workDir: '/w/run/work', readOnlyDirs: [], volumes, filled: ['/w/run/work/volumes/pgdata'] });
    expect(plan).toContainEqual({ type: 'bind', source: '/w/run/work/volumes/pgdata', target: '/w/run/work/volumes/pgdata', readOnly: false });
    expect(plan).toContainEqual({ type: 'volume', source: runVolumeName('r1', '/w/run/work/volumes/redis-data'), target: '/w/run/work/volumes/redis-data', readOnly: false });
  });

  it('guards init commands with unless and marker, passing paths as arguments', () => {
    expect(guardedArgv({ argv: ['x'], env: {} })).toEqual(['x']);
    const g = guardedArgv({ argv: ['initdb', "it's"], env: {}, unless: '/d/PG_VERSION' });
    expect(g.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(g.slice(3)).toEqual(['sh', '/d/PG_VERSION', '', 'initdb', "it's"]);
  });

  it('knows which ports a service will take', () => {
    expect(portsOf(spec, { ...launch, ready: { kind: 'http', url: 'http://127.0.0.1:9090/-/ready' } })).toEqual([
      { host: '127.0.0.1', port: 56379 },
      { host: '127.0.0.1', port: 9090 },
    ]);
  });
});

describe('image roles', () => {
  it('maps official images, the app and stand-ins to local roles', () => {
    expect(roleFor(spec, {})).toBe('redis');
    expect(roleFor({ ...spec, image: 'docker.io/library/postgres:15' }, {})).toBe('postgres');
    expect(roleFor({ ...spec, image: 'prom/alertmanager:latest' }, {})).toBe('alertmanager');
    expect(roleFor({ ...spec, name: 'app', image: 'simulate/app' }, { appService: 'app' })).toBe('app');
    expect(roleFor({ ...spec, kind: 'standin', image: 'grafana/grafana' }, {})).toBe('standin');
    expect(roleFor({ ...spec, image: 'nginx', launch: undefined }, {})).toBeUndefined();
  });

  it('says when a local image replaces the profile image', () => {
    expect(substitutionNote(spec, 'simulate/redis')).toBe('substituted local image simulate/redis for redis:7-alpine (no registry)');
    expect(substitutionNote({ ...spec, image: 'simulate/app' }, 'simulate/app')).toMatch(/^using local image simulate\/app/);
  });
});

describe('apt mirror', () => {
  it('reads deb822 and one-line sources and picks the suite itself with main', () => {
    const deb822 = parseDeb822Sources(
      'Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\n',
    );
    const oneLine = parseOneLineSources('# c\ndeb [arch=amd64] http://other/debian bookworm main contrib\ndeb-src http://x bookworm main\n');
    expect(pickMirror(deb822, 'bookworm')).toBe('http://mirror.example/debian');
    expect(pickMirror(oneLine, 'bookworm')).toBe('http://other/debian');
    expect(pickMirror(deb822, 'trixie')).toBeUndefined();
  });
});
