import { describe, expect, it } from 'vitest';
import { compareEntries, parseVariant, splitArgs } from './compare-command.ts';

describe('compare arguments', () => {
  it('splits a variant like a shell, quotes grouping', () => {
    expect(splitArgs(`--set redis.command="redis-server --maxmemory 64mb" --set a.b=c`)).toEqual(['--set', 'redis.command=redis-server --maxmemory 64mb', '--set', 'a.b=c']);
  });

  it('a variant is a name and its --set overrides of the baseline profile', () => {
    expect(parseVariant('nocache=--set app.environment.CACHE_ENABLED=false', '4gb')).toEqual({ kind: 'run', label: 'nocache', profile: '4gb', overrides: ['app.environment.CACHE_ENABLED=false'] });
    expect(parseVariant('nocache="--set app.environment.CACHE_ENABLED=false --set grafana.x-simulate.enabled=false"', '4gb').kind === 'run' && (parseVariant('x="--set a.b=1 --set c.d=2"', '4gb') as { overrides: string[] }).overrides).toEqual(['a.b=1', 'c.d=2']);
    expect(() => parseVariant('--set a.b=1', '4gb')).toThrow(/expected NAME=/);
    expect(() => parseVariant('x=--set a.b=1', undefined)).toThrow(/no profile to vary/);
  });

  it('--profile is the baseline, then positionals, then variants', () => {
    const e = compareEntries({ profile: '4gb', positionals: ['full-elk'], overrides: [], variants: ['nocache=--set app.environment.CACHE_ENABLED=false'] });
    expect(e.map((x) => x.label)).toEqual(['4gb', 'full-elk', 'nocache']);
  });
});
