import { describe, expect, it } from 'vitest';
import { MB, testService, testStack } from '../../test/helpers/stack-model.ts';
import { applyEvent, applyMemory, initialState } from '../run/run-state.ts';
import { renderMetrics, sumCounter } from './metrics-exporter.ts';
import { appFigures, sumWhere } from './metrics-exporter.ts';

describe('sumCounter', () => {
  it('adds a counter over its label sets and ignores look-alikes', () => {
    const text = [
      '# HELP cache_hits_total Cache hits',
      '# TYPE cache_hits_total counter',
      'cache_hits_total{kind="user"} 3.0',
      'cache_hits_total{kind="conversation"} 4',
      'cache_hits_total_created 1.7e9',
      'cache_misses_total 2',
    ].join('\n');
    expect(sumCounter(text, 'cache_hits_total')).toBe(7);
    expect(sumCounter(text, 'cache_misses_total')).toBe(2);
    expect(sumCounter(text, 'nope')).toBeUndefined();
  });
});

describe('renderMetrics', () => {
  const stack = testStack([
    testService('postgres'),
    testService('grafana', { kind: 'standin' }),
    testService('kibana', { launch: undefined, unavailableReason: 'absent' }),
  ]);

  function state() {
    const s = initialState({ runId: 'r', stack, driver: 'process', cgroupVersion: 1, startedAt: 0 });
    const ms = (ws: number) => ({ usage: ws + 10, workingSet: ws, rss: ws, cache: 10, inactiveFile: 10, activeFile: 0, swap: 0, peak: ws, failcnt: 0, oomKills: 0, limit: 4096 * MB });
    applyMemory(s, ms(1500 * MB), new Map([['postgres', ms(300 * MB)], ['grafana', ms(60 * MB)]]));
    applyEvent(s, { at: 1, t: 1, kind: 'oom-kill', service: 'postgres', detail: 'kernel: Killed process 7' });
    applyEvent(s, { at: 2, t: 2, kind: 'service-restart', service: 'postgres', detail: 'restarted' });
    return s;
  }

  it('is valid Prometheus text: HELP and TYPE before every family, then `name{labels} value` samples', () => {
    const text = renderMetrics(state());
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    const typed = new Map<string, string>();
    let current: string | undefined;
    for (const line of lines) {
      const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*$/.exec(line);
      const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter)$/.exec(line);
      if (help) {
        current = help[1];
        continue;
      }
      if (type) {
        expect(type[1], line).toBe(current);
        typed.set(type[1]!, type[2]!);
        continue;
      }
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*\})? (-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/.exec(line);
      expect(sample, `not a sample line: ${line}`).not.toBeNull();
      expect(sample![1], line).toBe(current);
      expect(typed.has(sample![1]!), line).toBe(true);
    }
    expect(typed.get('simulate_oom_kills_total')).toBe('counter');
    expect(typed.get('simulate_service_restarts_total')).toBe('counter');
    expect(typed.get('simulate_stack_working_set_bytes')).toBe('gauge');
  });

  it('carries the figures, with each service\'s kind as a label', () => {
    const text = renderMetrics(state());
    expect(text).toContain(`simulate_stack_working_set_bytes ${1500 * MB}\n`);
    expect(text).toContain(`simulate_stack_limit_bytes ${4096 * MB}\n`);
    expect(text).toContain(`simulate_service_working_set_bytes{service="postgres",kind="real"} ${300 * MB}\n`);
    expect(text).toContain(`simulate_service_working_set_bytes{service="grafana",kind="standin"} ${60 * MB}\n`);
    expect(text).toContain('simulate_service_working_set_bytes{service="kibana",kind="unavailable"} 0\n');
    expect(text).toContain('simulate_oom_kills_total{service="postgres",kind="real"} 1\n');
    expect(text).toContain('simulate_service_restarts_total{service="postgres",kind="real"} 1\n');
    // What the seed's Prometheus alert and our cache-rate reader would sum.
    expect(sumCounter(text, 'simulate_oom_kills_total')).toBe(1);
  });
});

describe('the app counters a comparison reads', () => {
  const text = [
    '# HELP api_request_duration_seconds HTTP request time',
    'api_request_duration_seconds_count{method="GET",route="/users/{id}",status="200"} 40.0',
    'api_request_duration_seconds_count{method="GET",route="/conversations/{id}/messages",status="200"} 60.0',
    'api_request_duration_seconds_count{method="GET",route="/metrics",status="200"} 3.0',
    'db_query_duration_seconds_count{query="user_by_id"} 30.0',
    'db_query_duration_seconds_count{query="database_size"} 3.0',
  ].join('\n');

  it('sums label sets whose values hold braces (route templates)', () => {
    expect(sumWhere(text, 'api_request_duration_seconds_count', (l) => !l.includes('route="/metrics"'))).toBe(100);
    expect(sumWhere(text, 'db_query_duration_seconds_count', (l) => !l.includes('database_size'))).toBe(30);
  });

  it('queries per request and query time over the judged stages; null where a counter went back (a restart)', () => {
    const before = { hits: 10, misses: 10, queries: 100, querySeconds: 0.1, requests: 100, dbConnectionsPeak: 3, connectionSeconds: 4, at: 10_000 };
    const after = { hits: 70, misses: 30, queries: 160, querySeconds: 0.16, requests: 200, dbConnectionsPeak: 5, connectionSeconds: 34, at: 30_000 };
    // 30 connection-seconds over 20 s: 1.5 connections in use on average.
    expect(appFigures(before, after)).toEqual({ cacheLookups: 80, queriesPerRequest: 0.6, dbQueryAvgMs: expect.closeTo(1, 6), dbConnectionsPeak: 5, dbConnectionsAvg: 1.5 });
    expect(appFigures(after, before).queriesPerRequest).toBeNull();
  });
});
