/**
 * The smallest memory cap at which the stack passes at its target rate. The first guess is Kubernetes VPA's
 * recommender: the P90 of the peaks seen plus a 15 % safety margin, and after an OOM kill the larger of
 * +100 MiB and ×1.2 (autoscaler/vertical-pod-autoscaler recommender: `safetyMarginFraction` 0.15,
 * `OOMBumpUpRatio` 1.2, `OOMMinBumpUp` 100 MiB). VPA stops there; we then bisect between a cap that failed and
 * one that passed until they are 64 MiB apart, so the figure is measured, not a margin on a guess.
 * Pure: it only decides the next cap from the outcomes it was told.
 */

export const MiB = 1024 * 1024;
export const CAP_GRANULARITY = 64 * MiB;
export const VPA_SAFETY_MARGIN = 0.15;
export const VPA_OOM_BUMP_RATIO = 1.2;
export const VPA_OOM_MIN_BUMP = 100 * MiB;
/** Below the smallest pass and no fail seen yet: try this share of it (also the "80 % of it fails" check). */
export const DOWN_STEP = 0.8;

export interface CapSearchOptions {
  /** Peak working sets measured so far at the target rate (bytes); the P90 of them seeds the first guess. */
  peaks: number[];
  /** Never go above this (the host's memory, or the tier's cap × 2). */
  maxCapBytes: number;
  /** Never below this. Default 64 MiB. */
  minCapBytes?: number;
  granularity?: number;
  /** Start here instead of VPA's P90 + 15 % (the free-memory search starts from peak + margin). */
  startBytes?: number;
}

export interface CapTrial {
  capBytes: number;
  pass: boolean;
  oomKilled: boolean;
  peakBytes?: number;
}

export type CapSearchStatus = 'found' | 'none-passed' | 'all-passed';

export class CapSearch {
  private readonly gran: number;
  private readonly minCap: number;
  private readonly maxCap: number;
  private readonly trials: CapTrial[] = [];
  private current: number | undefined;
  private status?: CapSearchStatus;

  constructor(readonly opts: CapSearchOptions) {
    this.gran = opts.granularity ?? CAP_GRANULARITY;
    this.minCap = opts.minCapBytes ?? CAP_GRANULARITY;
    this.maxCap = opts.maxCapBytes;
    this.current = this.clamp(roundUp(opts.startBytes ?? vpaStart(opts.peaks), this.gran));
  }

  /** The cap to try now (bytes), or undefined when the search is over. */
  next(): number | undefined {
    return this.status ? undefined : this.current;
  }

  get done(): boolean {
    return this.status !== undefined;
  }

  record(trial: Omit<CapTrial, 'capBytes'>): void {
    if (this.current === undefined || this.status) throw new Error('the search is over');
    this.trials.push({ capBytes: this.current, ...trial });
    const pass = this.smallestPass();
    const fail = this.largestFailBelow(pass);
    if (pass === undefined) {
      // Nothing passed yet: grow as VPA does after an OOM kill (the same bump after a latency miss).
      const last = this.current;
      const bumped = roundUp(Math.max(last + VPA_OOM_MIN_BUMP, last * VPA_OOM_BUMP_RATIO), this.gran);
      if (last >= this.maxCap) return this.finish('none-passed');
      this.current = Math.min(bumped, this.maxCap);
      return;
    }
    if (fail === undefined) {
      if (pass <= this.minCap) return this.finish('all-passed');
      this.current = this.clamp(roundDown(pass * DOWN_STEP, this.gran));
      if (this.current >= pass) return this.finish('all-passed');
      return;
    }
    if (pass - fail <= this.gran) return this.finish('found');
    const mid = roundDown((pass + fail) / 2, this.gran);
    this.current = mid > fail && mid < pass ? mid : fail + this.gran;
    if (this.current >= pass) return this.finish('found');
  }

  result(): { status: CapSearchStatus; smallestPassBytes: number | null; largestFailBytes: number | null; trials: CapTrial[] } {
    const pass = this.smallestPass();
    return { status: this.status ?? 'none-passed', smallestPassBytes: pass ?? null, largestFailBytes: this.largestFailBelow(pass) ?? null, trials: [...this.trials] };
  }

  /** Rough count of trials still to come. */
  remainingEstimate(): number {
    if (this.status) return 0;
    const pass = this.smallestPass();
    const fail = this.largestFailBelow(pass);
    if (pass !== undefined && fail !== undefined) return Math.max(1, Math.ceil(Math.log2((pass - fail) / this.gran)));
    return 4;
  }

  private smallestPass(): number | undefined {
    const passes = this.trials.filter((t) => t.pass).map((t) => t.capBytes);
    return passes.length ? Math.min(...passes) : undefined;
  }

  private largestFailBelow(limit: number | undefined): number | undefined {
    const fails = this.trials.filter((t) => !t.pass && (limit === undefined || t.capBytes < limit)).map((t) => t.capBytes);
    return fails.length ? Math.max(...fails) : undefined;
  }

  private clamp(b: number): number {
    return Math.min(this.maxCap, Math.max(this.minCap, b));
  }

  private finish(status: CapSearchStatus): void {
    this.status = status;
  }
}

/** VPA's first recommendation from the peaks seen: their P90 plus the 15 % safety margin. */
export function vpaStart(peaks: number[]): number {
  return p90(peaks) * (1 + VPA_SAFETY_MARGIN);
}

/** Nearest-rank P90 (VPA's histogram percentile is close to this for a handful of samples). */
export function p90(values: number[]): number {
  if (values.length === 0) throw new Error('no peaks to start from');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.9 * sorted.length) - 1)]!;
}

export function roundUp(b: number, gran: number): number {
  return Math.ceil(b / gran) * gran;
}

export function roundDown(b: number, gran: number): number {
  return Math.floor(b / gran) * gran;
}

/** Fresh runs a cap must pass, all of them, before it is reported: one pass near the working set is luck. */
export const CONFIRM_RUNS = 2;
/** Steps of 64 MiB the confirmation may climb above the bisection's pass before it gives up. */
export const MAX_CONFIRM_STEP_UPS = 3;

export interface CapPassRate {
  capBytes: number;
  runs: number;
  passes: number;
}

export interface CapConfirmResult {
  status: 'confirmed' | 'not-reproducible';
  /** Smallest cap (≥ the bisection's pass) whose every fresh run passed, CONFIRM_RUNS of them; null when none did. */
  confirmedBytes: number | null;
  /** That cap with VPA's safety margin on top (+15 %, rounded up to 64 MiB): what to provision. */
  recommendedBytes: number | null;
  /** Every cap the confirmation looked at, with its runs (the bisection's run included). */
  passRates: CapPassRate[];
  /** One line: how the figure was confirmed. */
  how: string;
}

/**
 * The bisection's smallest pass is one run at a cap close to the working set, where the kernel reclaims
 * hard: a re-run there can stall (seen here: 768 MiB passed, then failed with 100 % timeouts, no OOM kill).
 * So the cap is run again on a fresh stack until it has passed CONFIRM_RUNS runs; a failed run moves the
 * cap up by 64 MiB, which again needs CONFIRM_RUNS passes. The runs the bisection already made count.
 * Pure: it only decides the next cap from the outcomes it was told.
 */
export class CapConfirm {
  private readonly counts = new Map<number, CapPassRate>();
  private cap: number;
  private stepUps = 0;
  private status?: CapConfirmResult['status'];
  private readonly gran: number;
  private readonly runsNeeded: number;

  constructor(
    readonly firstPassBytes: number,
    prior: Array<{ capBytes: number; pass: boolean }>,
    readonly opts: { maxCapBytes: number; granularity?: number; runs?: number; maxStepUps?: number },
  ) {
    this.gran = opts.granularity ?? CAP_GRANULARITY;
    this.runsNeeded = opts.runs ?? CONFIRM_RUNS;
    for (const p of prior) this.count(p.capBytes, p.pass);
    this.cap = firstPassBytes;
    this.settle();
  }

  /** The cap to run again now (a fresh stack), or undefined when the confirmation is over. */
  next(): number | undefined {
    return this.status ? undefined : this.cap;
  }

  record(pass: boolean): void {
    if (this.status) throw new Error('the confirmation is over');
    this.count(this.cap, pass);
    this.settle();
  }

  /** Runs still to come, at least. */
  remainingEstimate(): number {
    if (this.status) return 0;
    const c = this.counts.get(this.cap);
    return this.runsNeeded - (c?.runs ?? 0);
  }

  result(): CapConfirmResult {
    const confirmed = this.status === 'confirmed' ? this.cap : null;
    const recommended = confirmed === null ? null : roundUp(confirmed * (1 + VPA_SAFETY_MARGIN), this.gran);
    const passRates = [...this.counts.values()].filter((c) => c.capBytes >= this.firstPassBytes).sort((a, b) => a.capBytes - b.capBytes);
    const rate = (c: CapPassRate) => `${Math.round(c.capBytes / MiB)} MiB passed ${c.passes} of ${c.runs}`;
    const below = passRates.filter((c) => confirmed === null || c.capBytes < confirmed);
    const how =
      confirmed !== null
        ? `${rate(this.counts.get(confirmed)!)} fresh runs${below.length ? ` (${below.map(rate).join(', ')})` : ''}; +15 % (VPA's safety margin) → ${Math.round(recommended! / MiB)} MiB`
        : this.status
          ? `no cap passed ${this.runsNeeded} of ${this.runsNeeded} fresh runs within ${this.opts.maxStepUps ?? MAX_CONFIRM_STEP_UPS} steps of 64 MiB: ${passRates.map(rate).join(', ')}`
          : 'interrupted before the confirmation ended';
    return {
      status: this.status ?? 'not-reproducible',
      confirmedBytes: confirmed,
      recommendedBytes: recommended,
      passRates,
      how,
    };
  }

  private count(capBytes: number, pass: boolean): void {
    const c = this.counts.get(capBytes) ?? { capBytes, runs: 0, passes: 0 };
    c.runs++;
    if (pass) c.passes++;
    this.counts.set(capBytes, c);
  }

  /** Decide from the counts at the current cap: confirmed, run again, or step up. */
  private settle(): void {
    for (;;) {
      const c = this.counts.get(this.cap);
      if (!c || c.passes === c.runs) {
        if (c && c.runs >= this.runsNeeded) this.status = 'confirmed';
        return;
      }
      // A failed run at this cap: it is not the figure. One step of 64 MiB up, if allowed.
      const up = this.cap + this.gran;
      if (this.stepUps >= (this.opts.maxStepUps ?? MAX_CONFIRM_STEP_UPS) || up > this.opts.maxCapBytes) {
        this.status = 'not-reproducible';
        return;
      }
      this.stepUps++;
      this.cap = up;
    }
  }
}
