import { describe, expect, it } from 'vitest';
import { loadProfile, parseProfile } from './load-profile.ts';
import { parseOverride } from './overrides.ts';
import { inputError } from '../../test/helpers/input-error.ts';

describe('--set SERVICE.PATH=VALUE', () => {
  it('reads the value as YAML would', () => {
    expect(parseOverride('app.environment.CACHE_ENABLED=false')).toMatchObject({ service: 'app', path: ['environment', 'CACHE_ENABLED'], value: false });
    expect(parseOverride('redis.command=redis-server --maxmemory 128mb')).toMatchObject({ service: 'redis', path: ['command'], value: 'redis-server --maxmemory 128mb' });
    expect(parseOverride('x-simulate.cpus=1.5').value).toBe(1.5);
    expect(parseOverride('a.b=x=y').value).toBe('x=y');
  });

  it('changes the field it names and records every override', () => {
    const s = loadProfile('4gb', {
      workDir: '/w',
      overrides: ['app.environment.CACHE_ENABLED=false', 'redis.command=redis-server --maxmemory 64mb', 'x-simulate.cap=3g'],
    });
    const app = s.services.find((x) => x.name === 'app')!;
    expect(app.environment.CACHE_ENABLED).toBe('false');
    expect(app.launch!.env.CACHE_ENABLED).toBe('false');
    expect(s.services.find((x) => x.name === 'redis')!.launch!.argv.join(' ')).toContain('--maxmemory 64mb');
    expect(s.capBytes).toBe(3 * 1024 ** 3);
    expect(s.overrides).toEqual(['app.environment.CACHE_ENABLED=false', 'redis.command=redis-server --maxmemory 64mb', 'x-simulate.cap=3g']);
  });

  it('x-simulate.enabled=false leaves a service out, and those that depended on it start without it', () => {
    const s = loadProfile('4gb', { workDir: '/w', overrides: ['grafana.x-simulate.enabled=false', 'prometheus.x-simulate.enabled=false'] });
    expect(s.services.map((x) => x.name)).not.toContain('grafana');
    expect(s.services.map((x) => x.name)).not.toContain('prometheus');
    expect(s.disabled).toEqual(['prometheus', 'grafana']);
  });

  it('an unknown service, an unknown field or a wrong type is one input error naming the override', () => {
    expect(inputError(() => loadProfile('4gb', { overrides: ['nosuch.image=x'] })).message).toMatch(/--set nosuch\.image=x: .* has no service "nosuch"/);
    expect(inputError(() => loadProfile('4gb', { overrides: ['app.enviroment.X=1'] })).message).toMatch(/unknown field "enviroment" of service app/);
    expect(inputError(() => loadProfile('4gb', { overrides: ['app.x-simulate.budgt=1g'] })).message).toMatch(/unknown field "x-simulate\.budgt"/);
    expect(inputError(() => loadProfile('4gb', { overrides: ['app.restart=sometimes'] })).message).toMatch(/^--set: services\.app\.restart: .*\(from --set app\.restart=sometimes\)$/);
    expect(inputError(() => loadProfile('4gb', { overrides: ['x-simulate.cpus=lots'] })).message).toMatch(/x-simulate\.cpus: .*\(from --set x-simulate\.cpus=lots\)/);
    expect(inputError(() => loadProfile('4gb', { overrides: ['nodot=1'] })).message).toMatch(/expected SERVICE\.PATH=VALUE/);
  });

  it('a list-form environment takes a new key', () => {
    const yml = 'services:\n  cache:\n    image: redis:7\n    environment: ["A=1", "B=2"]\n';
    const s = parseProfile(yml, '/tmp/list-env.yml', { workDir: '/w', overrides: ['cache.environment.B=3', 'cache.environment.C=x'] });
    expect(s.services[0]!.environment).toEqual({ A: '1', B: '3', C: 'x' });
  });
});
