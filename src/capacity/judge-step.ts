/**
 * One step of a capacity search, judged over its own measured window only (never cumulative from the start
 * of the search: k6's thresholds judge the whole run, so a late failing stage hides behind early good ones).
 * Pure: the step runner gathers the figures.
 */
import type { StepOutcome } from './rate-search.ts';

export interface HarnessFigures {
  /** CPU the load generator's process used over the measured window, in cores (1 = one core busy). */
  cpuCores: number;
  /** p99 of the generator's event-loop delay over the measured window, ms: how late its timers fired. */
  loopLagP99Ms: number;
  /** The generator's in-flight cap (scenario maxInFlight). */
  maxInFlight: number;
  /** Most requests in flight at the end of any second of the window. */
  peakInFlight: number;
}

export interface StepMeasurement {
  offeredRps: number;
  /** Seconds of the measured window. */
  durationS: number;
  /** Arrivals due in the window, requests handed to the HTTP client in it. */
  scheduled: number;
  sent: number;
  ok: number;
  errors: number;
  timeouts: number;
  dropped: number;
  avgMs: number;
  p50Ms: number;
  p99Ms: number;
  /** The stack's highest working set in the window (profile mode), bytes. */
  peakWorkingSetBytes?: number;
  /** OOM kills in the window (profile mode): the victim service of each. */
  oomKills: string[];
  harness: HarnessFigures;
}

export interface StepLimits {
  avgLatencyMs: number;
  p99Ms: number;
  maxErrorRate: number;
}

export interface StepVerdict {
  outcome: StepOutcome;
  /** Why it failed or was harness-limited, one short phrase each, most telling first. Empty on a pass. */
  reasons: string[];
  okRps: number;
  errorRate: number;
}

/** A generator using this much of a core cannot keep its schedule: Node runs the pacing and the HTTP client on one thread. */
export const HARNESS_CPU_LIMIT = 0.9;
/** Timers this late (p99) mean arrivals leave in bursts, not at the offered rate. */
export const HARNESS_LAG_LIMIT_MS = 100;
/** Sent below this share of scheduled, with free in-flight slots: the generator fell behind. */
export const HARNESS_SENT_SHARE = 0.95;

export function judgeStep(m: StepMeasurement, limits: StepLimits): StepVerdict {
  const ended = m.ok + m.errors + m.dropped;
  const errorRate = ended > 0 ? (m.errors + m.dropped) / ended : 0;
  const okRps = m.durationS > 0 ? m.ok / m.durationS : 0;

  // An OOM kill is the stack failing, whatever the generator did.
  if (m.oomKills.length > 0) {
    return { outcome: 'fail', reasons: [`OOM kill (${[...new Set(m.oomKills)].join(', ')})`, ...targetMisses(m, limits, errorRate)], okRps, errorRate };
  }

  const harness = harnessReasons(m, limits);
  if (harness.length > 0) return { outcome: 'harness-limited', reasons: harness, okRps, errorRate };

  const misses = targetMisses(m, limits, errorRate);
  if (ended === 0) misses.push('no request ended in the window');
  return { outcome: misses.length ? 'fail' : 'pass', reasons: misses, okRps, errorRate };
}

function targetMisses(m: StepMeasurement, limits: StepLimits, errorRate: number): string[] {
  const out: string[] = [];
  if (errorRate > limits.maxErrorRate) {
    const parts = [m.errors - m.timeouts > 0 ? `${m.errors - m.timeouts} errors` : '', m.timeouts ? `${m.timeouts} timeouts` : '', m.dropped ? `${m.dropped} dropped` : ''].filter(Boolean);
    out.push(`errors ${(errorRate * 100).toFixed(1)} % > ${(limits.maxErrorRate * 100).toFixed(1)} % (${parts.join(', ')})`);
  }
  if (m.p99Ms >= limits.p99Ms) out.push(`p99 ${fmtMs(m.p99Ms)} >= ${fmtMs(limits.p99Ms)}`);
  if (m.avgMs > limits.avgLatencyMs) out.push(`avg ${fmtMs(m.avgMs)} > ${fmtMs(limits.avgLatencyMs)}`);
  return out;
}

function harnessReasons(m: StepMeasurement, limits: StepLimits): string[] {
  const h = m.harness;
  const out: string[] = [];
  if (h.cpuCores >= HARNESS_CPU_LIMIT) out.push(`load generator CPU at ${(h.cpuCores * 100).toFixed(0)} % of a core`);
  if (h.loopLagP99Ms >= HARNESS_LAG_LIMIT_MS) out.push(`load generator's timers late by ${fmtMs(h.loopLagP99Ms)} (p99)`);
  if (m.scheduled > 0 && m.sent < m.scheduled * HARNESS_SENT_SHARE && h.peakInFlight < h.maxInFlight) {
    out.push(`generator sent ${m.sent} of ${m.scheduled} scheduled with in-flight slots free`);
  }
  // Drops at the in-flight cap while the server answers quickly: the generator's cap, not the server, is the limit.
  if (m.dropped > 0 && h.peakInFlight >= h.maxInFlight && m.p50Ms < limits.avgLatencyMs) {
    out.push(`${m.dropped} dropped at the generator's in-flight cap of ${h.maxInFlight} while the median answer took ${fmtMs(m.p50Ms)}`);
  }
  return out;
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}
