/**
 * `simulate compare`: profiles, variants of one profile, or run folders side by side; `--claims` runs the
 * seed's claims as experiments. Each run's own screen is the usual one (live TUI or plain lines, on
 * stderr); a finished run's one-line summary stays above the next run's screen; the table of deltas (and
 * of claims) goes to stdout and into compare.csv / compare.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ARMS, CLAIMS, evaluateClaims, selectClaims, type ClaimResult } from '../compare/claims.ts';
import { renderCompareTable, runSummaryLine } from '../compare/compare-text.ts';
import { runComparison, writeCompareFiles, type CompareEntry, type CommonRunOptions } from '../compare/compare.ts';
import { isRunDir, type RunSummary } from '../compare/run-summary.ts';
import { InputError } from '../errors.ts';
import { writeFolderReport } from '../report/html/index.ts';
import { renderTable } from '../report/reporters/text-table.ts';
import { csvText } from '../util/csv-file.ts';
import { runSimulation } from '../run/run.ts';
import type { CliArgs } from './args.ts';
import { createReporter } from './choose-reporter.ts';
import { abortOnSignals } from './interrupts.ts';

/** `--quick`: a 10 s warm-up (not until steady), 15 s judged, two of each (the fewest that give a spread). */
export const QUICK = { durationS: 15, repeat: 2, warmUpS: 10 };
/** `--claims` without --quick: the profile's full scenario, three of each. */
export const FULL_CLAIMS_REPEAT = 3;

/** Splits a --variant's argument string like a shell would (quotes group, no expansion). */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let has = false;
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = null;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote) throw new InputError(`--variant: unbalanced ${quote} in "${text}"`, 'close the quote');
  if (has || cur) out.push(cur);
  return out;
}

/** `nocache=--set app.environment.CACHE_ENABLED=false` → a variant of `baseProfile`. */
export function parseVariant(raw: string, baseProfile: string | undefined): CompareEntry {
  const eq = raw.indexOf('=');
  const label = eq === -1 ? '' : raw.slice(0, eq).trim();
  if (!label || !/^[A-Za-z0-9_.-]+$/.test(label)) {
    throw new InputError(`--variant ${raw}: expected NAME="--set SERVICE.PATH=VALUE ..."`, 'e.g. --variant nocache="--set app.environment.CACHE_ENABLED=false"');
  }
  let rest = raw.slice(eq + 1).trim();
  // `nocache="--set a=b"` that reached us with its quotes (not through a shell): one layer off.
  if (rest.length > 1 && (rest[0] === '"' || rest[0] === "'") && rest.at(-1) === rest[0]) rest = rest.slice(1, -1);
  let parsed;
  try {
    parsed = parseArgs({ args: splitArgs(rest), options: { set: { type: 'string', multiple: true }, profile: { type: 'string', short: 'p' } }, strict: true, allowPositionals: false });
  } catch (err) {
    throw new InputError(`--variant ${label}: ${(err as Error).message.replace(/\. To specify a positional.*$/s, '')}`, 'a variant takes --set SERVICE.PATH=VALUE (repeatable) and optionally --profile');
  }
  const profile = parsed.values.profile ?? baseProfile;
  if (!profile) throw new InputError(`--variant ${label}: no profile to vary`, 'pass --profile 4gb (the baseline), or --profile inside the variant');
  return { kind: 'run', label, profile, overrides: parsed.values.set ?? [] };
}

/** Positionals are profiles (names or Compose files) or run folders. */
export function compareEntries(args: Pick<CliArgs, 'positionals' | 'profile' | 'overrides' | 'variants'>): CompareEntry[] {
  const entries: CompareEntry[] = [];
  if (args.profile) entries.push({ kind: 'run', label: labelOf(args.profile), profile: args.profile, overrides: args.overrides });
  for (const p of args.positionals) {
    if (fs.existsSync(p) && fs.statSync(p).isDirectory()) {
      if (!isRunDir(p)) throw new InputError(`${p} is not a run folder (no run.json)`, 'pass folders under results/ written by simulate, or profile names');
      entries.push({ kind: 'folder', label: path.basename(path.resolve(p)), runDir: path.resolve(p) });
    } else {
      entries.push({ kind: 'run', label: labelOf(p), profile: p, overrides: args.overrides });
    }
  }
  for (const v of args.variants) entries.push(parseVariant(v, args.profile));
  return entries;
}

function labelOf(profile: string): string {
  return path.basename(profile).replace(/\.ya?ml$/, '');
}

function commonOptions(args: CliArgs, quick: boolean): CommonRunOptions {
  return {
    driver: args.driver,
    cap: args.cap,
    swap: args.swap,
    cpus: args.cpus,
    durationS: args.durationS ?? (quick ? QUICK.durationS : undefined),
    scenario: args.scenario,
    model: args.model,
    sampleIntervalMs: args.intervalMs,
    data: args.data,
  };
}

export async function compareCommand(args: CliArgs): Promise<number> {
  const quick = args.quick;
  let entries: CompareEntry[];
  let claimsWanted: ReturnType<typeof selectClaims> | undefined;
  if (args.claims) {
    // `--claims [NAME]`: the arms on the 4gb profile (or --profile), the positional names one claim.
    if (args.positionals.length > 1) throw new InputError(`--claims takes at most one claim name, got ${args.positionals.join(' ')}`, `e.g. simulate compare --claims redis --quick`);
    claimsWanted = selectClaims(args.positionals[0]);
    if ('error' in claimsWanted) throw new InputError(`--claims: ${claimsWanted.error}`, `use one of: ${CLAIMS.map((c) => c.name).join(', ')} (or a prefix: redis, index, ...)`);
    const profile = args.profile ?? '4gb';
    entries = claimsWanted.arms.map((a) => ({ kind: 'run' as const, label: a.name, profile, overrides: [...args.overrides, ...a.overrides] }));
  } else {
    entries = compareEntries(args);
  }
  const repeat = args.repeat ?? (args.claims ? (quick ? QUICK.repeat : FULL_CLAIMS_REPEAT) : quick ? QUICK.repeat : 1);

  const interrupts = abortOnSignals();
  const out = process.stdout;
  const err = process.stderr;
  const finished: string[] = [];
  let current: ReturnType<typeof createReporter> | undefined;
  try {
    const result = await runComparison({
      entries,
      repeat,
      // A claim about one service (Prometheus, Grafana) needs one arm only.
      allowSingle: Boolean(args.claims),
      fixedWarmUpS: quick ? QUICK.warmUpS : undefined,
      common: commonOptions(args, quick),
      outDir: args.out,
      signal: interrupts.signal,
      run: runSimulation,
      reporterFor: (label, index, total) => {
        // The runs so far, above this run's screen.
        if (finished.length) err.write(`\ncompare: finished so far\n${finished.map((l) => `  ${l}`).join('\n')}\n\n`);
        err.write(`compare: run ${index}/${total}: ${label}\n`);
        // Each run's own results stay on stderr: stdout is for the comparison.
        current = createReporter({ tui: args.tui, json: false, stdout: err, stderr: err, onQuit: interrupts.abort });
        return current;
      },
      onRunDone: async (summary: RunSummary, index, total) => {
        await current?.close?.();
        current = undefined;
        const line = index === 0 ? `[folder] ${runSummaryLine(summary, 0, 0).replace(/^\[0\/0\] /, '')}` : runSummaryLine(summary, index, total);
        finished.push(line);
        err.write(`compare: ${line}\n`);
      },
    });
    await current?.close?.();
    let claims: ClaimResult[] | undefined;
    if (claimsWanted && 'claims' in claimsWanted) {
      const byArm = new Map(result.variants.map((v) => [v.label, v.runs]));
      claims = evaluateClaims(claimsWanted.claims, byArm);
      writeCompareFiles(result.dir, result.variants, result.table, commonOptions(args, quick), { repeat, interrupted: result.interrupted, claims, claimArms: ARMS.filter((a) => byArm.has(a.name)) });
      fs.writeFileSync(path.join(result.dir, 'claims.csv'), claimsCsv(claims));
    }
    const width = out.isTTY ? out.columns : Infinity;
    // With --claims the verdicts come first; the arms' table of deltas (wide: one column pair per arm) after.
    const lines = claims ? ['', `The seed’s claims, measured here (${repeat} run${repeat > 1 ? 's' : ''} per arm; spread: the larger arm's range)`, '', ...renderClaims(claims, width)] : [];
    lines.push(
      '',
      `Comparison: ${result.table.labels.join(' vs ')} (${repeat} run${repeat > 1 ? 's' : ''} each; deltas against ${result.table.labels[0]}; ± is half the spread of the runs)`,
      '',
      ...renderCompareTable(result.table, width),
    );
    let html: string | undefined;
    try {
      html = writeFolderReport(result.dir);
    } catch (e) {
      err.write(`compare: report.html not written: ${(e as Error).message}\n`);
    }
    lines.push('', `compare: tables in ${path.join(result.dir, 'compare.csv')} and compare.json${claims ? ', claims.csv' : ''}${html ? ', report.html' : ''}`);
    out.write(`${lines.join('\n')}\n`);
    return result.interrupted ? 130 : 0;
  } finally {
    await current?.close?.();
    interrupts.dispose();
  }
}

export function renderClaims(claims: ClaimResult[], maxWidth = Infinity): string[] {
  return renderTable(
    [
      { header: 'CLAIM', shrink: true, min: 16 },
      { header: 'SEED SAYS', align: 'right' },
      { header: 'MEASURED', align: 'right' },
      { header: 'SPREAD', align: 'right' },
      { header: 'VERDICT' },
      { header: 'WHY', shrink: true, min: 20 },
    ],
    claims.map((c) => [c.claim, c.seedFigure, c.measured, c.spread, c.verdict, c.reason]),
    { maxWidth },
  );
}

function claimsCsv(claims: ClaimResult[]): string {
  const header = ['claim', 'name', 'seed', 'seed figure', 'measured', 'value', 'spread', 'verdict', 'why', 'arms'];
  return csvText([header, ...claims.map((c) => [c.claim, c.name, c.seed, c.seedFigure, c.measured, c.value, c.spread, c.verdict, c.reason, c.arms.join(' vs ')])]);
}
