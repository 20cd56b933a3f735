/**
 * The review as text on stdout: the tier table (what capacity.csv holds), the smallest caps, and the seed's
 * comparison beside what was measured. Renders the review; computes nothing.
 */
import { renderTable, type Column } from '../report/reporters/text-table.ts';
import { capLabel } from './capacity-files.ts';
import type { CapacityReview } from './review.ts';

const MiB = 1024 * 1024;
const mib = (b: number | null | undefined) => (b === null || b === undefined ? '-' : `${Math.round(b / MiB)} MiB`);
const ms = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(n < 10 ? 1 : 0)} ms`);

export function renderReviewText(r: CapacityReview): string {
  const out: string[] = [];
  out.push(`Capacity review${r.profile ? ` of ${r.profile}` : ` of ${r.target}`}${r.quick ? ' (quick)' : ''}: limits avg <= ${r.limits.avgLatencyMs} ms, p99 < ${r.limits.p99Ms} ms, errors <= ${(r.limits.maxErrorRate * 100).toFixed(1)} %${r.targetRate ? `; target rate ${r.targetRate} req/s` : ''}`);
  out.push(`Load: open model, each step judged over its own window (${r.timing.warmupS} s warm-up, ${r.timing.measureS} s measured, confirmation ${r.timing.confirmS} s)`);
  out.push('');
  const cols: Column[] = [
    { header: 'TIER' },
    { header: 'CAP', align: 'right' },
    { header: 'COST/MONTH', align: 'right' },
    { header: 'MAX SUSTAINED', align: 'right' },
    { header: 'AVG@TARGET', align: 'right' },
    { header: 'P99@TARGET', align: 'right' },
    { header: 'PEAK WS', align: 'right' },
    { header: 'SMALLEST CAP', align: 'right' },
    { header: '+MARGIN', align: 'right' },
    { header: 'OOM', align: 'right' },
    { header: 'VERDICT' },
    { header: 'COST/100 REQ/S', align: 'right' },
    { header: 'BROKE FIRST', shrink: true },
  ];
  const rows = r.tiers.map((t) => [
    `${t.profile}${t.ownTier && r.mode === 'profile' ? '*' : ''}`,
    t.capBytes === null ? '-' : capLabel(t.capBytes),
    t.cost ? `${t.cost.monthly} ${t.cost.currency}` : '-',
    t.search.maxRate === null ? `none (${t.search.status})` : `${t.search.maxRate} req/s${t.search.status === 'found' ? '' : ` (${t.search.status})`}`,
    t.atTarget ? ms(t.atTarget.avgMs) : '-',
    t.atTarget ? ms(t.atTarget.p99Ms) : '-',
    mib(t.peakWorkingSetBytes),
    mib(t.smallestCap?.noOomLatencyBytes),
    mib(t.smallestCap?.withMarginBytes),
    String(t.oomKills),
    t.verdict,
    t.costPer100Rps === null ? '-' : `${t.costPer100Rps} ${t.cost?.currency ?? ''}`.trim(),
    t.brokeFirst ?? '-',
  ]);
  out.push(...renderTable(cols, rows));
  for (const t of r.tiers) {
    out.push('');
    out.push(`${t.profile}${t.capBytes !== null ? ` @ ${capLabel(t.capBytes)}` : ''}: ${t.search.summary}`);
    for (const why of t.verdictWhy) if (why !== t.search.summary) out.push(`  verdict: ${why}`);
    for (const n of t.stackNotes) out.push(`  stack: ${n}`);
    const sc = t.smallestCap;
    if (sc) {
      out.push(`  smallest cap: started from VPA's P90 of peaks + 15 % = ${mib(sc.vpaStartBytes)} (peaks ${sc.startPeaksBytes.map(mib).join(', ')}); tried ${sc.trials.map((x) => `${mib(x.capBytes)} ${x.pass ? (x.passWithMargin ? 'pass+margin' : 'pass') : 'FAIL'}`).join(', ')}`);
      out.push(`  smallest cap confirmed by repeat runs: ${sc.confirmation}`);
      if (sc.check80) out.push(`  check: at 80 % of ${mib(sc.noOomLatencyBytes)} (${mib(sc.check80.capBytes)}) ${sc.check80.passes} of ${sc.check80.runs} fresh runs passed: ${sc.check80.pass ? 'it passes too (so the figure is not tight)' : `it does not pass (${sc.check80.reasons.join('; ')})`}`);
    }
  }
  if (r.seedComparison.length) {
    out.push('');
    out.push('The seed\'s tier table beside what was measured:');
    out.push(
      ...renderTable(
        [{ header: 'TIER' }, { header: 'METRIC' }, { header: 'SEED' }, { header: 'MEASURED' }, { header: 'HOW', shrink: true }],
        r.seedComparison.map((c) => [c.tier, c.metric, c.seed, c.measured, c.how]),
      ),
    );
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  out.push(`Exit ${r.exitCode}${r.mode === 'profile' ? ' (from the profile\'s own tier, marked *)' : ''}`);
  return `${out.join('\n')}\n`;
}
