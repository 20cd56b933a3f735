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
  /** Mean of the same, ms. */
  loopLagMeanMs: number;
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

/**
 * When is a step the generator's limit rather than the stack's? Only from the generator's own figures, never
 * from latency alone (a slow stack is the finding), and never from timer lag alone: on these 2 shared cores a
 * saturated stack delays the generator's timers too, yet a generator that still sent its schedule measured
 * the stack. A step is harness-limited when
 * 1. the generator's process used ≥ HARNESS_CPU_LIMIT of a core (Node paces and runs the HTTP client on one
 *    thread: at that load it is the bottleneck), or
 * 2. it sent < HARNESS_SENT_SHARE of the arrivals scheduled in the window (sends just after the window's end
 *    count: a timer that fired late still sent them) with in-flight slots free (so the stack did not hold
 *    them back), or
 * 3. it dropped arrivals at its own in-flight cap while the median answer was within the average limit (the
 *    cap, not the stack, turned them away), or
 * 4. the step missed a latency limit by no more than the generator's own delay could add: latency counts
 *    from the scheduled send, so a request carries the timer lag at its send and again at its answer's
 *    callback (2 × the p99 of its event-loop delay). A miss larger than that is the stack's.
 */
export const HARNESS_CPU_LIMIT = 0.9;
/** Sent below this share of scheduled, with free in-flight slots: the generator fell behind. */
export const HARNESS_SENT_SHARE = 0.95;
/** Lag worth naming beside a verdict (p99 of the generator's event-loop delay), ms. */
export const HARNESS_LAG_NOTE_MS = 100;

export function judgeStep(m: StepMeasurement, limits: StepLimits): StepVerdict {
  const ended = m.ok + m.errors + m.dropped;
  const errorRate = ended > 0 ? (m.errors + m.dropped) / ended : 0;
  const okRps = m.durationS > 0 ? m.ok / m.durationS : 0;

  // An OOM kill is the stack failing, whatever the generator did.
  if (m.oomKills.length > 0) {
    return { outcome: 'fail', reasons: [`OOM kill (${[...new Set(m.oomKills)].join(', ')})`, ...targetMisses(m, limits, errorRate)], okRps, errorRate };
  }

  const misses = targetMisses(m, limits, errorRate);
  const harness = harnessReasons(m, limits, errorRate);
  if (harness.length > 0) return { outcome: 'harness-limited', reasons: harness, okRps, errorRate };

  if (ended === 0) misses.push('no request ended in the window');
  // A miss judged on the stack while the generator's timers ran late: say the lag could not explain it.
  if (misses.length && m.harness.loopLagP99Ms >= HARNESS_LAG_NOTE_MS) {
    misses.push(`the generator's timers ran ${fmtMs(m.harness.loopLagP99Ms)} late (p99) but it sent ${sentShare(m)} of its schedule and the miss exceeds what its lag adds: the stack's`);
  }
  return { outcome: misses.length ? 'fail' : 'pass', reasons: misses, okRps, errorRate };
}

function sentShare(m: StepMeasurement): string {
  return m.scheduled > 0 ? `${Math.min(100, (m.sent / m.scheduled) * 100).toFixed(0)} %` : 'all';
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

function harnessReasons(m: StepMeasurement, limits: StepLimits, errorRate: number): string[] {
  const h = m.harness;
  const out: string[] = [];
  const own = `its CPU ${(h.cpuCores * 100).toFixed(0)} % of a core, timers late by ${fmtMs(h.loopLagP99Ms)} (p99)`;
  if (h.cpuCores >= HARNESS_CPU_LIMIT) out.push(`load generator CPU at ${(h.cpuCores * 100).toFixed(0)} % of a core`);
  if (m.scheduled > 0 && m.sent < m.scheduled * HARNESS_SENT_SHARE && h.peakInFlight < h.maxInFlight) {
    out.push(`generator sent ${m.sent} of ${m.scheduled} scheduled with in-flight slots free (${own})`);
  }
  // Drops at the in-flight cap while the server answers quickly: the generator's cap, not the server, is the limit.
  if (m.dropped > 0 && h.peakInFlight >= h.maxInFlight && m.p50Ms < limits.avgLatencyMs) {
    out.push(`${m.dropped} dropped at the generator's in-flight cap of ${h.maxInFlight} while the median answer took ${fmtMs(m.p50Ms)}`);
  }
  // A latency miss (and nothing else) no larger than the generator's own delay, when that delay is notable: it
  // may be the generator's. The p99 against 2 × the lag's p99, the average against 2 × the lag's mean.
  const p99Miss = m.p99Ms >= limits.p99Ms;
  const avgMiss = m.avgMs > limits.avgLatencyMs;
  if (
    h.loopLagP99Ms >= HARNESS_LAG_NOTE_MS &&
    (p99Miss || avgMiss) &&
    errorRate <= limits.maxErrorRate &&
    (!p99Miss || m.p99Ms - 2 * h.loopLagP99Ms < limits.p99Ms) &&
    (!avgMiss || m.avgMs - 2 * h.loopLagMeanMs <= limits.avgLatencyMs)
  ) {
    const what = [p99Miss ? `p99 ${fmtMs(m.p99Ms)} vs 2 × lag p99 ${fmtMs(h.loopLagP99Ms)}` : '', avgMiss ? `avg ${fmtMs(m.avgMs)} vs 2 × lag mean ${fmtMs(h.loopLagMeanMs)}` : ''].filter(Boolean).join('; ');
    out.push(`latency over its limit by no more than the generator's own timer lag adds (${what})`);
  }
  return out;
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}
