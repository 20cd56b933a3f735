/**
 * `simulate compare`: variants (profiles, or one profile with --set overrides) run one after another
 * under the same cap, scenario, length, data and seed, each an ordinary Run (runSimulation, reused, never
 * copied); then the table of deltas, written as compare.json and compare.csv next to the runs' folders.
 * Folders of earlier runs can take part as they are.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { InputError } from '../errors.ts';
import { DEFAULT_SCENARIOS_DIR } from '../load/index.ts';
import type { Reporter } from '../model/index.ts';
import { loadProfile } from '../profile/load-profile.ts';
import { csvText } from '../util/csv-file.ts';
import type { RunOptions, RunResult } from '../run/run.ts';
import { buildCompareTable, compareCsvRows, type CompareTable, type VariantRuns } from './compare-table.ts';
import { readRunSummary, type RunSummary } from './run-summary.ts';

export interface VariantSpec {
  label: string;
  profile: string;
  overrides: string[];
}

/** A variant to run, or a folder of a run that already ended. */
export type CompareEntry = ({ kind: 'run' } & VariantSpec) | { kind: 'folder'; label: string; runDir: string };

// `data` too: every variant starts from the same kept dataset, or the comparison measures two databases.
export type CommonRunOptions = Pick<RunOptions, 'driver' | 'cap' | 'swap' | 'cpus' | 'durationS' | 'scenario' | 'model' | 'sampleIntervalMs' | 'data'>;

export interface CompareOptions {
  entries: CompareEntry[];
  /** Runs per variant (their spread says how much is noise). */
  repeat: number;
  common: CommonRunOptions;
  /** Where the comparison's folder goes (results/): compare-<id>/ holds the runs and the tables. */
  outDir: string;
  signal: AbortSignal;
  /** A reporter for each run (the live screen or plain lines). */
  reporterFor(label: string, index: number, total: number): Reporter;
  /** A run ended: its one-line summary stays on screen while the next one runs. */
  onRunDone?(summary: RunSummary, index: number, total: number): void | Promise<void>;
  /** One variant is enough (a claim about one service); otherwise at least two. */
  allowSingle?: boolean;
  /**
   * --quick: a warm-up that runs `until: steady` (up to minutes) becomes this many seconds, the same for
   * every run; the mix and the judged stages stay the scenario's. The scenario used is written into the
   * comparison's folder.
   */
  fixedWarmUpS?: number;
  /** runSimulation, passed in so a test can drive the workflow without a stack. */
  run(opts: RunOptions): Promise<RunResult>;
}

export interface CompareResult {
  dir: string;
  variants: VariantRuns[];
  table: CompareTable;
  /** True when Ctrl-C stopped it before every run had ended (the table holds what ended). */
  interrupted: boolean;
}

export function newCompareId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `compare-${stamp}-${crypto.randomBytes(2).toString('hex')}`;
}

/**
 * What every run of the comparison shares: the cap (the first variant's unless --cap is given), the
 * scenario (the first variant's default unless --scenario), so no variant is judged on easier terms.
 * Every variant's profile and overrides are loaded here, so bad input fails before anything starts.
 */
export function sharedRunOptions(entries: CompareEntry[], common: CommonRunOptions, allowSingle = false): CommonRunOptions {
  const runs = entries.filter((e): e is { kind: 'run' } & VariantSpec => e.kind === 'run');
  if (entries.length < (allowSingle ? 1 : 2)) throw new InputError(`compare needs at least two variants or run folders, got ${entries.length}`, 'e.g. simulate compare full-elk 4gb, or --profile 4gb --variant nocache="--set app.environment.CACHE_ENABLED=false"');
  const labels = new Set<string>();
  for (const e of entries) {
    if (labels.has(e.label)) throw new InputError(`compare: two variants are called "${e.label}"`, 'name each --variant differently');
    labels.add(e.label);
  }
  if (!runs.length) return common;
  const stacks = runs.map((r) => loadProfile(r.profile, { cap: common.cap, swap: common.swap, cpus: common.cpus, overrides: r.overrides }));
  return {
    ...common,
    cap: common.cap ?? String(stacks[0]!.capBytes),
    scenario: common.scenario === null ? null : (common.scenario ?? stacks[0]!.scenario),
  };
}

export async function runComparison(opts: CompareOptions): Promise<CompareResult> {
  let common = sharedRunOptions(opts.entries, opts.common, opts.allowSingle);
  const dir = path.resolve(opts.outDir, newCompareId());
  fs.mkdirSync(dir, { recursive: true });
  if (opts.fixedWarmUpS && typeof common.scenario === 'string') common = { ...common, scenario: fixedWarmUpScenario(common.scenario, dir, opts.fixedWarmUpS) };
  const variants: VariantRuns[] = opts.entries.map((e) => ({
    label: e.label,
    profile: e.kind === 'run' ? e.profile : '',
    overrides: e.kind === 'run' ? e.overrides : [],
    runs: [],
  }));
  const total = opts.entries.reduce((n, e) => n + (e.kind === 'run' ? opts.repeat : 1), 0);
  let index = 0;
  let interrupted = false;
  // Repeats go round the variants (A B A B, not A A B B), so a drift of the machine over time
  // spreads over every variant instead of favouring one.
  outer: for (let rep = 0; rep < opts.repeat; rep++) {
    for (const [i, e] of opts.entries.entries()) {
      if (opts.signal.aborted) {
        interrupted = true;
        break outer;
      }
      let summary: RunSummary;
      if (e.kind === 'folder') {
        if (rep > 0) continue;
        summary = readRunSummary(e.runDir, e.label);
      } else {
        index++;
        const result = await opts.run({
          ...common,
          profile: e.profile,
          overrides: e.overrides,
          outDir: dir,
          reporter: opts.reporterFor(e.label, index, total),
          signal: opts.signal,
        });
        summary = readRunSummary(result.runDir, e.label);
        if (result.exitCode === 130) interrupted = true;
      }
      variants[i]!.runs.push(summary);
      await opts.onRunDone?.(summary, e.kind === 'folder' ? 0 : index, total);
      if (interrupted) break outer;
    }
  }
  const done = variants.filter((v) => v.runs.length);
  const table = buildCompareTable(done);
  writeCompareFiles(dir, done, table, common, { repeat: opts.repeat, interrupted });
  return { dir, variants: done, table, interrupted };
}

/** The scenario with an `until: steady` warm-up made a fixed `seconds` long, written into `dir`; its path. */
export function fixedWarmUpScenario(scenario: string, dir: string, seconds: number): string {
  const isPath = scenario.includes('/') || /\.ya?ml$/i.test(scenario);
  const file = isPath ? path.resolve(scenario) : path.join(DEFAULT_SCENARIOS_DIR, `${scenario}.yaml`);
  if (!fs.existsSync(file)) return scenario; // the run reports the missing scenario as usual
  const doc = parseYaml(fs.readFileSync(file, 'utf8')) as { name?: string; stages?: Array<Record<string, unknown>> };
  const warm = doc.stages?.[0];
  if (!warm || warm.until === undefined) return scenario;
  delete warm.until;
  delete warm.max;
  warm.duration = seconds;
  doc.name = `${doc.name ?? path.basename(file).replace(/\.ya?ml$/, '')}`;
  const out = path.join(dir, `scenario-${path.basename(file).replace(/\.ya?ml$/, '')}.yaml`);
  fs.writeFileSync(out, `# ${path.relative(process.cwd(), file) || file} with a fixed ${seconds} s warm-up instead of until: steady (simulate compare --quick)\n${stringifyYaml(doc)}`);
  return out;
}

/** compare.json's shape, for readers such as the HTML report (kind + version say which it is). */
export interface CompareJson {
  kind: 'simulate-compare';
  version: 1;
  createdAt: string;
  /** What every run shared. */
  settings: { capBytes: number | null; scenario: string | null; durationS: number | null; driver: string; model: string; repeat: number };
  interrupted: boolean;
  /** The first variant: every delta is against it. */
  baseline: string;
  variants: Array<{ label: string; profile: string; overrides: string[]; runs: RunSummary[] }>;
  table: CompareTable;
  /** With --claims: one row per claim (seed's figure, measured, spread, verdict, why) and the arms run. */
  claims?: unknown[];
  claimArms?: unknown[];
}

export function writeCompareFiles(
  dir: string,
  variants: VariantRuns[],
  table: CompareTable,
  common: CommonRunOptions,
  extra: { repeat: number; interrupted: boolean; claims?: unknown[]; claimArms?: unknown[] },
): void {
  const json: CompareJson = {
    kind: 'simulate-compare',
    version: 1,
    createdAt: new Date().toISOString(),
    settings: {
      capBytes: common.cap === undefined ? null : Number(common.cap) || null,
      scenario: typeof common.scenario === 'string' ? common.scenario : null,
      durationS: common.durationS ?? null,
      driver: common.driver,
      model: common.model,
      repeat: extra.repeat,
    },
    interrupted: extra.interrupted,
    baseline: table.labels[0] ?? '',
    variants: variants.map((v) => ({ label: v.label, profile: v.profile, overrides: v.overrides, runs: v.runs })),
    table,
    ...(extra.claims ? { claims: extra.claims, claimArms: extra.claimArms ?? [] } : {}),
  };
  fs.writeFileSync(path.join(dir, 'compare.json'), `${JSON.stringify(json, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'compare.csv'), csvText(compareCsvRows(table)));
}
