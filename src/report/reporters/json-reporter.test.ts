import { describe, expect, it } from 'vitest';
import { loadRunState } from '../../../test/fixtures/run-states/load.ts';
import { createJsonReporter } from './json-reporter.ts';

describe('json reporter', () => {
  it('writes one valid JSON object per line: start, events, status, end', async () => {
    let out = '';
    const r = createJsonReporter({
      stdout: {
        write(chunk: string, cb?: () => void) {
          out += chunk;
          cb?.();
          return true;
        },
      },
    });
    const oom = loadRunState('full-elk-oom');
    const steady = loadRunState('4gb-steady');
    r.onStart?.(loadRunState('4gb-starting'));
    for (const e of oom.events) r.onEvent?.(e, oom);
    r.onTick?.({ ...oom, elapsedS: oom.elapsedS - 1 });
    r.onTick?.({ ...oom, elapsedS: oom.elapsedS - 0.5 }); // within the interval: no line
    r.onTick?.(oom);
    r.onTick?.(steady);
    // Infinity is not JSON: an unlimited figure becomes null.
    r.onEnd?.({ ...loadRunState('full-elk-verdict'), stack: { ...oom.stack, limit: Infinity } });
    await r.close?.();

    expect(out.endsWith('\n')).toBe(true);
    const lines = out.trimEnd().split('\n');
    const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.map((o) => o.type)).toEqual(['start', ...oom.events.map(() => 'event'), 'status', 'status', 'status', 'end']);
    expect(objs[0]).toMatchObject({ runId: '20261130-110613-b75b', capBytes: 4 * 1024 ** 3, cgroupVersion: 1 });
    const kill = objs.find((o) => o.kind === 'oom-kill');
    expect(kill).toMatchObject({ service: 'elasticsearch', pid: 5401, t: 10 });
    type Status = { t: number; stack: Record<string, unknown>; load?: Record<string, unknown>; services: Array<Record<string, unknown>> };
    const statuses = objs.filter((o) => o.type === 'status') as unknown as Status[];
    expect(statuses.map((x) => x.t)).toEqual([10, 11, 33]);
    // Just after the kill (its restart policy already brought it back): the kill in the figures, no load
    // yet (none is made up), no histories.
    const atKill = statuses[1]!;
    expect(atKill.stack.history).toBeUndefined();
    expect(atKill.stack).toMatchObject({ oomKills: 1, peakWorkingSet: oom.stack.peakWorkingSet });
    expect(atKill.services.find((x) => x.name === 'elasticsearch')).toMatchObject({ status: 'restarting', oomKills: 1, restarts: 1, pid: 5624 });
    expect(atKill.load).toBeUndefined();
    // Under load: the last second's figures, the totals (and the judged ones, warm-up left out), without histories.
    const underLoad = statuses[2]!;
    expect(underLoad.load).toMatchObject({ p99Ms: 33.375, completedRps: 306, totalRequests: 7100, judgedRequests: 5700, judgedFailures: 0 });
    expect(underLoad.load!.rpsHistory).toBeUndefined();
    const end = objs.at(-1) as { pass: boolean; verdict: { targets: unknown[]; standins: string[] }; stack: { limit: unknown } };
    expect(end.pass).toBe(false);
    expect(end.verdict.targets).toHaveLength(7);
    expect(end.verdict.standins).toContain('elasticsearch');
    expect(end.stack.limit).toBeNull();
    expect(out).not.toContain('\x1b');
  });
});
