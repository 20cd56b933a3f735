/**
 * The seed's claims as experiments. Each claim names two arms (sets of --set overrides on the 4gb
 * profile), a figure computed from the arms' runs, the seed's own figure, and the rule that turns the
 * two into a verdict. Arms shared by several claims run once.
 *
 * The verdict, the same rule for every claim:
 * - within noise: the arms differ by no more than the runs of one arm differ among themselves (the
 *   spread: highest minus lowest over the repeats), so this many runs cannot tell them apart;
 * - supported: the effect goes the claimed way and is at least half the seed's figure (the low end of
 *   a range); for a "costs nothing" claim, the cost is within noise;
 * - not supported: otherwise (the wrong way, or less than half of what the seed says);
 * - not judged: a figure is missing, a side ran once (no spread), or the service is a stand-in (its
 *   memory is our model of it, not a measurement).
 */
import { mean, spread } from './compare-table.ts';
import type { RunSummary } from './run-summary.ts';

export interface Arm {
  name: string;
  description: string;
  overrides: string[];
}

const CACHE_OFF = 'app.environment.CACHE_ENABLED=false';

/** The arms, each the 4gb profile with these overrides. */
export const ARMS: Arm[] = [
  { name: 'base', description: 'the 4gb profile as shipped (Redis cache on, every DB optimisation on)', overrides: [] },
  { name: 'no-redis', description: 'no cache and no Redis service', overrides: [CACHE_OFF, 'redis.x-simulate.enabled=false'] },
  { name: 'db-optimised', description: 'cache off (every read reaches PostgreSQL), DB optimisations on', overrides: [CACHE_OFF] },
  { name: 'offset', description: 'cache off, OFFSET paging', overrides: [CACHE_OFF, 'app.environment.PAGINATION=offset'] },
  { name: 'no-indexes', description: 'cache off, secondary indexes dropped', overrides: [CACHE_OFF, 'app.environment.DB_INDEXES=false'] },
  { name: 'lazy', description: 'cache off, lazy loading (N+1 queries)', overrides: [CACHE_OFF, 'app.environment.EAGER_LOADING=false'] },
  {
    name: 'db-unoptimised',
    description: 'cache off, OFFSET paging, no indexes, lazy loading',
    overrides: [CACHE_OFF, 'app.environment.PAGINATION=offset', 'app.environment.DB_INDEXES=false', 'app.environment.EAGER_LOADING=false'],
  },
];

export type ClaimVerdict = 'supported' | 'not supported' | 'within noise' | 'not judged';

export interface Claim {
  name: string;
  /** What the seed says, in its words. */
  seed: string;
  /** The claim in English. */
  claim: string;
  /** The seed's figure, as a string for the table. */
  seedFigure: string;
  /** The arm with the optimisation (or the service), and the arm without it. */
  with: string;
  without?: string;
  unit: 'MB' | '%' | '×';
  /**
   * The figure from the two arms' runs. `effect` is signed so that the claimed direction is positive;
   * `noise` is the same figure's uncertainty in its unit (null: not enough runs).
   */
  measure(withRuns: RunSummary[], withoutRuns: RunSummary[]): Measure;
  /** The smallest effect that supports the claim (half the seed's figure); 0 for "costs nothing". */
  threshold: number;
  kind: 'effect' | 'zero-cost' | 'cost';
}

export interface Measure {
  value: number | null;
  noise: number | null;
  note?: string;
  notJudged?: string;
}

export interface ClaimResult {
  name: string;
  seed: string;
  claim: string;
  seedFigure: string;
  measured: string;
  spread: string;
  verdict: ClaimVerdict;
  /** Why, in one line (the rule applied, or why not judged). */
  reason: string;
  value: number | null;
  noise: number | null;
  unit: Claim['unit'];
  arms: string[];
  runs: { with: string[]; without: string[] };
}

const nums = (runs: RunSummary[], f: (r: RunSummary) => number | null): number[] => runs.map(f).filter((x): x is number => x !== null && Number.isFinite(x));

/**
 * Relative change of a figure, `1 - with/without` (a cut), with its noise: the larger arm spread over
 * the `without` mean, which is what a difference of means has to exceed.
 */
function cut(withRuns: RunSummary[], withoutRuns: RunSummary[], f: (r: RunSummary) => number | null): Measure {
  const a = nums(withRuns, f);
  const b = nums(withoutRuns, f);
  const ma = mean(a);
  const mb = mean(b);
  if (ma === null || mb === null || mb === 0) return { value: null, noise: null, notJudged: 'a figure was not measured in one of the arms' };
  const sa = spread(a);
  const sb = spread(b);
  const noise = sa === null || sb === null ? null : Math.max(sa, sb) / mb;
  return { value: 1 - ma / mb, noise };
}

/** Absolute difference `without - with` in the figure's unit (positive: the optimisation saves). */
function saving(withRuns: RunSummary[], withoutRuns: RunSummary[], f: (r: RunSummary) => number | null): Measure {
  const a = nums(withRuns, f);
  const b = nums(withoutRuns, f);
  const ma = mean(a);
  const mb = mean(b);
  if (ma === null || mb === null) return { value: null, noise: null, notJudged: 'a figure was not measured in one of the arms' };
  const sa = spread(a);
  const sb = spread(b);
  return { value: mb - ma, noise: sa === null || sb === null ? null : Math.max(sa, sb) };
}

const dbAndApp = (r: RunSummary) => (r.peakServiceMb.postgres === undefined || r.peakServiceMb.app === undefined ? null : r.peakServiceMb.postgres + r.peakServiceMb.app);

export const CLAIMS: Claim[] = [
  {
    name: 'redis-memory',
    seed: 'Redis 缓存 | +256MB',
    claim: 'Redis costs 256 MB',
    seedFigure: '256 MB',
    with: 'base',
    without: 'no-redis',
    unit: 'MB',
    kind: 'cost',
    threshold: 128,
    // What the stack holds more at its peak with Redis and the cache than without either.
    measure: (w, wo) => ({ ...saving(wo, w, (r) => r.peakStackMb), note: `Redis itself peaked at ${fmt(mean(nums(w, (r) => r.peakServiceMb.redis ?? null)), 'MB')}` }),
  },
  {
    name: 'redis-latency',
    seed: 'Redis 缓存 | 60%↓ latency',
    claim: 'the Redis cache cuts average latency by 60 %',
    seedFigure: '60 % lower',
    with: 'base',
    without: 'no-redis',
    unit: '%',
    kind: 'effect',
    threshold: 0.3,
    measure: (w, wo) => cut(w, wo, (r) => r.avgMs),
  },
  {
    name: 'cursor-memory',
    seed: '实现 cursor 分页（比 OFFSET 节省 90% 内存）',
    claim: 'cursor paging uses 90 % less memory than OFFSET',
    seedFigure: '90 % less',
    with: 'db-optimised',
    without: 'offset',
    unit: '%',
    kind: 'effect',
    threshold: 0.45,
    // PostgreSQL's and the app's peak working set together: where a page query's memory lives.
    measure: (w, wo) => ({ ...cut(w, wo, dbAndApp), note: `average latency ${fmt(mean(nums(w, (r) => r.avgMs)), 'ms')} with cursor, ${fmt(mean(nums(wo, (r) => r.avgMs)), 'ms')} with OFFSET` }),
  },
  {
    name: 'index-speed',
    seed: '数据库索引 | 0MB | 5-20x 查询',
    claim: 'indexes make queries 5-20× faster',
    seedFigure: '5-20×',
    with: 'db-optimised',
    without: 'no-indexes',
    unit: '×',
    kind: 'effect',
    threshold: 2.5,
    measure: (w, wo) => {
      const a = nums(w, (r) => r.dbQueryAvgMs);
      const b = nums(wo, (r) => r.dbQueryAvgMs);
      const ma = mean(a);
      const mb = mean(b);
      if (ma === null || mb === null || ma === 0) return { value: null, noise: null, notJudged: 'the app did not report its query time' };
      const sa = spread(a);
      const sb = spread(b);
      // The ratio's uncertainty from each side's spread (first order).
      const noise = sa === null || sb === null ? null : (mb / ma) * Math.max(sa / ma, sb / mb);
      return { value: mb / ma, noise, note: `average query ${fmt(ma, 'ms')} with indexes, ${fmt(mb, 'ms')} without` };
    },
  },
  {
    name: 'index-memory',
    seed: '添加数据库索引（无内存开销）',
    claim: 'indexes cost no memory',
    seedFigure: '0 MB',
    with: 'db-optimised',
    without: 'no-indexes',
    unit: 'MB',
    kind: 'zero-cost',
    threshold: 0,
    // The cost: how much more the stack holds at its peak with the indexes.
    measure: (w, wo) => saving(wo, w, (r) => r.peakStackMb),
  },
  {
    name: 'eager-connections',
    seed: '使用 eager loading（减少数据库连接）| 数据库连接数: 减少 60%',
    claim: 'eager loading cuts database connections by 60 %',
    seedFigure: '60 % fewer',
    with: 'db-optimised',
    without: 'lazy',
    unit: '%',
    kind: 'effect',
    threshold: 0.3,
    // Connections in use on average over the judged stages (a peak saturates at the pool size).
    measure: (w, wo) => ({
      ...cut(w, wo, (r) => r.dbConnectionsAvg),
      note: `${fmt(mean(nums(w, (r) => r.queriesPerRequest)), 'q')} queries per request eager, ${fmt(mean(nums(wo, (r) => r.queriesPerRequest)), 'q')} lazy`,
    }),
  },
  {
    name: 'db-optimisations-memory',
    seed: '数据库优化 | -50MB',
    claim: 'the query optimisations (eager loading, cursor paging, indexes) save 50 MB',
    seedFigure: '50 MB less',
    with: 'db-optimised',
    without: 'db-unoptimised',
    unit: 'MB',
    kind: 'effect',
    threshold: 25,
    measure: (w, wo) => saving(w, wo, (r) => r.peakStackMb),
  },
  {
    name: 'prometheus-memory',
    seed: 'Prometheus ................. 150MB',
    claim: 'Prometheus costs about 150 MB',
    seedFigure: '150 MB (100-200)',
    with: 'base',
    unit: 'MB',
    kind: 'cost',
    threshold: 75,
    measure: (w) => peakOf(w, 'prometheus'),
  },
  {
    name: 'grafana-memory',
    seed: 'Grafana (可选) ............. 100MB',
    claim: 'Grafana costs about 100 MB',
    seedFigure: '100 MB',
    with: 'base',
    unit: 'MB',
    kind: 'cost',
    threshold: 50,
    measure: (w) => {
      const m = peakOf(w, 'grafana');
      return w.some((r) => r.standins.includes('grafana'))
        ? { ...m, notJudged: `Grafana is a stand-in here: its ${fmt(m.value, 'MB')} is our model of it, not a measurement` }
        : m;
    },
  },
];

function peakOf(runs: RunSummary[], service: string): Measure {
  const xs = nums(runs, (r) => r.peakServiceMb[service] ?? null);
  const m = mean(xs);
  return m === null ? { value: null, noise: null, notJudged: `${service} did not run` } : { value: m, noise: spread(xs) };
}

function fmt(v: number | null, unit: Claim['unit'] | 'ms' | 'q'): string {
  if (v === null || !Number.isFinite(v)) return 'n/a';
  switch (unit) {
    case 'MB':
      return `${Math.round(v)} MB`;
    case '%':
      return `${Math.round(v * 100)} %`;
    case '×':
      return `${v.toFixed(1)}×`;
    case 'ms':
      return v < 10 ? `${v.toFixed(2)} ms` : `${Math.round(v)} ms`;
    default:
      return v.toFixed(2);
  }
}

function describe(value: number | null, unit: Claim['unit'], claim: Claim): string {
  if (value === null) return 'n/a';
  if (unit === '%') return value >= 0 ? `${fmt(value, '%')} ${claim.seedFigure.includes('fewer') ? 'fewer' : claim.seedFigure.includes('lower') ? 'lower' : 'less'}` : `${fmt(-value, '%')} more`;
  if (claim.name.endsWith('memory') && claim.kind === 'effect') return value >= 0 ? `${fmt(value, 'MB')} less` : `${fmt(-value, 'MB')} more`;
  return fmt(value, unit);
}

export function judgeClaim(claim: Claim, m: Measure): { verdict: ClaimVerdict; reason: string } {
  if (m.notJudged) return { verdict: 'not judged', reason: m.notJudged };
  if (m.value === null) return { verdict: 'not judged', reason: 'not measured' };
  if (m.noise === null) return { verdict: 'not judged', reason: 'one run per arm: no spread to tell an effect from noise (use more repeats)' };
  if (claim.kind === 'cost' && claim.without && Math.abs(m.value) <= m.noise) return { verdict: 'within noise', reason: 'the arms differ by no more than the runs of one arm' };
  if (claim.kind === 'cost') {
    // A cost is measured directly (no second arm to be noisy against): within a factor of two of the seed's figure.
    const ok = m.value >= claim.threshold && m.value <= claim.threshold * 4;
    return { verdict: ok ? 'supported' : 'not supported', reason: ok ? 'within a factor of two of the seed’s figure' : `${m.value < claim.threshold ? 'under half' : 'over twice'} the seed’s figure` };
  }
  if (claim.kind === 'zero-cost') {
    if (Math.abs(m.value) <= m.noise) return { verdict: 'within noise', reason: 'the difference is within the spread of the runs: consistent with no cost' };
    return m.value < 0
      ? { verdict: 'supported', reason: 'the stack held less with them than without' }
      : { verdict: 'not supported', reason: `they cost ${fmt(m.value, 'MB')}, more than the spread of the runs (${fmt(m.noise, 'MB')})` };
  }
  if (Math.abs(claim.unit === '×' ? m.value - 1 : m.value) <= m.noise) return { verdict: 'within noise', reason: 'the arms differ by no more than the runs of one arm' };
  if (m.value >= claim.threshold) return { verdict: 'supported', reason: `at least half the seed’s figure (${fmt(claim.threshold, claim.unit)})` };
  const wrongWay = claim.unit === '×' ? m.value < 1 : m.value < 0;
  return { verdict: 'not supported', reason: wrongWay ? 'the effect goes the other way' : `less than half the seed’s figure (${fmt(claim.threshold, claim.unit)})` };
}

/** Every claim judged from the arms' runs (arms that did not run leave their claims not judged). */
export function evaluateClaims(claims: Claim[], runsByArm: Map<string, RunSummary[]>): ClaimResult[] {
  return claims.map((c) => {
    const w = runsByArm.get(c.with) ?? [];
    const wo = c.without ? runsByArm.get(c.without) ?? [] : [];
    const m: Measure = !w.length || (c.without && !wo.length) ? { value: null, noise: null, notJudged: 'its arms did not run' } : c.measure(w, wo);
    const { verdict, reason } = judgeClaim(c, m);
    const spreadText = m.noise === null ? 'n/a' : `±${c.unit === 'MB' ? fmt(m.noise, 'MB') : c.unit === '%' ? `${Math.round(m.noise * 100)} pts` : `${m.noise.toFixed(1)}×`}`;
    return {
      name: c.name,
      seed: c.seed,
      claim: c.claim,
      seedFigure: c.seedFigure,
      measured: describe(m.value, c.unit, c),
      spread: spreadText,
      verdict,
      reason: m.note ? `${reason}; ${m.note}` : reason,
      value: m.value,
      noise: m.noise,
      unit: c.unit,
      arms: c.without ? [c.with, c.without] : [c.with],
      runs: { with: w.map((r) => r.runId), without: wo.map((r) => r.runId) },
    };
  });
}

/** The claims asked for (all, or one by name) and the arms they need, in ARMS order. */
export function selectClaims(name?: string): { claims: Claim[]; arms: Arm[] } | { error: string } {
  const claims = name ? CLAIMS.filter((c) => c.name === name || c.name.startsWith(`${name}-`)) : CLAIMS;
  if (!claims.length) return { error: `no claim named "${name}"` };
  const needed = new Set(claims.flatMap((c) => (c.without ? [c.with, c.without] : [c.with])));
  return { claims, arms: ARMS.filter((a) => needed.has(a.name)) };
}
