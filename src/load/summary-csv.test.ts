import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'hdr-histogram-js';
import { afterEach, describe, expect, it } from 'vitest';
import { parseScenario } from './scenario.ts';
import { startLoad } from './start-load.ts';
import { startLocalServer, type LocalServer } from '../../test/helpers/local-test-server.ts';
import { appendStageSummary, LOCUST_COLUMNS, SUMMARY_HEADER, csvField } from './summary-csv.ts';
import { PERCENTILES, type LatencySample } from './types.ts';

let server: LocalServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Nearest-rank percentile of raw values, the definition HdrHistogram uses. */
function nearestRank(sorted: number[], p: number): number {
  if (p === 100) return sorted[sorted.length - 1]!;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('summary.csv', () => {
  it('starts with Locust’s columns exactly, then ours', () => {
    expect(SUMMARY_HEADER).toBe(
      'Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Stage,Peak Working Set MB,OOM Kills,Verdict',
    );
    expect(LOCUST_COLUMNS).toHaveLength(22);
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
  });

  it('percentiles agree with an HdrHistogram of the raw latencies, within its precision', async () => {
    // Latencies spread over three decades, with a slow tail and some failures.
    server = await startLocalServer((req, res) => {
      const slow = Math.random() < 0.05 ? 100 + Math.random() * 200 : Math.random() * 15;
      setTimeout(() => {
        res.statusCode = req.url!.startsWith('/b') && Math.random() < 0.1 ? 503 : 200;
        res.end('x'.repeat(10 + Math.floor(Math.random() * 90)));
      }, slow);
    });
    const scenario = parseScenario(
      {
        requests: [{ path: '/a/{id}', weight: 2 }, { path: '/b', method: 'POST', body: { n: '{seq}' } }],
        variables: { id: { min: 1, max: 100, distribution: 'zipf', s: 1.1 } },
        stages: [
          { name: 'warm', duration: 1, rate: 100, exclude: true },
          { name: 'main', duration: 3, rate: 400 },
        ],
      },
      'test',
    );
    const dir = await mkdtemp(path.join(tmpdir(), 'summary-'));
    const file = path.join(dir, 'summary.csv');
    const run = startLoad(scenario, { baseUrl: server.url });
    const raw: LatencySample[] = [];
    run.on('sample', (s) => raw.push(s));
    // Rows go out as each stage ends, as the lead's run does.
    run.on('stage-end', (stage) => appendStageSummary(file, stage, { peakWorkingSetMb: 812.5, oomKills: 0, verdict: stage.excluded ? 'excluded' : 'PASS' }));
    const result = await run.done;

    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines[0]).toBe(SUMMARY_HEADER);
    const header = lines[0]!.split(',');
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i]!, v])));
    // Two stages × (2 endpoints + Aggregated).
    expect(rows.map((r) => `${r.Stage}|${r.Type}|${r.Name}`)).toEqual([
      'warm|GET|/a/{id}', 'warm|POST|/b', 'warm||Aggregated',
      'main|GET|/a/{id}', 'main|POST|/b', 'main||Aggregated',
    ]);
    expect(rows[5]).toMatchObject({ 'Peak Working Set MB': '812.5', 'OOM Kills': '0', Verdict: 'PASS' });

    for (const row of rows) {
      const stageIndex = row.Stage === 'warm' ? 0 : 1;
      const mine = raw.filter((s) => s.stageIndex === stageIndex && (row.Name === 'Aggregated' || s.endpoint === `${row.Type} ${row.Name}`));
      const values = mine.map((s) => s.latencyUs).sort((a, b) => a - b);
      expect(Number(row['Request Count'])).toBe(values.length);
      expect(Number(row['Failure Count'])).toBe(mine.filter((s) => s.outcome !== 'ok').length);
      // An HdrHistogram (µs, 3 significant digits) built here from the raw latencies.
      const reference = build({ numberOfSignificantValueDigits: 3 });
      for (const v of values) reference.recordValue(v);
      for (const p of PERCENTILES) {
        const csvMs = Number(row[`${p}%`]);
        const refMs = Math.min(reference.maxValue, reference.getValueAtPercentile(p)) / 1000;
        expect(Math.abs(csvMs - refMs)).toBeLessThanOrEqual(0.001); // the CSV keeps µs
        // And both are the raw nearest-rank value to within 3 significant digits.
        const exactMs = nearestRank(values, p) / 1000;
        expect(Math.abs(csvMs - exactMs)).toBeLessThanOrEqual(exactMs / 1000 + 0.001);
      }
      expect(Number(row['Max Response Time'])).toBeCloseTo(values[values.length - 1]! / 1000, 3);
      const mean = values.reduce((a, b) => a + b, 0) / values.length / 1000;
      expect(Math.abs(Number(row['Average Response Time']) - mean)).toBeLessThanOrEqual(mean / 1000 + 0.001);
    }
    expect(result.stages[1]!.aggregate.count).toBe(1200);
  }, 20_000);
});
