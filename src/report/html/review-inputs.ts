/**
 * The capacity review's and the comparison's own files (capacity.json from `simulate capacity`,
 * compare.json from `simulate compare`) turned into the report's inputs. Only the fields the page shows are
 * read, validated with zod; a folder written by another version names the field it could not read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { InputError } from '../../errors.ts';
import { formatBytes, formatCount, formatMetricValue, formatMs, formatPercent, formatRate } from '../format.ts';
import type { CapacityReportInput } from './render-capacity.ts';
import type { CompareReportInput } from './render-compare.ts';
import { loadRunFolder } from './run-folder.ts';

const num = z.number().nullable().optional();

const CapacityJson = z.looseObject({
  format: z.string().regex(/^simulate-capacity\//),
  id: z.string().optional(),
  mode: z.string().optional(),
  profile: z.string().nullable().optional(),
  target: z.string().nullable().optional(),
  quick: z.boolean().optional(),
  startedAt: z.string().optional(),
  targetRate: num,
  limits: z.looseObject({ avgLatencyMs: z.number().optional(), p99Ms: z.number().optional() }).optional(),
  tiers: z.array(
    z.looseObject({
      profile: z.string(),
      capBytes: num,
      cost: z.looseObject({ monthly: z.number(), currency: z.string().optional() }).nullable().optional(),
      search: z.looseObject({ status: z.string().optional(), maxRate: num, summary: z.string().optional() }),
      atTarget: z.looseObject({ avgMs: num, p99Ms: num }).nullable().optional(),
      peakWorkingSetBytes: num,
      oomKills: z.number().optional(),
      brokeFirst: z.string().nullable().optional(),
      smallestCap: z.looseObject({ noOomLatencyBytes: num, recommendedBytes: num.optional(), withMarginBytes: num }).nullable().optional(),
      verdict: z.string().optional(),
      costPer100Rps: num,
    }),
  ),
  steps: z.array(
    z.looseObject({
      tier: z.string(),
      capBytes: num,
      rate: z.number().optional(),
      phase: z.string().optional(),
      kind: z.string().optional(),
      measurement: z.looseObject({ offeredRps: z.number(), avgMs: num, p50Ms: num, p99Ms: num, errors: num, dropped: num, peakWorkingSetBytes: num, oomKills: z.array(z.string()).optional() }),
      verdict: z.looseObject({ outcome: z.string(), reasons: z.array(z.string()).default([]), okRps: num }),
    }),
  ),
  seedComparison: z.array(z.looseObject({ tier: z.string(), metric: z.string(), seed: z.string(), measured: z.string(), how: z.string().optional() })).default([]),
  notes: z.array(z.string()).default([]),
});

function problems(file: string, err: z.ZodError): string {
  return err.issues.map((i) => `${file}: ${i.path.join('.') || '(top)'}: ${i.message}`).join('\n');
}

const capName = (profile: string, capBytes: number | null | undefined, several: boolean) => (several && capBytes ? `${profile} @ ${formatBytes(capBytes)}` : profile);

/** capacity.json (format `simulate-capacity/1`) as the capacity page's input. */
export function capacityInputFromJson(json: unknown, file = 'capacity.json'): CapacityReportInput {
  const r = CapacityJson.safeParse(json);
  if (!r.success) throw new InputError(problems(file, r.error), 'is this a capacity review folder written by simulate capacity?');
  const c = r.data;
  // Several caps of one profile are told apart by their cap; steps belong to the tier of the same profile and cap.
  const several = new Set(c.tiers.map((t) => t.profile)).size < c.tiers.length;
  const tiers = c.tiers.map((t) => ({
    name: capName(t.profile, t.capBytes, several),
    key: `${t.profile}|${t.capBytes ?? ''}`,
    capBytes: t.capBytes ?? undefined,
    cost: t.cost ? `${t.cost.monthly}${t.cost.currency ? ` ${t.cost.currency}` : ''}/month` : undefined,
    maxSustainedRps: t.search.maxRate ?? null,
    limitedBy: t.brokeFirst ?? (t.search.status && t.search.status !== 'found' ? t.search.status : undefined),
    verdict: t.verdict,
    columns: {
      'avg at target': t.atTarget?.avgMs != null ? `${Math.round(t.atTarget.avgMs)} ms` : '–',
      'p99 at target': t.atTarget?.p99Ms != null ? `${Math.round(t.atTarget.p99Ms)} ms` : '–',
      'peak working set': t.peakWorkingSetBytes != null ? formatBytes(t.peakWorkingSetBytes) : '–',
      'smallest passing cap': t.smallestCap?.noOomLatencyBytes != null ? formatBytes(t.smallestCap.noOomLatencyBytes) : '–',
      'recommended (+15 %)': t.smallestCap?.recommendedBytes != null ? formatBytes(t.smallestCap.recommendedBytes) : '–',
      'with free margin': t.smallestCap?.withMarginBytes != null ? formatBytes(t.smallestCap.withMarginBytes) : '–',
      'OOM kills': t.oomKills ?? '–',
      'cost per 100 req/s': t.costPer100Rps != null ? `${t.costPer100Rps}${t.cost?.currency ? ` ${t.cost.currency}` : ''}` : '–',
    },
  }));
  const byKey = new Map(tiers.map((t) => [t.key, t.name]));
  const steps = c.steps
    .filter((s) => byKey.has(`${s.tier}|${s.capBytes ?? ''}`))
    .map((s) => ({
      tier: byKey.get(`${s.tier}|${s.capBytes ?? ''}`)!,
      offeredRps: s.measurement.offeredRps,
      completedRps: s.verdict.okRps ?? null,
      avgMs: s.measurement.avgMs ?? null,
      p50Ms: s.measurement.p50Ms ?? null,
      p99Ms: s.measurement.p99Ms ?? null,
      errors: (s.measurement.errors ?? 0) + (s.measurement.dropped ?? 0),
      peakWorkingSetMb: s.measurement.peakWorkingSetBytes != null ? s.measurement.peakWorkingSetBytes / 1024 / 1024 : null,
      oomKills: s.measurement.oomKills?.length ?? null,
      pass: s.verdict.outcome === 'pass',
      why: s.verdict.outcome === 'pass' ? undefined : [s.verdict.outcome === 'fail' ? '' : s.verdict.outcome, ...s.verdict.reasons].filter(Boolean).join('; '),
    }));
  return {
    title: `simulate capacity: ${c.profile ?? c.target ?? 'review'}`,
    note: [`${c.mode === 'target' ? `Target ${c.target}` : `Profile ${c.profile}`}${c.quick ? ', quick review' : ''}${c.startedAt ? `, started ${c.startedAt}` : ''}. ${tiers.length} tier${tiers.length === 1 ? '' : 's'}, ${c.steps.length} steps (open model).`, ...c.notes.map((n) => (/[.!?]$/.test(n) ? n : `${n}.`))].map((n) => n.charAt(0).toUpperCase() + n.slice(1)).join(' '),
    targets: { avgLatencyMs: c.limits?.avgLatencyMs, p99Ms: c.limits?.p99Ms, minRps: c.targetRate ?? undefined },
    tiers: tiers.map(({ key: _k, ...t }) => t),
    steps,
    claims: c.seedComparison.length
      ? { head: ['tier', 'metric', 'the seed says', 'measured', 'how'], rows: c.seedComparison.map((r) => [r.tier, r.metric, r.seed, r.measured, r.how ?? '']), note: 'The seed\'s tier table beside what this review measured.' }
      : undefined,
  };
}

const CompareTableJson = z.looseObject({
  labels: z.array(z.string()),
  rows: z.array(
    z.looseObject({
      label: z.string(),
      unit: z.string(),
      better: z.string().optional(),
      values: z.array(z.union([z.number(), z.string(), z.null()])),
      spreads: z.array(z.number().nullable()).default([]),
      deltas: z.array(z.number().nullable()).default([]),
      relative: z.array(z.number().nullable()).default([]),
    }),
  ),
});


/** compare.json's own table (means of each variant's repeats, their spread, deltas against the baseline). */
function compareTableRows(t: z.infer<typeof CompareTableJson>): { head: string[]; rows: string[][] } {
  const [base, ...others] = t.labels;
  return {
    head: ['', ...t.labels, ...others.map((l) => `${l} − ${base}`)],
    rows: t.rows.map((r) => [
      r.label,
      ...r.values.map((v, i) => (v === null ? '–' : typeof v === 'string' ? v : `${formatMetricValue(v, r.unit)}${r.spreads[i] ? ` ± ${formatMetricValue(r.spreads[i]! / 2, r.unit)}` : ''}`)),
      ...others.map((_, j) => {
        const d = r.deltas[j + 1];
        const rel = r.relative[j + 1];
        if (d === null || d === undefined) return '–';
        return `${d > 0 ? '+' : d < 0 ? '−' : ''}${formatMetricValue(Math.abs(d), r.unit)}${rel !== null && rel !== undefined ? ` (${rel > 0 ? '+' : ''}${Math.round(rel * 100)} %)` : ''}`;
      }),
    ]),
  };
}

const CompareJson = z.looseObject({
  kind: z.literal('simulate-compare'),
  createdAt: z.string().optional(),
  baseline: z.string().optional(),
  settings: z.looseObject({ repeat: z.number().optional() }).optional(),
  variants: z.array(z.looseObject({ label: z.string(), runs: z.array(z.looseObject({ runDir: z.string(), runId: z.string().optional() })) })),
  table: CompareTableJson.optional(),
  claims: z.array(z.looseObject({ claim: z.string(), seedFigure: z.unknown().optional(), measured: z.unknown().optional(), spread: z.unknown().optional(), verdict: z.unknown().optional(), reason: z.unknown().optional() })).optional(),
});

/** compare.json (`kind: simulate-compare`) and the run folders it names, as the comparison page's input. */
export function compareInputFromJson(json: unknown, dir: string, file = 'compare.json'): CompareReportInput {
  const r = CompareJson.safeParse(json);
  if (!r.success) throw new InputError(problems(file, r.error), 'is this a folder written by simulate compare?');
  const c = r.data;
  const runs: CompareReportInput['runs'] = [];
  const labels: string[] = [];
  const unreadable: string[] = [];
  for (const v of c.variants) {
    v.runs.forEach((run, i) => {
      const label = v.runs.length > 1 ? `${v.label} #${i + 1}` : v.label;
      // The runs sit inside the comparison's folder; a moved folder still finds them there.
      const inside = path.join(dir, path.basename(run.runDir));
      try {
        runs.push(loadRunFolder(fs.existsSync(run.runDir) ? run.runDir : inside));
        labels.push(label);
      } catch (err) {
        unreadable.push(`${label} (${(err as Error).message.split('\n')[0]})`);
      }
    });
  }
  if (!runs.length) throw new InputError(`${file}: none of the runs it names could be read${unreadable.length ? `: ${unreadable.join('; ')}` : ''}`, 'a comparison interrupted before its first run ended has no page');
  const text = (x: unknown) => (x === null || x === undefined ? '' : String(x));
  const own = c.table ? compareTableRows(c.table) : undefined;
  return {
    title: `simulate compare: ${c.variants.map((v) => v.label).join(' vs ')}`,
    note: `${c.variants.length} variants${c.settings?.repeat && c.settings.repeat > 1 ? `, ${c.settings.repeat} runs each` : ''}, one after another under the same cap and scenario${c.createdAt ? ` (${c.createdAt})` : ''}. Deltas against ${c.baseline ?? c.variants[0]?.label}.${unreadable.length ? ` Not drawn (folder unreadable): ${unreadable.join('; ')}.` : ''}`,
    runs,
    labels,
    tables: [
      ...(own ? [{ title: 'The comparison (means of each variant\'s runs)', head: own.head, rows: own.rows, note: 'From compare.json: ± is half the spread of a variant\'s runs; deltas against the first variant. A difference smaller than the spread is noise, not a win.' }] : []),
      ...(c.claims?.length
        ? [{ title: "The seed's claims, measured here", head: ['claim', 'the seed says', 'measured', 'spread', 'verdict', 'why'], rows: c.claims.map((k) => [k.claim, text(k.seedFigure), text(k.measured), text(k.spread), text(k.verdict), text(k.reason)]) }]
        : []),
    ],
  };
}
