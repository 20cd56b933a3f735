/**
 * summary.csv: Locust's `_stats.csv` columns exactly, then ours. One row per endpoint per stage
 * and an `Aggregated` row per stage (Type empty, as Locust leaves it). Rows are appended with
 * appendFileSync as each stage ends, so a crash keeps the stages already done.
 * Times are milliseconds like Locust's, written to the microsecond (3 decimals). Fields go through
 * csv-stringify (`report/csv-file.ts`): quoted where needed, formulas escaped.
 */
import { appendFileSync, existsSync, statSync } from 'node:fs';
import { csvField, csvLine } from '../util/csv-file.ts';
import { PERCENTILES, type EndpointStats, type StageResult } from './types.ts';

export const LOCUST_COLUMNS = [
  'Type', 'Name', 'Request Count', 'Failure Count', 'Median Response Time', 'Average Response Time',
  'Min Response Time', 'Max Response Time', 'Average Content Size', 'Requests/s', 'Failures/s',
  '50%', '66%', '75%', '80%', '90%', '95%', '98%', '99%', '99.9%', '99.99%', '100%',
] as const;
export const OUR_COLUMNS = ['Stage', 'Peak Working Set MB', 'OOM Kills', 'Verdict'] as const;
export const SUMMARY_HEADER = csvLine([...LOCUST_COLUMNS, ...OUR_COLUMNS]).replace(/\n$/, '');

/** Our columns for one stage; the caller knows memory and the verdict, the load engine does not. */
export interface StageExtras {
  peakWorkingSetMb?: number | null;
  oomKills?: number | null;
  /** e.g. `PASS`, `FAIL`, `excluded`. */
  verdict?: string;
}

export { csvField };

export function summaryRow(stats: EndpointStats, stage: string, extras: StageExtras = {}): string {
  const fields: Array<string | number | null | undefined> = [
    stats.method,
    stats.name,
    stats.count,
    stats.failures,
    stats.medianMs,
    stats.avgMs,
    stats.minMs,
    stats.maxMs,
    stats.avgContentSize,
    stats.rps,
    stats.failuresPerS,
    ...PERCENTILES.map((p) => stats.percentiles[String(p) as keyof EndpointStats['percentiles']]),
    stage,
    extras.peakWorkingSetMb,
    extras.oomKills,
    extras.verdict,
  ];
  return csvLine(fields).replace(/\n$/, '');
}

/** Rows of one stage: its endpoints (those that saw requests), then `Aggregated`. */
export function stageRows(stage: StageResult, extras: StageExtras = {}): string[] {
  return [
    ...stage.endpoints.filter((e) => e.count > 0).map((e) => summaryRow(e, stage.name, extras)),
    summaryRow(stage.aggregate, stage.name, extras),
  ];
}

/** Append a stage's rows to `file`, writing the header first when the file is new or empty. */
export function appendStageSummary(file: string, stage: StageResult, extras: StageExtras = {}): void {
  const needsHeader = !existsSync(file) || statSync(file).size === 0;
  const lines = [...(needsHeader ? [SUMMARY_HEADER] : []), ...stageRows(stage, extras)];
  appendFileSync(file, `${lines.join('\n')}\n`);
}

/** A whole summary as text (for `--csv FILE` written at the end, or tests). */
export function formatSummaryCsv(stages: Array<{ stage: StageResult; extras?: StageExtras }>): string {
  return `${[SUMMARY_HEADER, ...stages.flatMap(({ stage, extras }) => stageRows(stage, extras))].join('\n')}\n`;
}
