/**
 * How a review shows its search as it goes, on stderr: step k of about n, the rate now, each step's result,
 * time left. Plain lines (CI, pipes, and the terminal: a review is a sequence of runs, each line final), or
 * one JSON object per line with --json. Only renders what it is given.
 */
import { formatDuration } from '../report/format.ts';
import { capLabel } from './capacity-files.ts';
import type { StepAnnouncement, StepRecord } from './search-rate.ts';

export interface CapacityProgress {
  note(text: string): void;
  stepStart(a: StepAnnouncement & { reviewLeftS?: number }): void;
  stepEnd(r: StepRecord): void;
}

const r1 = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

function where(tier: string, capBytes: number | null): string {
  return capBytes === null ? tier : `${tier} @ ${capLabel(capBytes)}`;
}

export function formatStepStart(a: StepAnnouncement & { reviewLeftS?: number }): string {
  const left = a.reviewLeftS ?? a.searchLeftS;
  return `[${where(a.tier, a.capBytes)}] step ${a.index} of about ${a.aboutTotal}: ${a.rate} req/s (${a.kind === 'confirm' ? 'confirming, full length' : a.kind === 'verdict' ? 'the verdict at the target rate, after steady state' : a.phase}), ~${formatDuration(a.stepS)}; about ${formatDuration(left)} left`;
}

export function formatStepEnd(r: StepRecord): string {
  const m = r.measurement;
  const figures = `completed ${r1(r.verdict.okRps)}/s, avg ${r1(m.avgMs)} ms, p99 ${r1(m.p99Ms)} ms, errors ${(r.verdict.errorRate * 100).toFixed(1)} %${m.peakWorkingSetBytes !== undefined ? `, peak ${Math.round(m.peakWorkingSetBytes / 1024 / 1024)} MiB` : ''}${typeof r.cacheHitRate === 'number' ? `, hit rate ${(r.cacheHitRate * 100).toFixed(1)} %` : ''}`;
  const result = r.verdict.outcome === 'pass' ? 'PASS' : r.verdict.outcome === 'fail' ? 'FAIL' : 'HARNESS-LIMITED';
  const why = r.verdict.reasons.length ? `: ${r.verdict.reasons.join('; ')}` : '';
  const stack = r.stack === 'restarted' || r.stack === 'started' ? ` [stack ${r.stack}${r.note ? `: ${r.note}` : ''}]` : '';
  return `[${where(r.tier, r.capBytes)}] step ${r.index}: ${r.rate} req/s → ${result}${why} (${figures})${stack}${r.warmUp ? ` [${r.warmUp}]` : ''}`;
}

export function createCapacityProgress(opts: { json: boolean; stderr: NodeJS.WritableStream; stdout: NodeJS.WritableStream }): CapacityProgress {
  if (opts.json) {
    const out = (o: unknown) => opts.stdout.write(`${JSON.stringify(o)}\n`);
    return {
      note: (text) => out({ type: 'note', text }),
      stepStart: (a) => out({ type: 'step-start', ...a }),
      stepEnd: (r) => out({ type: 'step-end', tier: r.tier, capBytes: r.capBytes, index: r.index, rate: r.rate, kind: r.kind, outcome: r.verdict.outcome, reasons: r.verdict.reasons, measurement: r.measurement, stack: r.stack }),
    };
  }
  return {
    note: (text) => opts.stderr.write(`${text}\n`),
    stepStart: (a) => opts.stderr.write(`${formatStepStart(a)}\n`),
    stepEnd: (r) => opts.stderr.write(`${formatStepEnd(r)}\n`),
  };
}
