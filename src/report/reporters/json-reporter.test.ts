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
    r.onStart?.(loadRunState('4gb-starting'));
    for (const e of oom.events) r.onEvent?.(e, oom);
    r.onTick?.({ ...oom, elapsedS: 141 });
    r.onTick?.({ ...oom, elapsedS: 141.5 }); // within the interval: no line
    r.onTick?.(oom);
    // Infinity is not JSON: an unlimited figure becomes null.
    r.onEnd?.({ ...loadRunState('full-elk-verdict'), stack: { ...oom.stack, limit: Infinity } });
    await r.close?.();

    expect(out.endsWith('\n')).toBe(true);
    const lines = out.trimEnd().split('\n');
    const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.map((o) => o.type)).toEqual(['start', ...oom.events.map(() => 'event'), 'status', 'status', 'end']);
    expect(objs[0]).toMatchObject({ runId: 'r-20251125-193000-4gb', capBytes: 4 * 1024 ** 3, cgroupVersion: 1 });
    const kill = objs.find((o) => o.kind === 'oom-kill');
    expect(kill).toMatchObject({ service: 'elasticsearch', pid: 52183, t: 117 });
    const status = objs.find((o) => o.type === 'status') as { stack: Record<string, unknown>; load: Record<string, unknown> };
    expect(status.stack.history).toBeUndefined();
    expect(status.load.p99Ms).toBe(2410);
    const end = objs.at(-1) as { pass: boolean; verdict: { targets: unknown[]; standins: string[] }; stack: { limit: unknown } };
    expect(end.pass).toBe(false);
    expect(end.verdict.targets).toHaveLength(7);
    expect(end.verdict.standins).toContain('elasticsearch');
    expect(end.stack.limit).toBeNull();
    expect(out).not.toContain('\x1b');
  });
});
