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
    harness: { cpuCores: 0.2, loopLagP99Ms: 11, maxInFlight: 512, peakInFlight: 3, ...harness },
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
    expect(judgeStep(step({}, { loopLagP99Ms: 250 }), limits).outcome).toBe('harness-limited');
    expect(judgeStep(step({ sent: 800 }), limits).reasons).toEqual(['generator sent 800 of 1000 scheduled with in-flight slots free']);
    // Sent short because every slot was taken by a slow server: the server's failure, not the generator's.
    expect(judgeStep(step({ sent: 800, ok: 800, dropped: 200, avgMs: 5000, p50Ms: 5000, p99Ms: 10000 }, { peakInFlight: 512 }), limits).outcome).toBe('fail');
    // Drops at the cap while answers are fast: the cap is too small for this rate.
    expect(judgeStep(step({ ok: 900, dropped: 100, p50Ms: 3 }, { peakInFlight: 512 }), limits).outcome).toBe('harness-limited');
  });
});
