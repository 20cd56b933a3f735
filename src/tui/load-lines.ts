/**
 * Load of the last one-second window: scheduled and completed rates, latency, errors and drops,
 * each against its target (green meets it, red misses it), with rate and p99 history lines.
 */
import type { RunState } from '../model/index.ts';
import { formatCount, formatMs, formatPercent, formatRate } from '../report/format.ts';
import { liveChecks } from '../report/reporters/live-checks.ts';
import { runs, sparkline } from './glyphs.ts';
import { passTone, seg, type LineModel } from './segments.ts';
import { targetDef } from '../verdict/targets.ts';

export function loadLines(state: RunState, width: number): LineModel[] {
  const l = state.load;
  if (!l) return [[seg('Load ', 'plain', true), seg(state.phase === 'done' ? 'none was run' : 'not started yet', 'dim')]];
  const t = state.targets;
  const c = liveChecks(state);
  const judged = c.throughput !== undefined;
  const model = l.model === 'open' ? 'open' : 'closed';
  const limit = (name: string) => targetDef(name).limit(t);

  const rate: LineModel = [
    seg('Load ', 'plain', true),
    seg(`(${model}) scheduled ${formatRate(l.scheduledRps)} · done `),
    seg(formatRate(l.completedRps), passTone(c.throughput?.pass), true),
    seg(` (>= ${limit('throughput')})`, 'dim'),
    seg(` · in flight ${formatCount(l.inFlight)}`),
  ];
  const latency: LineModel = [
    seg('Latency ', 'plain', true),
    seg('avg '),
    seg(formatMs(l.avgMs), passTone(c.avg_latency?.pass), true),
    seg(` (<= ${formatMs(limit('avg_latency'))}) · p50 ${formatMs(l.p50Ms)} · p99 `, 'plain'),
    seg(formatMs(l.p99Ms), passTone(c.p99_latency?.pass), true),
    seg(` (< ${formatMs(limit('p99_latency'))}) · max ${formatMs(l.maxMs)}`),
  ];
  const errors: LineModel = [
    seg('Errors ', 'plain', true),
    seg(`${formatCount(l.errors)}/s · ${formatCount(l.totalErrors)} of ${formatCount(l.totalRequests)} `, l.errors > 0 ? 'bad' : 'plain'),
    // The rate the verdict judges: over the judged seconds so far, the warm-up left out.
    ...(c.error_rate ? [seg('judged '), seg(formatPercent(c.error_rate.value), passTone(c.error_rate.pass), true)] : []),
    seg(` (<= ${formatPercent(limit('error_rate'))})`, 'dim'),
    seg(' · dropped '),
    seg(formatCount(l.dropped), l.dropped > 0 ? 'bad' : 'plain'),
  ];
  if (!judged) errors.push(seg(' · not judged in this stage', 'dim'));

  // Two history lines side by side when there is room, else the rate alone.
  const half = Math.floor((width - 1) / 2);
  const history: LineModel = [];
  const spark = (label: string, values: number[], w: number, alertAt?: number, max?: number) => {
    history.push(seg(label, 'dim'));
    const cells = sparkline(values, Math.max(0, w - label.length), { alertAt, max });
    if (cells.length === 0) history.push(seg('-', 'dim'));
    for (const r of runs(cells)) history.push(seg(r.text, r.alert ? 'bad' : 'accent'));
  };
  if (width >= 60) {
    spark('req/s ', l.rpsHistory, half);
    const used = history.reduce((n, s) => n + s.text.length, 0);
    history.push(seg(' '.repeat(Math.max(1, half - used + 1))));
    // p99 is drawn against its target, so a healthy run sits low and a miss reaches the top.
    spark('p99 ', l.p99History, width - half - 1, t.p99Ms, Math.max(t.p99Ms, ...l.p99History));
  } else {
    spark('req/s ', l.rpsHistory, width);
  }
  return [rate, latency, errors, history];
}
