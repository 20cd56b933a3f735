/**
 * The model of a capacity review, as capacity.json holds it (format `simulate-capacity/1`; report.html
 * renders it). Every figure in it was measured in this review; the seed's figures sit apart, labelled.
 */
import type { StepLimits } from './judge-step.ts';
import type { SearchResult } from './rate-search.ts';
import type { StepRecord } from './search-rate.ts';

export const CAPACITY_FORMAT = 'simulate-capacity/1';

/** What tells one review from another; the rest of a new review starts empty, filled as steps run. */
type ReviewStart = Pick<CapacityReview, 'id' | 'mode' | 'profile' | 'target' | 'quick' | 'limits' | 'targetRate' | 'timing' | 'notes'>;

/** A review before its first step: both modes (--profile and --target) start from this one shape. */
export function newCapacityReview(start: ReviewStart): CapacityReview {
  return {
    format: CAPACITY_FORMAT,
    ...start,
    loadModel: 'open',
    startedAt: new Date().toISOString(),
    endedAt: null,
    tiers: [],
    steps: [],
    seedComparison: [],
    exitCode: null,
    interrupted: false,
  };
}

export interface Cost {
  monthly: number;
  currency: string;
  /** Where the figure came from: the profile's x-simulate.cost, or --cost. */
  source: string;
}

export interface CapTrialRecord {
  capBytes: number;
  /** No OOM kill and the latency and error targets met at the target rate. */
  pass: boolean;
  /** …and the profile's free-memory margin kept (cap − peak working set ≥ min_free). */
  passWithMargin: boolean;
  oomKills: string[];
  peakWorkingSetBytes: number | null;
  avgMs: number;
  p99Ms: number;
  errorRate: number;
  reasons: string[];
  runDir?: string;
  /** Why this cap was tried: the VPA start, a bump after a fail, a bisection, the 80 % check. */
  why: string;
  /** How its fresh stack warmed up (until steady state, or stopped at the bound before it). */
  warmUp?: string;
}

export interface SmallestCap {
  /**
   * Smallest cap with no OOM kill and the latency and error targets met in every one of its fresh runs
   * (CONFIRM_RUNS of them): the bisection's pass, or 64 MiB steps above it (null: none found or none held).
   */
  noOomLatencyBytes: number | null;
  /** The bisection's smallest pass (one run), before the confirmation. */
  firstPassBytes: number | null;
  /** noOomLatencyBytes + VPA's 15 % safety margin, rounded up to 64 MiB: what to provision. */
  recommendedBytes: number | null;
  /** How the figure was confirmed (pass rates of the caps run again), one line. */
  confirmation: string;
  passRates: Array<{ capBytes: number; runs: number; passes: number }>;
  /** Smallest cap that also keeps the free-memory margin (null: none found). */
  withMarginBytes: number | null;
  /** Peaks the search started from (bytes) and the VPA start it gave. */
  startPeaksBytes: number[];
  vpaStartBytes: number;
  /**
   * The runs at 80 % of the smallest passing cap: it must not pass (as the cap had to: 2 of 2 fresh runs) for
   * the figure to mean anything. A first pass is run again; `pass` = every run passed, CONFIRM_RUNS of them.
   */
  check80?: { capBytes: number; pass: boolean; runs: number; passes: number; reasons: string[] };
  trials: CapTrialRecord[];
  status: string;
}

export interface AtTargetRate {
  rate: number;
  avgMs: number;
  p50Ms: number;
  p99Ms: number;
  errorRate: number;
  okRps: number;
  cacheHitRate: number | null;
  pass: boolean;
  reasons: string[];
}

export interface TierResult {
  /** Profile name (2gb, 4gb, 8gb) or the target's host. */
  profile: string;
  /** The cap this row was measured under (bytes; null for --target). */
  capBytes: number | null;
  /** The profile's own tier (the one whose verdict sets the exit code). */
  ownTier: boolean;
  cost: Cost | null;
  search: SearchResult;
  atTarget: AtTargetRate | null;
  peakWorkingSetBytes: number | null;
  oomKills: number;
  /** What broke first as the rate rose (the first failing step's first reason). */
  brokeFirst: string | null;
  smallestCap: SmallestCap | null;
  /** PASS: at the target rate every target held and the free-memory margin was kept. */
  verdict: 'PASS' | 'FAIL' | 'not judged';
  verdictWhy: string[];
  /** cost per month / (max sustained / 100); null without a cost or a max. */
  costPer100Rps: number | null;
  /** How the stack was run across steps: 'kept' between steps, or restarted (and why). */
  stackNotes: string[];
  runDirs: string[];
}

export interface SeedComparisonRow {
  tier: string;
  metric: 'cache hit rate' | 'average latency' | 'max throughput' | 'p99 latency' | 'memory available' | 'stability' | 'cost';
  seed: string;
  measured: string;
  /** How the measured figure was obtained. */
  how: string;
}

export interface CapacityReview {
  format: typeof CAPACITY_FORMAT;
  id: string;
  mode: 'target' | 'profile';
  profile: string | null;
  target: string | null;
  quick: boolean;
  loadModel: 'open';
  startedAt: string;
  endedAt: string | null;
  limits: StepLimits;
  targetRate: number | null;
  timing: { warmupS: number; measureS: number; confirmS: number };
  tiers: TierResult[];
  steps: StepRecord[];
  seedComparison: SeedComparisonRow[];
  exitCode: number | null;
  interrupted: boolean;
  notes: string[];
}

export function costPer100(cost: Cost | null, maxRate: number | null): number | null {
  if (!cost || !maxRate || maxRate <= 0) return null;
  return Math.round((cost.monthly / (maxRate / 100)) * 100) / 100;
}
