/**
 * The review's files in results/<id>/: capacity-steps.csv (a row per step, appended as each ends, so an
 * interrupted review keeps them), capacity.csv (a row per tier), capacity.json (the whole review), and
 * seed-vs-measured.csv (the seed's tier table beside what was measured), and report.html (the page of it all).
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFolderReport } from '../report/html/index.ts';
import { CsvFile, csvLine } from '../util/csv-file.ts';
import { debug } from '../util/debug.ts';
import type { CapacityReview, TierResult } from './review.ts';
import type { StepRecord } from './search-rate.ts';

const MiB = 1024 * 1024;
const mib = (b: number | null | undefined) => (b === null || b === undefined ? '' : Math.round(b / MiB));
const r1 = (n: number) => Math.round(n * 10) / 10;

export const STEPS_HEADER = [
  'tier', 'cap_mib', 'step', 'kind', 'phase', 'offered_rps', 'completed_rps', 'avg_ms', 'p50_ms', 'p99_ms', 'errors', 'timeouts', 'dropped', 'error_rate',
  'peak_working_set_mib', 'oom_kills', 'result', 'why', 'generator_cpu_cores', 'generator_lag_p99_ms', 'stack', 'warmup_s', 'measured_s', 'started_at', 'note',
];

export function stepRow(s: StepRecord): unknown[] {
  const m = s.measurement;
  return [
    s.tier, mib(s.capBytes), s.index, s.kind, s.phase, m.offeredRps, r1(s.verdict.okRps), r1(m.avgMs), r1(m.p50Ms), r1(m.p99Ms), m.errors, m.timeouts, m.dropped,
    Math.round(s.verdict.errorRate * 10000) / 10000, mib(m.peakWorkingSetBytes), m.oomKills.length, s.verdict.outcome, s.verdict.reasons.join('; '),
    Math.round(m.harness.cpuCores * 100) / 100, r1(m.harness.loopLagP99Ms), s.stack, s.warmupS, s.measureS, s.startedAt, [s.warmUp, s.note].filter(Boolean).join('; '),
  ];
}

export const TIERS_HEADER = [
  'profile', 'cap', 'cost_per_month', 'currency', 'max_sustained_rps', 'search', 'target_rps', 'avg_ms_at_target', 'p99_ms_at_target', 'peak_working_set_mib',
  'smallest_passing_cap_mib', 'recommended_cap_mib', 'smallest_cap_with_margin_mib', 'oom_kills', 'verdict', 'broke_first', 'cost_per_100_rps',
];

export function tierRow(t: TierResult, targetRate: number | null): unknown[] {
  return [
    t.profile, t.capBytes === null ? '' : capLabel(t.capBytes), t.cost?.monthly ?? '', t.cost?.currency ?? '', t.search.maxRate ?? '', t.search.status, targetRate ?? '',
    t.atTarget ? r1(t.atTarget.avgMs) : '', t.atTarget ? r1(t.atTarget.p99Ms) : '', mib(t.peakWorkingSetBytes),
    mib(t.smallestCap?.noOomLatencyBytes), mib(t.smallestCap?.recommendedBytes), mib(t.smallestCap?.withMarginBytes), t.oomKills, t.verdict, t.brokeFirst ?? '', t.costPer100Rps ?? '',
  ];
}

export function capLabel(bytes: number): string {
  const g = bytes / 1024 ** 3;
  return Number.isInteger(g) ? `${g}g` : `${Math.round(bytes / MiB)}m`;
}

export class CapacityFiles {
  private readonly steps: CsvFile;

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.steps = new CsvFile(path.join(dir, 'capacity-steps.csv'), STEPS_HEADER);
  }

  step(s: StepRecord): void {
    this.steps.append(stepRow(s));
  }

  /** Rewritten whole each time: the review so far (a tier at a time), then the final one. */
  write(review: CapacityReview): void {
    fs.writeFileSync(path.join(this.dir, 'capacity.json'), `${JSON.stringify(review, null, 2)}\n`);
    fs.writeFileSync(path.join(this.dir, 'capacity.csv'), csvLine(TIERS_HEADER) + review.tiers.map((t) => csvLine(tierRow(t, review.targetRate))).join(''));
    if (review.seedComparison.length) {
      fs.writeFileSync(
        path.join(this.dir, 'seed-vs-measured.csv'),
        csvLine(['tier', 'metric', 'seed', 'measured', 'how']) + review.seedComparison.map((r) => csvLine([r.tier, r.metric, r.seed, r.measured, r.how])).join(''),
      );
    }
    // report.html, redrawn with the files: an interrupted review keeps the page of what it did. A page that
    // cannot be drawn never stops the review; the review's text names it missing.
    try {
      writeFolderReport(this.dir);
      this.reportError = undefined;
    } catch (err) {
      this.reportError = (err as Error).message;
      debug('capacity', `report.html not written: ${this.reportError}`);
    }
  }

  /** Why report.html could not be written, when it could not. */
  reportError?: string;

  close(): void {
    this.steps.close();
  }
}
