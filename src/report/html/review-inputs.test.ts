import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSyntheticRun } from '../../../test/helpers/synthetic-run.ts';
import { InputError } from '../../errors.ts';
import type { ChartSpec } from './chart-spec.ts';
import { capacityInputFromJson, folderKind, renderCompareReport, renderFolderReport, writeFolderReport } from './index.ts';
import { capacityCharts } from './render-capacity.ts';

const SAMPLE = path.join(import.meta.dirname, '../../../test/fixtures/capacity-json/profile-review-sample.json');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'review-inputs-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('capacity.json to the capacity page', () => {
  const json = JSON.parse(fs.readFileSync(SAMPLE, 'utf8'));

  it('tiers with their cost, maximum and what broke first; steps of each tier with their results', () => {
    const input = capacityInputFromJson(json);
    expect(input.tiers).toHaveLength(json.tiers.length);
    const t = input.tiers[0];
    expect(t.maxSustainedRps).toBe(json.tiers[0].search.maxRate);
    expect(t.cost).toBe(`${json.tiers[0].cost.monthly} ${json.tiers[0].cost.currency}/month`);
    expect(t.limitedBy).toBe(json.tiers[0].brokeFirst);
    // Two caps of one profile: each tier named by its cap, its own steps under it.
    expect(input.tiers.map((x) => x.name)).toEqual(['4gb @ 2.00 GB', '4gb @ 4.00 GB']);
    expect(input.steps.filter((s) => s.tier === '4gb @ 2.00 GB').map((s) => s.offeredRps)).toEqual([300, 600, 450, 525, 563, 544]);
    expect(input.steps.filter((s) => s.tier === '4gb @ 4.00 GB').map((s) => s.offeredRps)).toEqual([300, 640, 610]);
    expect(input.steps.filter((s) => !s.pass).every((s) => s.why)).toBe(true);
    const [chart] = capacityCharts(input) as ChartSpec[];
    expect(chart.markers?.find((m) => m.kind === 'max')?.x).toBe(json.tiers[0].search.maxRate);
  });

  it('a file of another shape names the field it could not read', () => {
    expect(() => capacityInputFromJson({ format: 'simulate-capacity/1', tiers: [{ profile: 3 }], steps: [] })).toThrow(InputError);
    expect(() => capacityInputFromJson({ format: 'simulate-capacity/1', tiers: [{ profile: 3 }], steps: [] })).toThrow(/capacity.json: tiers.0.profile: /);
  });

  it('simulate report on a capacity folder draws the capacity page', () => {
    const dir = path.join(tmp, 'cap');
    fs.mkdirSync(dir);
    fs.copyFileSync(SAMPLE, path.join(dir, 'capacity.json'));
    expect(folderKind(dir)).toBe('capacity');
    const html = fs.readFileSync(writeFolderReport(dir), 'utf8');
    expect(html).toContain('Tiers and cost');
    expect(html).toContain(`max sustained ${json.tiers[0].search.maxRate} req/s`);
  });
});

describe('compare.json to the comparison page', () => {
  it('loads the runs it names (from inside the comparison folder if moved), labels them, adds the claims', () => {
    const dir = path.join(tmp, 'compare-x');
    fs.mkdirSync(dir);
    const a = writeSyntheticRun(dir, { seconds: 40, runId: 'run-a' });
    const b = writeSyntheticRun(dir, { seconds: 40, runId: 'run-b', kills: [20] });
    fs.writeFileSync(
      path.join(dir, 'compare.json'),
      JSON.stringify({
        kind: 'simulate-compare',
        version: 1,
        baseline: 'cache on',
        variants: [
          { label: 'cache on', runs: [{ runDir: a }] },
          { label: 'cache off', runs: [{ runDir: `/elsewhere/${path.basename(b)}` }] },
        ],
        claims: [{ claim: 'redis-latency', seedFigure: '-60 %', measured: '-41 %', spread: '±5 %', verdict: 'not supported', reason: 'measured less' }],
        table: {
          labels: ['cache on', 'cache off'],
          rows: [{ key: 'avgMs', label: 'average latency', unit: 'ms', better: 'lower', values: [9, 15], spreads: [2, null], deltas: [null, 6], relative: [null, 0.6667] }],
        },
      }),
    );
    expect(folderKind(dir)).toBe('compare');
    const html = renderFolderReport(dir);
    expect(html).toContain('A: cache on');
    expect(html).toContain('B: cache off');
    expect(html).toContain('The seed&#39;s claims, measured here');
    expect(() => renderCompareReport({ runs: [] })).toThrow(/at least one run folder/);
    expect(html).toContain('not supported');
    // compare.json's own table first: means ± half the spread, deltas against the baseline.
    expect(html).toContain('<td>average latency</td><td>9.0 ms ± 1.0 ms</td><td>15 ms</td><td>+6.0 ms (+67 %)</td>');
    expect(html.indexOf('The comparison (means')).toBeLessThan(html.indexOf('Deltas, run by run'));
  });
});
