/** The report on a real run's files (test/fixtures/run-folders: recorded, not made up). */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../../util/csv-file.ts';
import { isSkipped, type ChartSpec } from './chart-spec.ts';
import { loadRunFolder, renderRunReport } from './index.ts';
import { runCharts, serviceColumns } from './run-charts.ts';
import { serviceRows } from './run-tables.ts';

const DIR = path.join(import.meta.dirname, '../../../test/fixtures/run-folders/full-elk-40s');

describe('a recorded full-elk run folder', () => {
  const run = loadRunFolder(DIR);
  const kills = readCsv(path.join(DIR, 'events.csv')).filter((e) => e.event === 'oom-kill');

  it('reads every file: services with their columns (stand-ins as _standin), rows, events, the verdict', () => {
    expect(serviceColumns(run).map((s) => s.prefix)).toEqual(['postgres', 'redis', 'elasticsearch_standin', 'logstash_standin', 'app', 'kibana_standin', 'alertmanager', 'prometheus', 'grafana_standin']);
    expect(run.series.length).toBe(58);
    expect(run.report?.verdict.pass).toBe(false);
    expect(kills).toHaveLength(8);
  });

  it('the memory chart marks each kill of events.csv, named by its service; other charts have data; the cache chart says why not', () => {
    const charts = runCharts(run);
    const memory = charts[0] as ChartSpec;
    expect(memory.markers!.filter((m) => m.kind === 'oom-kill').map((m) => [m.x, m.label])).toEqual(kills.map((k) => [Number(k.t_s), `OOM kill: ${k.service}`]));
    expect(charts.filter((c) => !isSkipped(c)).map((c) => c.id)).toEqual(['memory', 'latency', 'throughput', 'swap-psi']);
    for (const c of charts.filter((c): c is ChartSpec => !isSkipped(c))) expect(c.series.some((s) => s.values.some((v) => v !== null && v > 0)), c.id).toBe(true);
  });

  it('services: 8 kills of elasticsearch, its peak over its budget; the page names every kill under the chart', () => {
    const es = serviceRows(run).find((r) => r.name === 'elasticsearch')!;
    expect(es.oomKills).toBe(8);
    expect(es.peakWorkingSetMb! * 1024 * 1024).toBeGreaterThan(es.budgetBytes!);
    const html = renderRunReport(run);
    for (const k of kills) expect(html).toContain(`OOM kill: ${k.service} at 0:${k.t_s.padStart(2, '0')}`);
  });
});
