/**
 * What the load engine reports. Every figure is built from HdrHistograms (microseconds, 3
 * significant digits); stage and whole-run percentiles come from merged histograms.
 */
import type { Histogram } from 'hdr-histogram-js';

export type LoadModel = 'open' | 'closed';

/** Latency summary of a histogram, in milliseconds. */
export interface LatencySummary {
  avgMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * One second of the run, [t, t+1) seconds after the load started.
 * - scheduled: arrivals whose intended send time falls in this second (closed model: = sent).
 * - sent: requests handed to the HTTP client in this second.
 * - completed: requests that ended in this second with a 2xx/3xx response.
 * - errors: requests that ended in this second with a non-2xx/3xx status, a connection error or a
 *   timeout (timeouts is the part of errors that were timeouts).
 * - dropped: scheduled requests given up in this second because they never got an in-flight slot
 *   before their deadline (open model only). Not part of errors.
 * completed + errors + dropped = every request that ended in this second; the latency histogram
 * holds exactly those, each with its time from its scheduled send (open model).
 */
export interface SecondWindow {
  t: number;
  /** Stage running at the start of this second (name), and whether it is excluded. */
  stage: string;
  stageIndex: number;
  excluded: boolean;
  scheduled: number;
  sent: number;
  completed: number;
  dropped: number;
  errors: number;
  timeouts: number;
  /** Requests in flight (sent, not ended) at the end of this second. */
  inFlight: number;
  /** Response body bytes received in this second. */
  bytes: number;
  latency: LatencySummary;
  /**
   * Raw histogram (µs) of the requests that ended in this second, for merging: there only while the
   * 'second' event is delivered. The recorder then takes it back and reuses it, so a long run keeps a
   * few dozen bytes a second (counts and `latency`), not a histogram a second (about 36 KB each); stage
   * and whole-run percentiles come from the stages' own histograms.
   */
  histogram?: Histogram;
}

/** Locust's percentile columns, in order. */
export const PERCENTILES = [50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100] as const;
export type PercentileKey = `${(typeof PERCENTILES)[number]}`;

/** Stats of one endpoint (method + path template) or of all endpoints, over a stage or the run. */
export interface EndpointStats {
  /** HTTP method; empty for the aggregate (Locust leaves Type empty on its Aggregated row). */
  method: string;
  /** Path template, e.g. `/conversations/{conversation}`, or `Aggregated`. */
  name: string;
  /** Every request scheduled (open) or sent (closed): ok + errors + dropped. */
  count: number;
  ok: number;
  /** errors + dropped: requests that got no good answer. */
  failures: number;
  errors: number;
  timeouts: number;
  dropped: number;
  medianMs: number;
  avgMs: number;
  minMs: number;
  maxMs: number;
  /** Response body bytes / count. */
  avgContentSize: number;
  /** count / stage seconds (Locust's Requests/s). */
  rps: number;
  /** ok / stage seconds: the completed rate a throughput target is about. */
  okRps: number;
  failuresPerS: number;
  /** failures / count (0 when count is 0). */
  errorRate: number;
  /** Locust's percentile columns, ms, keyed '50', '66', ... '100'. */
  percentiles: Record<PercentileKey, number>;
  histogram: Histogram;
}

export interface StageResult {
  name: string;
  index: number;
  excluded: boolean;
  /** Seconds the stage ran (its planned duration, or less when the run was stopped). */
  durationS: number;
  /** Seconds after load start at which the stage began. */
  startS: number;
  aggregate: EndpointStats;
  endpoints: EndpointStats[];
}

export interface LoadResult {
  model: LoadModel;
  scenario: string;
  baseUrl: string;
  /** Epoch ms. */
  startedAt: number;
  /** Seconds from load start to the last request ending. */
  elapsedS: number;
  /** True when stop() or the abort signal ended the run early. */
  stopped: boolean;
  stages: StageResult[];
  /** Non-excluded stages merged (durationS = their summed durations). */
  overall: StageResult;
  seconds: SecondWindow[];
}

export interface StageStartEvent {
  name: string;
  index: number;
  count: number;
  durationS: number;
  excluded: boolean;
  /** Seconds after load start. */
  startS: number;
}

/** How a request ended. */
export type Outcome = 'ok' | 'error' | 'timeout' | 'dropped';

/** One request's end, as given to the optional `onSample` hook (tests, raw dumps). */
export interface LatencySample {
  stageIndex: number;
  endpoint: string;
  outcome: Outcome;
  latencyUs: number;
  status?: number;
}
