/**
 * One run's figures for a comparison, read from its folder (run.json, report.json, timeseries.csv,
 * events.csv). A run just made and a folder from last week go through the same reader, so a comparison
 * of old folders shows exactly what a fresh one would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.ts';
import { parseCsvRows } from '../util/csv-file.ts';

export interface RunSummary {
  /** What the comparison calls it: the profile, or the variant's name. */
  label: string;
  runId: string;
  runDir: string;
  profile: string;
  overrides: string[];
  capBytes: number;
  scenario: string | null;
  exitCode: number | null;
  /** PASS, FAIL or INTERRUPTED: the run's own verdict. */
  verdict: string;
  targetsMissed: string[];
  avgMs: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Requests completed (2xx/3xx) per second over the judged stages. */
  completedRps: number | null;
  /** Failed or dropped requests over the judged stages, and their share. */
  errors: number | null;
  errorRate: number | null;
  cacheHitRate: number | null;
  oomKills: number;
  restarts: number;
  peakStackMb: number | null;
  /** Highest working set of each service, MB (stand-ins under their own name; see `standins`). */
  peakServiceMb: Record<string, number>;
  standins: string[];
  dbConnectionsPeak: number | null;
  dbConnectionsAvg: number | null;
  queriesPerRequest: number | null;
  dbQueryAvgMs: number | null;
}

type Json = Record<string, any>;

/** A CSV file's rows (the project's one reader: formula escapes undone). */
export const parseCsv = parseCsvRows;

function readJson(file: string): Json | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
  } catch {
    return undefined;
  }
}

function readCsvFile(file: string): { header: string[]; rows: string[][] } {
  if (!fs.existsSync(file)) return { header: [], rows: [] };
  const [header = [], ...rows] = parseCsv(fs.readFileSync(file, 'utf8'));
  return { header, rows };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Is this folder a run folder (what `simulate compare DIR DIR` accepts)? */
export function isRunDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'run.json'));
}

export function readRunSummary(runDir: string, label?: string): RunSummary {
  const run = readJson(path.join(runDir, 'run.json'));
  if (!run) throw new InputError(`${runDir} is not a run folder (no readable run.json)`, 'pass folders under results/ written by simulate');
  const report = readJson(path.join(runDir, 'report.json'));
  if (!report) throw new InputError(`${runDir} has no report.json (the run did not finish)`, 'compare runs that ended, or run the comparison again');
  const targets: Json[] = report.verdict?.targets ?? [];
  const target = (name: string) => targets.find((t) => t.name === name);
  const measured = report.load?.measured ?? {};
  const app = report.app ?? {};

  // Peaks from the per-second rows: the stack's and each service's working set.
  const ts = readCsvFile(path.join(runDir, 'timeseries.csv'));
  const col = (name: string) => ts.header.indexOf(name);
  const peakOf = (i: number): number | null => {
    if (i < 0) return null;
    let peak: number | null = null;
    for (const r of ts.rows) {
      const v = r[i] === undefined || r[i] === '' ? NaN : Number(r[i]);
      if (Number.isFinite(v)) peak = Math.max(peak ?? 0, v);
    }
    return peak;
  };
  const services: Json[] = run.services ?? [];
  const peakServiceMb: Record<string, number> = {};
  const standins: string[] = [];
  for (const s of services) {
    if (s.kind === 'unavailable') continue;
    if (s.kind === 'standin') standins.push(s.name);
    const prefix = s.kind === 'standin' ? `${s.name}_standin` : s.name;
    const p = peakOf(col(`${prefix}_working_set_mb`));
    if (p !== null) peakServiceMb[s.name] = p;
  }

  const ev = readCsvFile(path.join(runDir, 'events.csv'));
  const evCol = ev.header.indexOf('event');
  const count = (kind: string) => ev.rows.filter((r) => r[evCol] === kind).length;

  const requests = num(measured.requests);
  const failures = num(measured.failures) !== null ? measured.failures + (num(measured.dropped) ?? 0) : null;
  const verdict = report.verdict?.interrupted ? 'INTERRUPTED' : report.verdict?.pass ? 'PASS' : 'FAIL';
  return {
    label: label ?? run.profile,
    runId: run.runId,
    runDir,
    profile: run.profile,
    overrides: run.overrides ?? [],
    capBytes: run.capBytes,
    scenario: run.scenario ?? null,
    exitCode: num(report.exitCode),
    verdict,
    targetsMissed: targets.filter((t) => !t.pass).map((t) => t.label as string),
    avgMs: num(target('avg_latency')?.measured) ?? num(measured.avgMs),
    p50Ms: num(measured.p50Ms),
    p99Ms: num(target('p99_latency')?.measured) ?? num(measured.p99Ms),
    completedRps: num(target('throughput')?.measured) ?? num(measured.okRps),
    errors: failures,
    errorRate: num(target('error_rate')?.measured) ?? (failures !== null && requests ? failures / requests : null),
    cacheHitRate: num(target('cache_hit_rate')?.measured),
    oomKills: Math.max(count('oom-kill'), (report.verdict?.oomKills ?? []).length),
    restarts: count('service-restart'),
    peakStackMb: peakOf(col('stack_working_set_mb')),
    peakServiceMb,
    standins,
    dbConnectionsPeak: num(app.dbConnectionsPeak),
    dbConnectionsAvg: num(app.dbConnectionsAvg),
    queriesPerRequest: num(app.queriesPerRequest),
    dbQueryAvgMs: num(app.dbQueryAvgMs),
  };
}
