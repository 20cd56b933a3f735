/**
 * Load results built from a few per-second specs: each window's latency comes from a real HdrHistogram
 * and the stages merge them as the engine does, so verdict and live-check tests read engine-shaped data.
 */
import { endpointStats, mergeHistograms, newCounters, newHistogram, summarize } from '../../src/load/latency-histogram.ts';
import type { LoadResult, SecondWindow, StageResult } from '../../src/load/types.ts';

export interface WindowSpec {
  excluded?: boolean;
  completed: number;
  errors?: number;
  dropped?: number;
  /** One latency per request that ended in this second (completed + errors + dropped), ms. */
  latMs: number[];
}

/** A real window: its latency figures come from a real HdrHistogram, as the load engine makes them. */
export function window(t: number, s: WindowSpec): SecondWindow {
  const h = newHistogram();
  for (const ms of s.latMs) h.recordValue(Math.round(ms * 1000));
  return {
    t,
    stage: s.excluded ? 'warm-up' : 'steady',
    stageIndex: s.excluded ? 0 : 1,
    excluded: s.excluded ?? false,
    scheduled: s.completed + (s.errors ?? 0) + (s.dropped ?? 0),
    sent: s.completed + (s.errors ?? 0),
    completed: s.completed,
    dropped: s.dropped ?? 0,
    errors: s.errors ?? 0,
    timeouts: 0,
    inFlight: 0,
    bytes: 0,
    latency: summarize(h),
    histogram: h,
  };
}

/** A LoadResult whose overall figures are the merge of its non-excluded windows (what the engine reports). */
export function loadResult(specs: WindowSpec[], model: 'open' | 'closed' = 'open'): LoadResult {
  const seconds = specs.map((s, t) => window(t, s));
  const stage = (excluded: boolean, index: number): StageResult => {
    const ws = seconds.filter((w) => w.excluded === excluded);
    const c = newCounters();
    for (const w of ws) {
      c.ok += w.completed;
      c.errors += w.errors;
      c.dropped += w.dropped;
    }
    const h = mergeHistograms(ws.map((w) => w.histogram));
    const agg = endpointStats('', 'Aggregated', c, h, ws.length);
    return { name: excluded ? 'warm-up' : 'steady', index, excluded, durationS: ws.length, startS: ws[0]?.t ?? 0, aggregate: agg, endpoints: [agg] };
  };
  const overall = stage(false, 1);
  return {
    model,
    scenario: 'test',
    baseUrl: 'http://127.0.0.1:1/',
    startedAt: 0,
    elapsedS: seconds.length,
    stopped: false,
    stages: [stage(true, 0), overall],
    overall,
    seconds,
  };
}

