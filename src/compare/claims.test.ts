import { describe, expect, it } from 'vitest';
import { CLAIMS, evaluateClaims, judgeClaim, selectClaims } from './claims.ts';
import type { RunSummary } from './run-summary.ts';

const run = (id: string, o: Partial<RunSummary>): RunSummary => ({
  label: 'x', runId: id, runDir: '/r', profile: '4gb', overrides: [], capBytes: 0, scenario: 'steady-300', exitCode: 0, verdict: 'PASS', targetsMissed: [],
  avgMs: null, p50Ms: null, p99Ms: null, completedRps: null, errors: null, errorRate: null, cacheHitRate: null, oomKills: 0, restarts: 0,
  peakStackMb: null, peakServiceMb: {}, standins: [], dbConnectionsPeak: null, dbConnectionsAvg: null, queriesPerRequest: null, dbQueryAvgMs: null, ...o,
});
const claim = (name: string) => CLAIMS.find((c) => c.name === name)!;

describe('a claim judged from its arms', () => {
  it('supported: the claimed way and at least half the seed’s figure, beyond the spread', () => {
    const c = claim('redis-latency');
    const m = c.measure([run('a', { avgMs: 3 }), run('b', { avgMs: 3.4 })], [run('c', { avgMs: 10 }), run('d', { avgMs: 11 })]);
    expect(m.value).toBeCloseTo(1 - 3.2 / 10.5);
    expect(judgeClaim(c, m).verdict).toBe('supported');
  });

  it('within noise: the arms differ less than the runs of one arm', () => {
    const c = claim('redis-latency');
    const m = c.measure([run('a', { avgMs: 3 }), run('b', { avgMs: 6 })], [run('c', { avgMs: 4 }), run('d', { avgMs: 5.5 })]);
    expect(judgeClaim(c, m).verdict).toBe('within noise');
  });

  it('not supported: the effect is real but smaller than half the claim, or goes the other way', () => {
    const c = claim('redis-latency');
    expect(judgeClaim(c, c.measure([run('a', { avgMs: 9 }), run('b', { avgMs: 9.1 })], [run('c', { avgMs: 10 }), run('d', { avgMs: 10.1 })])).verdict).toBe('not supported');
    const other = judgeClaim(c, c.measure([run('a', { avgMs: 20 }), run('b', { avgMs: 20.1 })], [run('c', { avgMs: 10 }), run('d', { avgMs: 10.1 })]));
    expect(other).toEqual({ verdict: 'not supported', reason: 'the effect goes the other way' });
  });

  it('not judged with one run per arm (no spread), or for a stand-in', () => {
    const c = claim('redis-latency');
    expect(judgeClaim(c, c.measure([run('a', { avgMs: 3 })], [run('c', { avgMs: 10 })])).verdict).toBe('not judged');
    const g = claim('grafana-memory');
    const r = judgeClaim(g, g.measure([run('a', { peakServiceMb: { grafana: 130 }, standins: ['grafana'] }), run('b', { peakServiceMb: { grafana: 131 }, standins: ['grafana'] })], []));
    expect(r.verdict).toBe('not judged');
    expect(r.reason).toMatch(/stand-in/);
  });

  it('a cost is supported within a factor of two of the seed’s figure', () => {
    const p = claim('prometheus-memory');
    const at = (mb: number) => judgeClaim(p, p.measure([run('a', { peakServiceMb: { prometheus: mb } }), run('b', { peakServiceMb: { prometheus: mb + 2 } })], [])).verdict;
    expect(at(140)).toBe('supported');
    expect(at(40)).toBe('not supported');
    expect(at(400)).toBe('not supported');
  });

  it('"costs nothing": within noise when the difference is, not supported when it costs more than the spread', () => {
    const c = claim('index-memory');
    const w = (a: number, b: number) => [run('a', { peakStackMb: a }), run('b', { peakStackMb: b })];
    expect(judgeClaim(c, c.measure(w(500, 510), w(505, 512))).verdict).toBe('within noise');
    expect(judgeClaim(c, c.measure(w(600, 602), w(500, 503))).verdict).toBe('not supported');
  });

  it('index speed is a ratio of the average query time', () => {
    const c = claim('index-speed');
    const m = c.measure([run('a', { dbQueryAvgMs: 1 }), run('b', { dbQueryAvgMs: 1.2 })], [run('c', { dbQueryAvgMs: 20 }), run('d', { dbQueryAvgMs: 22 })]);
    expect(m.value).toBeCloseTo(21 / 1.1);
    expect(judgeClaim(c, m).verdict).toBe('supported');
  });
});

describe('evaluateClaims and selectClaims', () => {
  it('every claim gets a row, even when its arms did not run', () => {
    const rows = evaluateClaims(CLAIMS, new Map([['base', [run('a', { avgMs: 3, peakServiceMb: { prometheus: 90 } }), run('b', { avgMs: 3, peakServiceMb: { prometheus: 95 } })]]]));
    expect(rows.map((r) => r.name)).toEqual(CLAIMS.map((c) => c.name));
    expect(rows.find((r) => r.name === 'prometheus-memory')).toMatchObject({ measured: '93 MB', spread: '±5 MB', verdict: 'supported' });
    expect(rows.find((r) => r.name === 'redis-latency')).toMatchObject({ verdict: 'not judged', reason: 'its arms did not run' });
  });

  it('one claim or a prefix picks only the arms it needs', () => {
    const r = selectClaims('redis');
    expect('claims' in r && r.claims.map((c) => c.name)).toEqual(['redis-memory', 'redis-latency']);
    expect('arms' in r && r.arms.map((a) => a.name)).toEqual(['base', 'no-redis']);
    expect(selectClaims('nope')).toEqual({ error: 'no claim named "nope"' });
  });
});

describe('eager loading and connections', () => {
  it('reads the average connections in use (a peak saturates at the pool size)', () => {
    const c = CLAIMS.find((x) => x.name === 'eager-connections')!;
    const m = c.measure([run('a', { dbConnectionsAvg: 0.8, dbConnectionsPeak: 10 }), run('b', { dbConnectionsAvg: 0.9, dbConnectionsPeak: 10 })], [run('c', { dbConnectionsAvg: 2.4, dbConnectionsPeak: 10 }), run('d', { dbConnectionsAvg: 2.6, dbConnectionsPeak: 10 })]);
    expect(m.value).toBeCloseTo(1 - 0.85 / 2.5);
    expect(judgeClaim(c, m).verdict).toBe('supported');
  });
});
