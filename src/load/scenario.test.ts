import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.ts';
import { fitToDataset, loadScenario, parseScenario, simpleScenario } from './scenario.ts';
import { scaleScenario } from '../run/scale-scenario.ts';
import { inputError } from '../../test/helpers/input-error.ts';

const base = {
  requests: [{ method: 'GET', path: '/users/{user}' }],
  variables: { user: { min: 1, max: 1000 } },
};

describe('scenario validation', () => {
  it('gives one `path: message` line per problem (bad rate type, negative duration)', () => {
    const err = inputError(() =>
      parseScenario({ ...base, stages: [{ name: 'a', duration: 10, rate: 'fast' }, { name: 'b', duration: -5, rate: 10 }] }, 'test.yaml'),
    );
    const lines = err.message.split('\n').slice(1);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^stages\.0\.rate: /);
    expect(lines[1]).toMatch(/^stages\.1\.duration: /);
    expect(err.message.split('\n')[0]).toContain('test.yaml');
  });

  it('wants exactly one of rate or ramp, and known template variables', () => {
    const err = inputError(() =>
      parseScenario(
        {
          requests: [{ path: '/conversations/{conversation}' }, { path: 'no-slash' }],
          stages: [{ name: 'a', duration: 5 }, { name: 'b', duration: 5, rate: 1, ramp: { from: 1, to: 2 } }],
        },
        'x',
      ),
    );
    expect(err.message).toContain('requests.1.path: must start with /');
    expect(err.message).toMatch(/stages\.0: give exactly one of/);
    expect(err.message).toMatch(/stages\.1: give exactly one of/);
    // The variable check runs once the shape is right.
    const err2 = inputError(() => parseScenario({ requests: [{ path: '/c/{conversation}' }], stages: [{ name: 'a', duration: 1, rate: 1 }] }, 'x'));
    expect(err2.message).toContain('requests.0.path: unknown variable {conversation}');
  });

  it('rejects unknown keys (typos) and applies defaults', () => {
    expect(inputError(() => parseScenario({ ...base, stages: [{ name: 'a', duration: 1, rat: 5 }] }, 'x')).message).toMatch(/stages\.0/);
    const sc = parseScenario({ ...base, stages: [{ name: 'a', duration: 1, rate: 5 }] }, 'x', 'fallback');
    expect(sc).toMatchObject({ name: 'fallback', maxInFlight: 1000, timeout: 10, seed: 1 });
    expect(sc.stages[0]!.exclude).toBe(false);
    expect(sc.requests[0]).toMatchObject({ method: 'GET', weight: 1 });
  });

  it('loads the shipped scenarios by name', async () => {
    for (const name of ['steady-300', 'spike', 'ramp-to-failure']) {
      const sc = await loadScenario(name);
      expect(sc.name).toBe(name);
      expect(sc.stages.some((s) => s.exclude)).toBe(true);
    }
    const steady = await loadScenario('steady-300');
    expect(steady.stages.find((s) => !s.exclude)).toMatchObject({ rate: 300, duration: 60 });
    const writes = steady.requests.filter((r) => r.method === 'POST').reduce((s, r) => s + r.weight, 0);
    const all = steady.requests.reduce((s, r) => s + r.weight, 0);
    expect(writes / all).toBeCloseTo(0.05, 5);
  });

  it('lists messages along real cursor chains in the production-shaped scenarios (no made-up cursor ids)', async () => {
    for (const name of ['steady-300', 'soak']) {
      const sc = await loadScenario(name);
      const listing = sc.requests.filter((r) => r.method === 'GET' && /\/messages(\?|$)/.test(r.path));
      expect(listing.length, name).toBeGreaterThan(0);
      for (const r of listing) {
        expect(r.path, name).not.toMatch(/cursor=/);
        expect(r.follow, name).toMatchObject({ field: 'next_cursor', param: 'cursor' });
        expect(r.follow!.pages, name).toBeGreaterThanOrEqual(10);
      }
    }
  });

  it('loads a path, and names what it does not find', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'scenario-'));
    const file = path.join(dir, 'mine.yaml');
    await writeFile(file, 'requests: [{ path: /health }]\nstages: [{ name: s, duration: 2, rate: 5 }]\n');
    expect((await loadScenario(file)).name).toBe('mine');
    await expect(loadScenario('no-such-scenario')).rejects.toThrow(InputError);
    await expect(loadScenario('no-such-scenario')).rejects.toMatchObject({ hint: expect.stringContaining('steady-300') });
    await writeFile(file, 'stages: [\n');
    await expect(loadScenario(file)).rejects.toThrow(/not valid YAML/);
  });

  it('simpleScenario is one GET of the URL at a fixed rate', () => {
    const sc = simpleScenario('http://127.0.0.1:8080/health?x=1', 200, 20);
    expect(sc.requests).toEqual([expect.objectContaining({ method: 'GET', path: '/health?x=1' })]);
    expect(sc.stages).toEqual([expect.objectContaining({ rate: 200, duration: 20, exclude: false })]);
    expect(() => simpleScenario('not a url', 1, 1)).toThrow(InputError);
    expect(() => simpleScenario('http://127.0.0.1/', -1, 1)).toThrow(InputError);
  });

  it('a warm-up until steady: bounded by max (10m = 600 s), only first, only excluded; --duration leaves its bound proportional', () => {
    const base = { requests: [{ path: '/' }] };
    const sc = parseScenario({ ...base, stages: [{ name: 'w', until: 'steady', max: '10m', rate: 360, exclude: true }, { name: 's', duration: 60, rate: 300 }] }, 'x');
    expect(sc.stages[0]).toMatchObject({ until: 'steady', duration: 600 });
    expect(scaleScenario(sc, 30).stages.map((s) => s.duration)).toEqual([300, 30]);
    expect(scaleScenario(sc, 1800).stages.map((s) => s.duration)).toEqual([600, 1800]);
    const bad = (stages: unknown[]) => inputError(() => parseScenario({ ...base, stages }, 'x')).message;
    expect(bad([{ name: 'w', until: 'steady', rate: 1 }])).toMatch(/stages\.0\.until: `until: steady` is for a warm-up: set `exclude: true`/);
    expect(bad([{ name: 's', duration: 5, rate: 1 }, { name: 'w', until: 'steady', rate: 1, exclude: true }])).toMatch(/stages\.1\.until: only the first stage can run until steady/);
    expect(bad([{ name: 's', duration: 5, max: 10, rate: 1 }])).toMatch(/stages\.0\.max: `max` goes with `until: steady`/);
    expect(bad([{ name: 's', duration: 'soon', rate: 1 }])).toMatch(/stages\.0\.duration/);
  });

  it('draws `over: TABLE` ids over every row of the dataset the run started from', () => {
    const sc = parseScenario({ variables: { c: { min: 1, max: 10, over: 'conversations' }, u: { min: 1, max: 5 } }, requests: [{ path: '/c/{c}/{u}' }], stages: [{ name: 's', duration: 1, rate: 1 }] }, 'x');
    const fitted = fitToDataset(sc, { conversations: 90_000, users: 9000 });
    expect(fitted.variables.c!.max).toBe(90_000);
    expect(fitted.variables.u!.max).toBe(5); // no `over`: the scenario's own range
  });
});
