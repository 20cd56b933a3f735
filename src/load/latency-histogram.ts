/**
 * HdrHistogram helpers. Values are microseconds at 3 significant digits; figures leave in ms.
 */
import { build, type Histogram } from 'hdr-histogram-js';
import { PERCENTILES, type EndpointStats, type LatencySummary, type PercentileKey } from './types.ts';

export function newHistogram(): Histogram {
  // autoResize: the range grows with the slowest request seen, so a quiet window stays small.
  return build({ bitBucketSize: 32, numberOfSignificantValueDigits: 3, lowestDiscernibleValue: 1, autoResize: true });
}

export function mergeHistograms(histograms: Iterable<Histogram | undefined>): Histogram {
  const merged = newHistogram();
  for (const h of histograms) if (h && h.totalCount > 0) merged.add(h);
  return merged;
}

const ms = (us: number) => us / 1000;

export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { avgMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0 };
  return {
    avgMs: ms(h.mean),
    p50Ms: ms(Math.min(h.maxValue, h.getValueAtPercentile(50))),
    p95Ms: ms(Math.min(h.maxValue, h.getValueAtPercentile(95))),
    p99Ms: ms(Math.min(h.maxValue, h.getValueAtPercentile(99))),
    maxMs: ms(h.maxValue),
  };
}

/** Counters kept beside a histogram for one endpoint of one stage. */
export interface Counters {
  ok: number;
  errors: number;
  timeouts: number;
  dropped: number;
  bytes: number;
}

export function newCounters(): Counters {
  return { ok: 0, errors: 0, timeouts: 0, dropped: 0, bytes: 0 };
}

export function addCounters(into: Counters, from: Counters): Counters {
  into.ok += from.ok;
  into.errors += from.errors;
  into.timeouts += from.timeouts;
  into.dropped += from.dropped;
  into.bytes += from.bytes;
  return into;
}

export function endpointStats(method: string, name: string, c: Counters, h: Histogram, durationS: number): EndpointStats {
  const count = c.ok + c.errors + c.dropped;
  const failures = c.errors + c.dropped;
  const empty = h.totalCount === 0;
  const percentiles = {} as Record<PercentileKey, number>;
  for (const p of PERCENTILES) {
    // 100 % is the exact maximum, as Locust's 100% column is.
    // Capped at the exact maximum: a bucket's highest equivalent value can exceed it.
    percentiles[String(p) as PercentileKey] = empty ? 0 : ms(Math.min(h.maxValue, h.getValueAtPercentile(p)));
  }
  const perS = (n: number) => (durationS > 0 ? n / durationS : 0);
  return {
    method,
    name,
    count,
    ok: c.ok,
    failures,
    errors: c.errors,
    timeouts: c.timeouts,
    dropped: c.dropped,
    medianMs: percentiles['50'],
    avgMs: empty ? 0 : ms(h.mean),
    minMs: empty ? 0 : ms(h.minNonZeroValue),
    maxMs: empty ? 0 : ms(h.maxValue),
    avgContentSize: count > 0 ? c.bytes / count : 0,
    rps: perS(count),
    okRps: perS(c.ok),
    failuresPerS: perS(failures),
    errorRate: count > 0 ? failures / count : 0,
    percentiles,
    histogram: h,
  };
}
