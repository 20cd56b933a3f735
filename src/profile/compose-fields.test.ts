import { afterEach, describe, expect, it, vi } from 'vitest';
import type { VolumeMount } from './stack.ts';
import { imageRepo, mapContainerPath, normaliseCommand, normaliseEnvironment, parsePort, parseVolume } from './compose-fields.ts';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('parsePort', () => {
  it('reads the short forms, binding to loopback unless a host IP is given', () => {
    expect(parsePort('55432:5432')).toEqual({ host: 55432, container: 5432, hostIp: '127.0.0.1' });
    expect(parsePort('127.0.0.1:55432:5432')).toEqual({ host: 55432, container: 5432, hostIp: '127.0.0.1' });
    expect(parsePort('0.0.0.0:8080:80')).toEqual({ host: 8080, container: 80, hostIp: '0.0.0.0' });
    expect(parsePort(5432)).toEqual({ host: 5432, container: 5432, hostIp: '127.0.0.1' });
    expect(parsePort('6379')).toEqual({ host: 6379, container: 6379, hostIp: '127.0.0.1' });
  });

  it('drops a protocol suffix', () => {
    expect(parsePort('55432:5432/tcp')).toEqual({ host: 55432, container: 5432, hostIp: '127.0.0.1' });
    expect(parsePort('5353:53/udp')).toEqual({ host: 5353, container: 53, hostIp: '127.0.0.1' });
  });

  it('reads the long form', () => {
    expect(parsePort({ target: 5432, published: '55432' })).toEqual({ host: 55432, container: 5432, hostIp: '127.0.0.1' });
    expect(parsePort({ target: 5432, published: 55432, host_ip: '127.0.0.2' })).toEqual({ host: 55432, container: 5432, hostIp: '127.0.0.2' });
    expect(parsePort({ target: 9090 })).toEqual({ host: 9090, container: 9090, hostIp: '127.0.0.1' });
    expect(parsePort({ target: 9090, published: '9000-9001' })).toHaveProperty('error');
  });

  it('rejects what is not a port mapping, naming it', () => {
    for (const bad of ['x:y', '1:2:3:4', '0:5432', '70000:80', ':5432', '8000-8001:8000-8001']) {
      const r = parsePort(bad);
      expect(r, bad).toHaveProperty('error');
      expect((r as { error: string }).error, bad).toContain(`"${bad}"`);
    }
  });
});

describe('parseVolume', () => {
  const dir = '/srv/compose';
  const work = '/var/tmp/simulate/run-1';

  it('resolves a relative bind mount against the Compose file directory', () => {
    expect(parseVolume('./prometheus:/etc/prometheus:ro', dir, work)).toEqual({
      type: 'bind',
      source: '/srv/compose/prometheus',
      target: '/etc/prometheus',
      readOnly: true,
    });
    expect(parseVolume('../data:/data', dir, work)).toEqual({ type: 'bind', source: '/srv/data', target: '/data', readOnly: false });
    expect(parseVolume('/abs/path:/x:rw', dir, work)).toEqual({ type: 'bind', source: '/abs/path', target: '/x', readOnly: false });
    expect(parseVolume('./a:/b:z,ro', dir, work)).toMatchObject({ readOnly: true });
  });

  it('expands ~ to the home directory', () => {
    vi.stubEnv('HOME', '/home/someone');
    expect(parseVolume('~/conf:/conf', dir, work)).toMatchObject({ type: 'bind', source: '/home/someone/conf' });
  });

  it('puts a named volume under the work dir', () => {
    expect(parseVolume('pgdata:/var/lib/postgresql/data', dir, work)).toEqual({
      type: 'volume',
      source: '/var/tmp/simulate/run-1/volumes/pgdata',
      target: '/var/lib/postgresql/data',
      readOnly: false,
    });
  });

  it('gives an anonymous volume its own directory under the work dir', () => {
    const r = parseVolume('/var/lib/grafana', dir, work);
    expect(r).toMatchObject({ type: 'volume', target: '/var/lib/grafana', readOnly: false });
    expect((r as VolumeMount).source.startsWith('/var/tmp/simulate/run-1/volumes/')).toBe(true);
    // Two anonymous volumes do not share a directory.
    expect((parseVolume('/other', dir, work) as VolumeMount).source).not.toBe((r as VolumeMount).source);
  });

  it('reads the long form', () => {
    expect(parseVolume({ type: 'bind', source: './x', target: '/y', read_only: true }, dir, work)).toEqual({
      type: 'bind',
      source: '/srv/compose/x',
      target: '/y',
      readOnly: true,
    });
    expect(parseVolume({ type: 'volume', source: 'named', target: '/n' }, dir, work)).toMatchObject({
      type: 'volume',
      source: '/var/tmp/simulate/run-1/volumes/named',
    });
    expect(parseVolume({ type: 'tmpfs', target: '/tmp' }, dir, work)).toMatchObject({ type: 'volume', target: '/tmp' });
  });

  it('rejects a target that is not an absolute path', () => {
    expect(parseVolume('./x:relative', dir, work)).toHaveProperty('error');
    expect(parseVolume({ source: './x', target: 'rel' }, dir, work)).toHaveProperty('error');
    expect(parseVolume('relative-anonymous', dir, work)).toHaveProperty('error');
  });
});

describe('normaliseCommand', () => {
  it('keeps a list and absent commands as they are', () => {
    expect(normaliseCommand(undefined)).toBeUndefined();
    expect(normaliseCommand(['--config.file=/etc/x.yml', 'a b'])).toEqual(['--config.file=/etc/x.yml', 'a b']);
  });

  it('splits a folded string on any white space', () => {
    // What YAML makes of `command: >-` over several lines, and of a more-indented line (kept newline).
    expect(normaliseCommand('postgres -c shared_buffers=256MB\n-c effective_cache_size=1GB\n')).toEqual([
      'postgres',
      '-c',
      'shared_buffers=256MB',
      '-c',
      'effective_cache_size=1GB',
    ]);
  });

  it('keeps quoted text as one argument, without its quotes', () => {
    expect(normaliseCommand(`sh -c "echo 'hi there' && sleep 1"`)).toEqual(['sh', '-c', "echo 'hi there' && sleep 1"]);
    expect(normaliseCommand(`sh -c 'echo "x y"'`)).toEqual(['sh', '-c', 'echo "x y"']);
    expect(normaliseCommand('redis-server --save "" --appendonly no')).toEqual(['redis-server', '--save', '', '--appendonly', 'no']);
    expect(normaliseCommand('echo "say \\"hi\\""')).toEqual(['echo', 'say "hi"']);
  });

  it('joins quoted and unquoted parts of one word, as a shell does', () => {
    expect(normaliseCommand('prog --label="a b" --x=1')).toEqual(['prog', '--label=a b', '--x=1']);
    expect(normaliseCommand(`prog -c'x y'z`)).toEqual(['prog', '-cx yz']);
  });

  it('keeps a lone quote rather than losing text', () => {
    expect(normaliseCommand("echo it's")).toEqual(['echo', "it's"]);
  });
});

describe('normaliseEnvironment', () => {
  it('reads the map form, turning values into strings', () => {
    expect(normaliseEnvironment({ A: 'x', B: 2, C: true, D: false })).toEqual({ A: 'x', B: '2', C: 'true', D: 'false' });
    expect(normaliseEnvironment(undefined)).toEqual({});
  });

  it('reads the list form, splitting at the first =', () => {
    expect(normaliseEnvironment(['A=1', 'URL=postgres://u:p@h/db?x=y', 'EMPTY='])).toEqual({
      A: '1',
      URL: 'postgres://u:p@h/db?x=y',
      EMPTY: '',
    });
  });

  it('takes a value-less variable from the environment, in either form', () => {
    vi.stubEnv('SIMULATE_TEST_FROM_SHELL', 'from-shell');
    vi.stubEnv('SIMULATE_TEST_UNSET', undefined);
    expect(normaliseEnvironment(['SIMULATE_TEST_FROM_SHELL', 'SIMULATE_TEST_UNSET'])).toEqual({
      SIMULATE_TEST_FROM_SHELL: 'from-shell',
      SIMULATE_TEST_UNSET: '',
    });
    expect(normaliseEnvironment({ SIMULATE_TEST_FROM_SHELL: null, SIMULATE_TEST_UNSET: null })).toEqual({
      SIMULATE_TEST_FROM_SHELL: 'from-shell',
      SIMULATE_TEST_UNSET: '',
    });
  });
});

describe('mapContainerPath', () => {
  const mounts: VolumeMount[] = [
    { type: 'volume', source: '/work/volumes/prom', target: '/prometheus', readOnly: false },
    { type: 'bind', source: '/srv/compose/prometheus', target: '/etc/prometheus', readOnly: true },
    { type: 'bind', source: '/srv/etc', target: '/etc', readOnly: true },
  ];

  it('points a container path at its mounted host path', () => {
    expect(mapContainerPath('--storage.tsdb.path=/prometheus', mounts)).toBe('--storage.tsdb.path=/work/volumes/prom');
    expect(mapContainerPath('/prometheus/wal', mounts)).toBe('/work/volumes/prom/wal');
  });

  it('uses the longest mount that contains the path', () => {
    expect(mapContainerPath('--config.file=/etc/prometheus/prometheus.yml', mounts)).toBe('--config.file=/srv/compose/prometheus/prometheus.yml');
    expect(mapContainerPath('--x=/etc/hosts', mounts)).toBe('--x=/srv/etc/hosts');
  });

  it('rewrites only at path boundaries', () => {
    expect(mapContainerPath('--storage.tsdb.path=/prometheus-data', mounts)).toBe('--storage.tsdb.path=/prometheus-data');
    expect(mapContainerPath('/etcetera/x', mounts)).toBe('/etcetera/x');
    expect(mapContainerPath('--path=/var/prometheus', mounts)).toBe('--path=/var/prometheus');
    expect(mapContainerPath('--retention=7d', mounts)).toBe('--retention=7d');
  });

  it('copies a host path literally, even one with $ in it', () => {
    const odd: VolumeMount[] = [{ type: 'volume', source: '/tmp/a$&b$1', target: '/data', readOnly: false }];
    expect(mapContainerPath('--dir=/data/x', odd)).toBe('--dir=/tmp/a$&b$1/x');
  });
});

describe('imageRepo', () => {
  it.each([
    ['postgres:15-alpine', 'postgres'],
    ['postgres', 'postgres'],
    ['docker.io/library/redis:7', 'redis'],
    ['library/redis', 'redis'],
    ['prom/prometheus:latest', 'prom/prometheus'],
    ['prom/prometheus', 'prom/prometheus'],
    ['localhost:5000/x/y:1', 'x/y'],
    ['localhost/x', 'x'],
    ['ghcr.io/org/app:2.1', 'org/app'],
    ['image@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'image'],
    ['redis:7@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'redis'],
  ])('%s → %s', (image, repo) => {
    expect(imageRepo(image)).toBe(repo);
  });
});
