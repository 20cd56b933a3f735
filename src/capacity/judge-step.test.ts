import { describe, expect, it } from 'vitest';
import { judgeStep, type StepMeasurement } from './judge-step.ts';

const limits = { avgLatencyMs: 60, p99Ms: 1000, maxErrorRate: 0.01 };

function step(over: Partial<StepMeasurement> = {}, harness: Partial<StepMeasurement['harness']> = {}): StepMeasurement {
  return {
    offeredRps: 100,
    durationS: 10,
    scheduled: 1000,
    sent: 1000,
    ok: 1000,
    errors: 0,
    timeouts: 0,
    dropped: 0,
    avgMs: 5,
    p50Ms: 4,
    p99Ms: 20,
    oomKills: [],
    ...over,
    harness: { cpuCores: 0.2, loopLagP99Ms: 11, loopLagMeanMs: 10.2, maxInFlight: 512, peakInFlight: 3, ...harness },
  };
}

describe('judgeStep', () => {
  it('passes a step within every target', () => {
    expect(judgeStep(step(), limits)).toEqual({ outcome: 'pass', reasons: [], okRps: 100, errorRate: 0 });
  });

  it('fails on each target, naming it', () => {
    expect(judgeStep(step({ p99Ms: 1000 }), limits).reasons).toEqual(['p99 1.00 s >= 1.00 s']);
    expect(judgeStep(step({ avgMs: 61 }), limits).reasons).toEqual(['avg 61 ms > 60 ms']);
    const errs = judgeStep(step({ ok: 980, errors: 20, timeouts: 5 }), limits);
    expect(errs.outcome).toBe('fail');
    expect(errs.reasons[0]).toBe('errors 2.0 % > 1.0 % (15 errors, 5 timeouts)');
  });

  it('fails a step with an OOM kill even when the latency held and the generator struggled', () => {
    const v = judgeStep(step({ oomKills: ['postgres', 'postgres'] }, { cpuCores: 1 }), limits);
    expect(v.outcome).toBe('fail');
    expect(v.reasons[0]).toBe('OOM kill (postgres)');
  });

  it('marks a step harness-limited when the generator saturates its core or falls behind', () => {
    expect(judgeStep(step({ p99Ms: 3000 }, { cpuCores: 0.97 }), limits)).toMatchObject({ outcome: 'harness-limited', reasons: ['load generator CPU at 97 % of a core'] });
    expect(judgeStep(step({ sent: 800 }), limits).reasons).toEqual(['generator sent 800 of 1000 scheduled with in-flight slots free (its CPU 20 % of a core, timers late by 11 ms (p99))']);
    // Sent short because every slot was taken by a slow server: the server's failure, not the generator's.
    expect(judgeStep(step({ sent: 800, ok: 800, dropped: 200, avgMs: 5000, p50Ms: 5000, p99Ms: 10000 }, { peakInFlight: 512 }), limits).outcome).toBe('fail');
    // Drops at the cap while answers are fast: the cap is too small for this rate.
    expect(judgeStep(step({ ok: 900, dropped: 100, p50Ms: 3 }, { peakInFlight: 512 }), limits).outcome).toBe('harness-limited');
  });

  it('timer lag alone is not the generator\'s limit: a generator that sent its schedule measured the stack', () => {
    // 2 busy cores: the stack delays the generator's timers, yet every arrival went out and answers were fast.
    expect(judgeStep(step({}, { loopLagP99Ms: 250, loopLagMeanMs: 40 }), limits)).toMatchObject({ outcome: 'pass', reasons: [] });
    // The 4g tier's 1800 req/s step seen here: timers 216 ms late (p99), all sent, p99 2.37 s, avg 856 ms. The miss
    // is far beyond what the lag adds (2 × 216 ms on the p99): the stack failed, and the verdict says why.
    const seen = judgeStep(step({ scheduled: 36000, sent: 36000, ok: 36000, avgMs: 856, p50Ms: 600, p99Ms: 2370 }, { loopLagP99Ms: 216, loopLagMeanMs: 30 }), limits);
    expect(seen.outcome).toBe('fail');
    expect(seen.reasons).toEqual(['p99 2.37 s >= 1.00 s', 'avg 856 ms > 60 ms', "the generator's timers ran 216 ms late (p99) but it sent 100 % of its schedule and the miss exceeds what its lag adds: the stack's"]);
  });

  it('a latency miss no larger than the generator\'s own lag is not blamed on the stack', () => {
    // p99 1.1 s against 1 s, with timers 300 ms late: up to 600 ms of it may be the generator's.
    const v = judgeStep(step({ p99Ms: 1100 }, { loopLagP99Ms: 300, loopLagMeanMs: 20 }), limits);
    expect(v.outcome).toBe('harness-limited');
    expect(v.reasons).toEqual(["latency over its limit by no more than the generator's own timer lag adds (p99 1.10 s vs 2 × lag p99 300 ms)"]);
    // The same miss with the usual 10 ms of lag: the stack's.
    expect(judgeStep(step({ p99Ms: 1100 }), limits).outcome).toBe('fail');
    // The average against the lag's mean: 95 ms avg with a 20 ms mean lag is 55 ms beyond it, within 60 ms.
    expect(judgeStep(step({ avgMs: 95 }, { loopLagP99Ms: 150, loopLagMeanMs: 20 }), limits).outcome).toBe('harness-limited');
    expect(judgeStep(step({ avgMs: 140 }, { loopLagP99Ms: 150, loopLagMeanMs: 20 }), limits).outcome).toBe('fail');
    // Errors are never the lag's.
    expect(judgeStep(step({ p99Ms: 1100, ok: 900, errors: 100 }, { loopLagP99Ms: 300, loopLagMeanMs: 20 }), limits).outcome).toBe('fail');
  });

  it('sent short with slots free is the generator falling behind, named with its own CPU and lag', () => {
    expect(judgeStep(step({ sent: 900 }, { cpuCores: 0.55, loopLagP99Ms: 180 }), limits).reasons).toEqual([
      'generator sent 900 of 1000 scheduled with in-flight slots free (its CPU 55 % of a core, timers late by 180 ms (p99))',
    ]);
  });
});
