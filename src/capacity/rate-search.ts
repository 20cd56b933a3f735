/**
 * The search for the highest arrival rate that holds every target, after Envoy Nighthawk's exponential-search
 * step controller (source/adaptive_load/step_controller_impl.h): double the rate from a start value until a
 * step fails, then bisect between the last pass and the first fail until they are within a tolerance (5 %
 * here; Nighthawk converges at 1 %, but each of our steps costs tens of seconds of a real stack), then
 * confirm with one full-length step at the rate found.
 *
 * Two departures, both said in the result:
 * - A failing start rate is not "doomed" as in Nighthawk: the rate is halved until a step passes (a small tier
 *   still has a capacity worth knowing), down to `minRate`.
 * - A step where the load generator could not send what was offered is harness-limited. Its figures say
 *   nothing about the stack, so the search stops there and reports the last pass as a lower bound.
 *
 * Pure: it only decides the next rate from the outcomes it was told.
 */

export type StepOutcome = 'pass' | 'fail' | 'harness-limited';
/** 'verdict': not the search's, the --quick review's last step at the target rate, on a stack at steady state. */
export type StepKind = 'probe' | 'confirm' | 'verdict';
export type SearchPhase = 'doubling' | 'halving' | 'bisecting' | 'confirming' | 'verdict' | 'done';

export interface RateSearchOptions {
  /** First rate tried, req/s. */
  startRate: number;
  /** Stop bisecting when (firstFail − lastPass) / lastPass ≤ this. Default 0.05. */
  tolerance?: number;
  /**
   * Never offer more than this (a sanity bound). Default 1 000 000: well above what one engine can send
   * (`npm run bench`: ~60-80k req/s here), so a fast server's search ends at the generator's own limit,
   * judged harness-limited from its figures, not at this bound. At the former 100 000 the engine had come
   * to keep up, and a search reported the stack "above" the bound instead.
   */
  maxRate?: number;
  /** Halving stops below this. Default 1. */
  minRate?: number;
  /** Confirmations tried before giving up (a failed confirmation moves the bound down). Default 2. */
  maxConfirmations?: number;
}

export interface PlannedStep {
  rate: number;
  kind: StepKind;
  /** Run it at full length: a confirmation, or any step after a confirmation showed that short steps over-estimate. */
  fullLength: boolean;
  phase: Exclude<SearchPhase, 'done'>;
}

export type SearchStatus =
  /** maxRate is the highest rate that passed, within tolerance of one that failed, and a full-length step confirmed it. */
  | 'found'
  /** The generator could not send what was offered: maxRate (if any) is only a lower bound. */
  | 'harness-limited'
  /** Even `minRate` failed. */
  | 'none-passed'
  /** `maxRate` passed: the stack's limit is above what the search may offer. */
  | 'above-max'
  /** The confirmation steps failed each time: the figure is not stable. */
  | 'not-confirmed';

export interface SearchResult {
  status: SearchStatus;
  /** Highest rate that passed (and was confirmed when status is 'found'); null when none passed. */
  maxRate: number | null;
  /** Lowest rate that failed (null when none did). */
  firstFail: number | null;
  /** Offered rate of the harness-limited step, when that ended the search. */
  harnessLimitedAt?: number;
  steps: number;
  /** One line a person reads. */
  summary: string;
}

export class RateSearch {
  private readonly tolerance: number;
  private readonly maxRate: number;
  private readonly minRate: number;
  private readonly maxConfirmations: number;
  private phase: SearchPhase = 'doubling';
  private current: number;
  private lastPass: number | null = null;
  private firstFail: number | null = null;
  private passes: number[] = [];
  private confirmations = 0;
  private harnessLimitedAt?: number;
  private status?: SearchStatus;
  private stepsDone = 0;
  private longSteps = false;

  constructor(opts: RateSearchOptions) {
    if (!(opts.startRate > 0)) throw new Error(`start rate must be positive, got ${opts.startRate}`);
    this.tolerance = opts.tolerance ?? 0.05;
    this.maxRate = opts.maxRate ?? 1_000_000;
    this.minRate = opts.minRate ?? 1;
    this.maxConfirmations = opts.maxConfirmations ?? 2;
    this.current = roundRate(Math.min(opts.startRate, this.maxRate));
  }

  get done(): boolean {
    return this.phase === 'done';
  }

  /** The step to run now, or undefined when the search is over. */
  next(): PlannedStep | undefined {
    if (this.phase === 'done') return undefined;
    const kind = this.phase === 'confirming' ? 'confirm' : 'probe';
    return { rate: this.current, kind, fullLength: kind === 'confirm' || this.longSteps, phase: this.phase };
  }

  /** What the step returned by next() gave. */
  record(outcome: StepOutcome): void {
    if (this.phase === 'done') throw new Error('the search is over');
    this.stepsDone++;
    const rate = this.current;
    if (outcome === 'harness-limited') {
      this.harnessLimitedAt = rate;
      return this.finish('harness-limited');
    }
    switch (this.phase) {
      case 'doubling':
        if (outcome === 'pass') {
          this.pass(rate);
          if (rate >= this.maxRate) return this.finish('above-max');
          this.current = roundRate(Math.min(rate * 2, this.maxRate));
        } else {
          this.firstFail = rate;
          if (this.lastPass === null) {
            this.phase = 'halving';
            return this.halve(rate);
          }
          this.bisectOrConfirm();
        }
        return;
      case 'halving':
        if (outcome === 'pass') {
          this.pass(rate);
          this.bisectOrConfirm();
        } else {
          this.firstFail = rate;
          this.halve(rate);
        }
        return;
      case 'bisecting':
        if (outcome === 'pass') this.pass(rate);
        else this.firstFail = rate;
        this.bisectOrConfirm();
        return;
      case 'confirming':
        this.confirmations++;
        if (outcome === 'pass') return this.finish('found');
        // The short step's pass did not hold over a full-length one: that rate is a fail now, and the bound
        // falls back to the highest pass below it (or half of it).
        this.firstFail = rate;
        this.longSteps = true;
        this.passes = this.passes.filter((r) => r < rate);
        this.lastPass = this.passes.length ? Math.max(...this.passes) : null;
        if (this.confirmations >= this.maxConfirmations) return this.finish('not-confirmed');
        if (this.lastPass === null) {
          this.phase = 'halving';
          return this.halve(rate);
        }
        this.bisectOrConfirm();
        return;
    }
  }

  /** Steps still to come, roughly: for "step k of about n". */
  remainingEstimate(): number {
    const bisectSteps = (lo: number, hi: number) => Math.max(0, Math.ceil(Math.log2((hi - lo) / (this.tolerance * lo))));
    switch (this.phase) {
      case 'done':
        return 0;
      case 'doubling':
        // One more doubling that fails is the usual guess, then a bisection of the last octave and a confirmation.
        return 1 + bisectSteps(this.current / 2, this.current) + 1;
      case 'halving':
        return 1 + bisectSteps(this.current, this.current * 2) + 1;
      case 'bisecting':
        return bisectSteps(this.lastPass!, this.firstFail!) + 1;
      case 'confirming':
        return 1;
      case 'verdict':
        return 0;
    }
  }

  get stepsRun(): number {
    return this.stepsDone;
  }

  result(): SearchResult {
    const status = this.status ?? 'not-confirmed';
    return { status, maxRate: status === 'none-passed' ? null : this.lastPass, firstFail: this.firstFail, harnessLimitedAt: this.harnessLimitedAt, steps: this.stepsDone, summary: this.summary(status) };
  }

  private summary(status: SearchStatus): string {
    const pass = this.lastPass;
    switch (status) {
      case 'found':
        return `${pass} req/s sustained (confirmed by a full-length step; ${this.firstFail ?? '?'} req/s failed)`;
      case 'harness-limited':
        return `harness-limited at ${this.harnessLimitedAt} req/s offered: the load generator could not send it, so this is the generator's limit, not the stack's${pass !== null ? `; the stack sustained at least ${pass} req/s` : ''}`;
      case 'none-passed':
        return `no rate passed, down to ${this.firstFail} req/s`;
      case 'above-max':
        return `${pass} req/s passed, the most the search may offer: the limit is higher`;
      case 'not-confirmed':
        return `not confirmed: full-length steps failed where short ones passed${pass !== null ? ` (last short pass ${pass} req/s)` : ''}`;
    }
  }

  private pass(rate: number): void {
    this.passes.push(rate);
    this.lastPass = this.lastPass === null ? rate : Math.max(this.lastPass, rate);
  }

  private halve(rate: number): void {
    const next = roundRate(rate / 2);
    if (next < this.minRate || next >= rate) return this.finish('none-passed');
    this.current = next;
  }

  private bisectOrConfirm(): void {
    const lo = this.lastPass!;
    const hi = this.firstFail;
    if (hi === null) return; // still doubling
    const mid = roundRate((lo + hi) / 2);
    if ((hi - lo) / lo <= this.tolerance || mid <= lo || mid >= hi) {
      this.phase = 'confirming';
      this.current = lo;
    } else {
      this.phase = 'bisecting';
      this.current = mid;
    }
  }

  private finish(status: SearchStatus): void {
    this.phase = 'done';
    this.status = status;
  }
}

/** Whole requests per second: a step offers an integer rate. */
function roundRate(r: number): number {
  return Math.max(1, Math.round(r));
}

/**
 * Run a whole search against a pure model of the system (tests, planning): `judge(rate, kind)` says how a
 * step at that rate went.
 */
export function searchWith(opts: RateSearchOptions, judge: (rate: number, step: PlannedStep) => StepOutcome): { result: SearchResult; steps: Array<PlannedStep & { outcome: StepOutcome }> } {
  const s = new RateSearch(opts);
  const steps: Array<PlannedStep & { outcome: StepOutcome }> = [];
  for (let step = s.next(); step; step = s.next()) {
    const outcome = judge(step.rate, step);
    steps.push({ ...step, outcome });
    s.record(outcome);
    if (steps.length > 200) throw new Error('the search does not end');
  }
  return { result: s.result(), steps };
}
