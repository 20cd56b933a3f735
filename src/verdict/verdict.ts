/**
 * The verdict: each target of the profile, measured in this run, against its limit. A missed target says
 * by how much and the second of the run at which it first broke. Pure: the run gathers the inputs.
 */
import type { LoadResult, SecondWindow } from '../load/index.ts';
import type { Targets } from '../profile/stack.ts';
import type { OomKillRecord, TargetResult, Verdict } from '../model/index.ts';

export interface VerdictInput {
  targets: Targets;
  capBytes: number;
  load?: LoadResult;
  /** Run second at which the load's second 0 began. */
  loadStartT: number;
  /** The stack's working set, one reading a second (run seconds). */
  memory: Array<{ t: number; workingSet: number }>;
  oomKills: OomKillRecord[];
  /** Cache hit rate over the measured stages, from the app's /metrics; undefined when there is no app to ask. */
  cacheHitRate?: number | null;
  standins: string[];
  interrupted: boolean;
}

/**
 * "Sustains 300 req/s": completed at the target rate, less the error budget (one failed request in
 * 18,000 is an error-rate question, not a throughput one). The live screen shows the same limit.
 */
export function throughputLimit(tg: Targets): number {
  return round2(tg.minRps * (1 - tg.maxErrorRate));
}

export function computeVerdict(input: VerdictInput): Verdict {
  const { targets: tg, load } = input;
  const results: TargetResult[] = [];
  const measured = load?.seconds.filter((w) => !w.excluded) ?? [];
  const firstSecond = (bad: (w: SecondWindow) => boolean) => {
    const w = measured.find(bad);
    return w ? input.loadStartT + w.t : undefined;
  };

  if (load) {
    const o = load.overall.aggregate;
    const measuredAny = o.count > 0;
    results.push(
      check({
        name: 'avg_latency',
        label: 'average latency',
        measured: measuredAny ? o.avgMs : null,
        limit: tg.avgLatencyMs,
        unit: 'ms',
        comparator: '<=',
        firstBroke: () => firstSecond((w) => w.completed + w.errors + w.dropped > 0 && w.latency.avgMs > tg.avgLatencyMs),
      }),
      check({
        name: 'throughput',
        label: 'throughput (completed)',
        measured: measuredAny ? o.okRps : null,
        limit: throughputLimit(tg),
        unit: 'req/s',
        comparator: '>=',
        firstBroke: () => firstSecond((w) => w.completed < throughputLimit(tg)),
        // Nothing measured: the detail says so (check's 'not measured'), not the limit's arithmetic.
        detail: !measuredAny
          ? undefined
          : o.rps < tg.minRps
            ? `the scenario offered only ${o.rps.toFixed(0)} req/s`
            : `target ${tg.minRps} req/s less the ${(tg.maxErrorRate * 100).toFixed(0)} % error budget`,
      }),
      check({
        name: 'p99_latency',
        label: 'p99 latency',
        measured: measuredAny ? o.percentiles['99'] : null,
        limit: tg.p99Ms,
        unit: 'ms',
        comparator: '<',
        firstBroke: () => firstSecond((w) => w.completed + w.errors + w.dropped > 0 && w.latency.p99Ms >= tg.p99Ms),
      }),
      check({
        name: 'error_rate',
        label: 'errors and drops',
        measured: measuredAny ? o.errorRate : null,
        limit: tg.maxErrorRate,
        unit: 'ratio',
        comparator: '<=',
        firstBroke: () =>
          firstSecond((w) => {
            const n = w.completed + w.errors + w.dropped;
            return n > 0 && (w.errors + w.dropped) / n > tg.maxErrorRate;
          }),
      }),
    );
    if (input.cacheHitRate !== undefined) {
      results.push(
        check({
          name: 'cache_hit_rate',
          label: 'cache hit rate',
          measured: input.cacheHitRate,
          limit: tg.minCacheHitRate,
          unit: 'ratio',
          comparator: '>=',
          detail: input.cacheHitRate === null ? 'the app did not answer /metrics' : undefined,
        }),
      );
    }
  }

  // `--target` runs have no stack and no cap: memory targets do not apply.
  if (input.capBytes > 0) results.push(...memoryTargets(input));

  return {
    pass: !input.interrupted && results.every((r) => r.pass),
    model: load?.model ?? 'none',
    targets: results,
    oomKills: input.oomKills,
    standins: input.standins,
    interrupted: input.interrupted,
  };
}

function memoryTargets(input: VerdictInput): TargetResult[] {
  const tg = input.targets;
  const results: TargetResult[] = [];
  const kills = input.oomKills.length;
  results.push(
    check({
      name: 'oom_kills',
      label: 'OOM kills',
      measured: kills,
      limit: tg.maxOomKills,
      unit: 'count',
      comparator: '<=',
      firstBroke: () => input.oomKills[tg.maxOomKills]?.t,
      detail: kills ? input.oomKills.map((k) => `${k.service} at ${k.t}s`).join(', ') : undefined,
    }),
  );
  // A loop, not Math.max(...spread): a long run sampled often has more readings than the call stack takes arguments.
  const peak = input.memory.reduce((max, m) => Math.max(max, m.workingSet), 0);
  results.push(
    check({
      name: 'free_memory',
      label: 'memory left free (cap − peak)',
      measured: input.memory.length ? input.capBytes - peak : null,
      limit: tg.minFreeBytes,
      unit: 'bytes',
      comparator: '>=',
      firstBroke: () => input.memory.find((m) => input.capBytes - m.workingSet < tg.minFreeBytes)?.t,
    }),
  );
  return results;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function check(c: {
  name: string;
  label: string;
  measured: number | null;
  limit: number;
  unit: TargetResult['unit'];
  comparator: TargetResult['comparator'];
  firstBroke?: () => number | undefined;
  detail?: string;
}): TargetResult {
  const m = c.measured;
  const pass =
    m !== null && Number.isFinite(m) && (c.comparator === '<=' ? m <= c.limit : c.comparator === '>=' ? m >= c.limit : m < c.limit);
  return {
    name: c.name,
    label: c.label,
    measured: m,
    limit: c.limit,
    unit: c.unit,
    comparator: c.comparator,
    pass,
    ...(pass ? {} : { firstBrokeAtS: c.firstBroke?.() }),
    ...(c.detail ? { detail: c.detail } : m === null ? { detail: 'not measured' } : {}),
  };
}
