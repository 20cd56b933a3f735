import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listProfiles, loadProfile, parseProfile } from './load-profile.ts';
import { inputError } from '../../test/helpers/input-error.ts';

const FIXTURES = path.resolve(import.meta.dirname, '..', '..', 'test', 'fixtures', 'profiles');
const GiB = 1024 ** 3;

describe('the shipped profiles', () => {
  it('lists 4gb and full-elk', () => {
    expect(listProfiles()).toEqual(expect.arrayContaining(['4gb', 'full-elk']));
  });

  it('4gb: the seed stack under a 4 GiB cap, with the seed settings and targets', () => {
    const s = loadProfile('4gb', { workDir: '/w' });
    expect(s.capBytes).toBe(4 * GiB);
    expect(s.cpus).toBe(2);
    expect(s.targets).toMatchObject({ avgLatencyMs: 60, minRps: 300, p99Ms: 1000, maxOomKills: 0, minCacheHitRate: 0.5 });
    const names = s.services.map((x) => x.name);
    expect(names).toEqual(expect.arrayContaining(['postgres', 'redis', 'app', 'prometheus', 'alertmanager', 'grafana']));
    // depends_on order: the app after its database and cache; prometheus after the app.
    expect(names.indexOf('app')).toBeGreaterThan(names.indexOf('postgres'));
    expect(names.indexOf('app')).toBeGreaterThan(names.indexOf('redis'));
    expect(names.indexOf('prometheus')).toBeGreaterThan(names.indexOf('app'));
    const pg = s.services.find((x) => x.name === 'postgres')!;
    expect(pg.launch!.argv).toEqual(expect.arrayContaining(['shared_buffers=256MB', 'effective_cache_size=1GB', 'work_mem=8MB', 'maintenance_work_mem=64MB']));
    expect(pg.launch!.user).toBe('postgres');
    const redis = s.services.find((x) => x.name === 'redis')!;
    expect(redis.launch!.argv.join(' ')).toContain('--appendonly yes --maxmemory 256mb --maxmemory-policy allkeys-lru --save 900 1 --save 300 10 --save 60 10000');
    const prom = s.services.find((x) => x.name === 'prometheus')!;
    expect(prom.launch!.argv).toContain('--storage.tsdb.retention.time=7d');
    // The container path of the config resolves to the profile's own file.
    expect(prom.launch!.argv).toContain(`--config.file=${path.resolve(FIXTURES, '..', '..', '..', 'docker', 'prometheus', 'prometheus.yml')}`);
    expect(s.services.find((x) => x.name === 'grafana')!.kind).toBe('standin');
  });

  it('full-elk: Redis 512 MB and the ELK services as stand-ins', () => {
    const s = loadProfile('full-elk', { workDir: '/w' });
    expect(s.services.find((x) => x.name === 'redis')!.launch!.argv).toContain('512mb');
    for (const name of ['elasticsearch', 'logstash', 'kibana', 'grafana']) {
      expect(s.services.find((x) => x.name === name)!.kind).toBe('standin');
    }
    expect(s.services.find((x) => x.name === 'app')!.environment.LOG_SHIP_URL).toBe('http://127.0.0.1:18080/');
  });
});

describe("a team's own Compose file", () => {
  it('runs well-known images from command, environment, ports and volumes alone, under any service names', () => {
    const s = loadProfile(path.join(FIXTURES, 'pg-redis.yml'), { workDir: '/w' });
    const db = s.services.find((x) => x.name === 'db')!;
    expect(db.launch!.argv).toEqual(expect.arrayContaining(['-p', '15532', 'shared_buffers=32MB', 'listen_addresses=127.0.0.1']));
    expect(db.launch!.argv).toContain('/w/volumes/dbdata/pgdata');
    expect(db.launch!.init[0].argv.join(' ')).toContain("--username='team'");
    expect(db.launch!.afterReady[0].argv.join(' ')).toContain('CREATE DATABASE "teamdb"');
    const cache = s.services.find((x) => x.name === 'cache')!;
    expect(cache.launch!.argv).toEqual(expect.arrayContaining(['--port', '16479', '--maxmemory', '32mb']));
    expect(s.capBytes).toBe(512 * 1024 ** 2);
  });

  it('reports a service it cannot run as unavailable, with the reason, rather than dropping it', () => {
    const s = parseProfile('services:\n  web:\n    image: nginx:1.25\n    ports: ["8080:80"]\n', '/x/compose.yml');
    expect(s.services[0].launch).toBeUndefined();
    expect(s.services[0].unavailableReason).toMatch(/no native program for image nginx:1.25.*x-simulate.process/);
  });

  it('--cap, --swap and --cpus override the profile', () => {
    const s = loadProfile('4gb', { workDir: '/w', cap: '3.5GiB', swap: '1g', cpus: 1 });
    expect(s.capBytes).toBe(3.5 * GiB);
    expect(s.swapBytes).toBe(GiB);
    expect(s.cpus).toBe(1);
  });
});

describe('the seed\'s tiers', () => {
  it('2gb is 4gb sized down: no Grafana, PostgreSQL and Redis halved, ¥200', () => {
    const s = loadProfile('2gb', { workDir: '/w' });
    expect(s.capBytes).toBe(2 * 1024 ** 3);
    expect(s.services.map((x) => x.name)).not.toContain('grafana');
    expect(s.services.find((x) => x.name === 'postgres')!.command!.join(' ')).toContain('shared_buffers=128MB');
    expect(s.services.find((x) => x.name === 'redis')!.command!.join(' ')).toContain('--maxmemory 128mb');
    expect(s.cost).toMatchObject({ monthly: 200, currency: 'CNY' });
  });

  it('8gb is the full deployment under 8 GB with the seed\'s 8 GB column, ¥800; 4gb costs ¥400', () => {
    const s = loadProfile('8gb', { workDir: '/w' });
    expect(s.capBytes).toBe(8 * 1024 ** 3);
    expect(s.services.map((x) => x.name)).toEqual(expect.arrayContaining(['elasticsearch', 'logstash', 'kibana', 'grafana']));
    expect(s.services.find((x) => x.name === 'redis')!.command!.join(' ')).toContain('--maxmemory 512mb');
    expect(s.targets).toMatchObject({ avgLatencyMs: 40, minRps: 500, p99Ms: 500, minCacheHitRate: 0.7 });
    expect(s.cost).toMatchObject({ monthly: 800, currency: 'CNY' });
    expect(loadProfile('4gb', { workDir: '/w' }).cost).toMatchObject({ monthly: 400, currency: 'CNY' });
  });
});

describe('bad profiles', () => {
  it('an unknown profile names the known ones', () => {
    const e = inputError(() => loadProfile('16gb'));
    expect(e.message).toBe('unknown profile "16gb"');
    expect(e.hint).toContain('4gb');
  });

  it('malformed YAML names the line', () => {
    expect(inputError(() => loadProfile(path.join(FIXTURES, 'malformed.yml'))).message).toMatch(/malformed\.yml:\d+:\d+: malformed YAML/);
  });

  it('wrong types and values give one path: message line each', () => {
    const msg = inputError(() => loadProfile(path.join(FIXTURES, 'broken-types.yml'))).message;
    expect(msg).toContain('x-simulate.targets.p99_ms:');
    expect(msg).toContain('services.db.restart:');
    const second = inputError(() =>
      parseProfile('x-simulate:\n  cap: 4gx\nservices:\n  db:\n    image: postgres\n    ports: ["x:y"]\n    depends_on: [nowhere]\n', '/p.yml'),
    ).message;
    expect(second).toContain('x-simulate.cap: "4gx" is not a size');
    expect(second).toContain('services.db.ports.0: "x:y" is not a port mapping');
    expect(second).toContain('services.db.depends_on: unknown service "nowhere"');
  });

  it('a depends_on cycle is an error', () => {
    const msg = inputError(() => parseProfile('services:\n  a:\n    image: redis\n    depends_on: [b]\n  b:\n    image: redis\n    ports: ["1:6379"]\n    depends_on: [a]\n', '/p.yml')).message;
    expect(msg).toMatch(/cycle/);
  });

  it('a bad --cap is named as the flag', () => {
    expect(inputError(() => loadProfile('4gb', { cap: '4gx' })).message).toBe('--cap: "4gx" is not a size (use e.g. 4g, 3.5GiB, 512m, 256mb)');
  });
});
