/**
 * A run folder read back for the report: run.json (what ran), report.json (the verdict, absent when the run
 * died before its end), timeseries.csv (a row a second), events.csv (a row an event). Read as written by
 * `run/run-outputs.ts`; newer columns (Redis, PostgreSQL, ...) are simply more columns, found by name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { InputError } from '../../errors.ts';
import { parseCsvRecords } from '../../util/csv-file.ts';

const ServiceJson = z.looseObject({
  name: z.string(),
  kind: z.string(),
  image: z.string().optional(),
  version: z.string().nullish(),
  budgetBytes: z.number().nullish(),
  reason: z.string().optional(),
  standin: z.looseObject({ of: z.string().optional(), sources: z.unknown().optional() }).optional(),
});

const RunJson = z.looseObject({
  runId: z.string(),
  profile: z.string(),
  profileFile: z.string().optional(),
  driver: z.string().default('none'),
  capBytes: z.number(),
  swapBytes: z.number().optional(),
  cpus: z.number().optional(),
  cgroupVersion: z.number().optional(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  exitCode: z.number().optional(),
  interrupted: z.boolean().optional(),
  scenario: z.string().nullish(),
  loadModel: z.string().nullish(),
  safetyLineBytes: z.number().optional(),
  targets: z.record(z.string(), z.number()).optional(),
  host: z.record(z.string(), z.unknown()).optional(),
  services: z.array(ServiceJson).default([]),
});

const TargetJson = z.looseObject({
  name: z.string(),
  label: z.string(),
  measured: z.number().nullable(),
  limit: z.number(),
  unit: z.string(),
  comparator: z.string(),
  pass: z.boolean(),
  firstBrokeAtS: z.number().optional(),
  detail: z.string().optional(),
  /** Why the run could not judge it: shown as "not judged", never as a pass. */
  notJudged: z.string().optional(),
});

const ReportJson = z.looseObject({
  runId: z.string().optional(),
  exitCode: z.number().optional(),
  verdict: z.looseObject({
    pass: z.boolean(),
    model: z.string(),
    targets: z.array(TargetJson),
    oomKills: z.array(z.looseObject({ t: z.number(), service: z.string(), pid: z.number().optional(), workingSetBytes: z.number().optional(), around: z.string().optional() })).default([]),
    standins: z.array(z.string()).default([]),
    interrupted: z.boolean().default(false),
  }),
  alertsFired: z.array(z.looseObject({ name: z.string(), state: z.string().optional(), severity: z.string().optional(), summary: z.string().optional() })).default([]),
  load: z
    .looseObject({
      model: z.string().optional(),
      measured: z.record(z.string(), z.number().nullable()).optional(),
      stages: z.array(z.looseObject({ name: z.string(), excluded: z.boolean().optional(), durationS: z.number().optional() })).optional(),
    })
    .nullish(),
});

export type RunJson = z.infer<typeof RunJson>;
export type ReportJson = z.infer<typeof ReportJson>;
export type TargetJson = z.infer<typeof TargetJson>;

export interface EventRow {
  t: number;
  time: string;
  service: string;
  serviceKind: string;
  event: string;
  pid?: number;
  detail: string;
}

/** timeseries.csv by column: numbers where the cell is a number, null where empty. */
export interface Timeseries {
  columns: string[];
  /** The run second of each row (`t_s`). */
  t: number[];
  stage: string[];
  length: number;
  has(column: string): boolean;
  num(column: string): Array<number | null>;
}

export interface RunFolder {
  /** The folder, as given. */
  dir: string;
  /** A short name for tables and legends (the run id). */
  name: string;
  run: RunJson;
  report?: ReportJson;
  series: Timeseries;
  events: EventRow[];
}

export function timeseriesFrom(records: Array<Record<string, string>>, columns: string[]): Timeseries {
  const cache = new Map<string, Array<number | null>>();
  const num = (column: string) => {
    let v = cache.get(column);
    if (!v) {
      v = records.map((r) => {
        const s = r[column];
        if (s === undefined || s === '') return null;
        const n = Number(s);
        return Number.isFinite(n) ? n : null;
      });
      cache.set(column, v);
    }
    return v;
  };
  return {
    columns,
    t: num('t_s').map((x, i) => x ?? i),
    stage: records.map((r) => r.stage ?? ''),
    length: records.length,
    has: (c) => columns.includes(c),
    num,
  };
}

function zodProblems(file: string, err: z.ZodError): string {
  return err.issues.map((i) => `${file}: ${i.path.join('.') || '(top)'}: ${i.message}`).join('\n');
}

/** Parse the texts of a run folder's files (pure: what the CLI reads, tests can pass directly). */
export function parseRunFiles(dir: string, files: { runJson: string; reportJson?: string; timeseriesCsv: string; eventsCsv?: string }): RunFolder {
  const parseJson = (name: string, text: string) => {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new InputError(`${path.join(dir, name)}: not JSON (${(err as Error).message})`, 'the run folder is damaged; rerun, or pass another folder');
    }
  };
  const run = RunJson.safeParse(parseJson('run.json', files.runJson));
  if (!run.success) throw new InputError(zodProblems(path.join(dir, 'run.json'), run.error), 'is this a folder written by simulate?');
  let report: ReportJson | undefined;
  if (files.reportJson !== undefined) {
    const r = ReportJson.safeParse(parseJson('report.json', files.reportJson));
    if (!r.success) throw new InputError(zodProblems(path.join(dir, 'report.json'), r.error), 'is this a folder written by simulate?');
    report = r.data;
  }
  const header = files.timeseriesCsv.split('\n', 1)[0].split(',');
  const series = timeseriesFrom(parseCsvRecords(files.timeseriesCsv), header);
  const events = files.eventsCsv
    ? parseCsvRecords(files.eventsCsv).map((e) => ({
        t: Number(e.t_s) || 0,
        time: e.time ?? '',
        service: e.service ?? '',
        serviceKind: e.service_kind ?? '',
        event: e.event ?? '',
        pid: e.pid ? Number(e.pid) : undefined,
        detail: e.detail ?? '',
      }))
    : [];
  return { dir, name: run.data.runId, run: run.data, report, series, events };
}

/** Read a run folder from disk; a folder that is not one is an input error naming what is missing. */
export function loadRunFolder(dir: string): RunFolder {
  const read = (name: string) => {
    const file = path.join(dir, name);
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  };
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new InputError(`${dir}: no such folder`, 'pass a run folder, e.g. results/<run-id>');
  const runJson = read('run.json');
  const timeseriesCsv = read('timeseries.csv');
  if (runJson === undefined || timeseriesCsv === undefined) {
    const missing = [runJson === undefined && 'run.json', timeseriesCsv === undefined && 'timeseries.csv'].filter(Boolean).join(' and ');
    throw new InputError(`${dir}: not a run folder (no ${missing})`, 'pass a folder written by a run, e.g. results/<run-id>');
  }
  return parseRunFiles(dir, { runJson, timeseriesCsv, reportJson: read('report.json'), eventsCsv: read('events.csv') });
}
