import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CapacityFiles, STEPS_HEADER, TIERS_HEADER, capLabel, stepRow } from './capacity-files.ts';
import { judgeStep } from './judge-step.ts';
import { formatStepEnd, formatStepStart } from './progress.ts';
import { CAPACITY_FORMAT, costPer100, type CapacityReview } from './review.ts';
import type { StepRecord } from './search-rate.ts';

const MiB = 1024 * 1024;
const limits = { avgLatencyMs: 60, p99Ms: 1000, maxErrorRate: 0.01 };

function record(over: Partial<StepRecord['measurement']> = {}): StepRecord {
  const measurement = {
    offeredRps: 600, durationS: 8, scheduled: 4800, sent: 4800, ok: 4700, errors: 0, timeouts: 0, dropped: 100, avgMs: 900, p50Ms: 700, p99Ms: 4000,
    peakWorkingSetBytes: 1900 * MiB, oomKills: ['postgres'], harness: { cpuCores: 0.3, loopLagP99Ms: 12, loopLagMeanMs: 10.5, maxInFlight: 512, peakInFlight: 512 }, ...over,
  };
  return {
    measurement, stack: 'kept', tier: '4gb', capBytes: 2048 * MiB, index: 4, rate: 600, kind: 'probe', phase: 'doubling', fullLength: false,
    warmupS: 4, measureS: 8, startedAt: '2026-11-30T10:00:00.000Z', verdict: judgeStep(measurement, limits),
  };
}

describe('capacity files', () => {
  it('a step row says what broke, in the header order', () => {
    const row = stepRow(record());
    const byName = Object.fromEntries(STEPS_HEADER.map((h, i) => [h, row[i]]));
    expect(byName).toMatchObject({ tier: '4gb', cap_mib: 2048, offered_rps: 600, oom_kills: 1, result: 'fail', peak_working_set_mib: 1900 });
    expect(String(byName.why)).toMatch(/^OOM kill \(postgres\); errors 2\.1 %/);
  });

  it('writes the steps as they end, and the review whole', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cap-files-'));
    try {
      const files = new CapacityFiles(dir);
      files.step(record());
      const review: CapacityReview = {
        format: CAPACITY_FORMAT, id: 'x', mode: 'profile', profile: '4gb', target: null, quick: true, loadModel: 'open', startedAt: '', endedAt: null, limits,
        targetRate: 300, timing: { warmupS: 4, measureS: 8, confirmS: 20 }, steps: [record()], seedComparison: [], exitCode: 1, interrupted: false, notes: [],
        tiers: [{
          profile: '4gb', capBytes: 2048 * MiB, ownTier: false, cost: { monthly: 200, currency: 'CNY', source: 'x' },
          search: { status: 'found', maxRate: 450, firstFail: 470, steps: 9, summary: '' }, atTarget: null, peakWorkingSetBytes: 1900 * MiB, oomKills: 1,
          brokeFirst: '600 req/s: OOM kill (postgres)', smallestCap: null, verdict: 'FAIL', verdictWhy: [], costPer100Rps: costPer100({ monthly: 200, currency: 'CNY', source: '' }, 450), stackNotes: [], runDirs: [],
        }],
      };
      files.write(review);
      files.close();
      const steps = fs.readFileSync(path.join(dir, 'capacity-steps.csv'), 'utf8').trim().split('\n');
      expect(steps).toHaveLength(2);
      const tiers = fs.readFileSync(path.join(dir, 'capacity.csv'), 'utf8').trim().split('\n');
      expect(tiers[0]).toBe(TIERS_HEADER.join(','));
      expect(tiers[1]).toBe('4gb,2g,200,CNY,450,found,300,,,1900,,,,1,FAIL,600 req/s: OOM kill (postgres),44.44');
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'capacity.json'), 'utf8')).format).toBe('simulate-capacity/1');
      // The page of the review, from capacity.json: the tier with its cost and maximum, the step that broke.
      expect(files.reportError).toBeUndefined();
      const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
      expect(html).toContain('200 CNY/month');
      expect(html).toContain('600 req/s: OOM kill (postgres)');
      expect(html).toMatch(/<span class="fail-t">fail<\/span> OOM kill \(postgres\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('progress lines say step k of about n, the rate, the result and time left', () => {
    expect(formatStepStart({ tier: '4gb', capBytes: 4096 * MiB, index: 3, aboutTotal: 9, rate: 1200, kind: 'probe', phase: 'doubling', stepS: 16, searchLeftS: 100, reviewLeftS: 190 }))
      .toBe('[4gb @ 4g] step 3 of about 9: 1200 req/s (doubling), ~0:16; about 3:10 left');
    expect(formatStepEnd(record())).toMatch(/^\[4gb @ 2g\] step 4: 600 req\/s → FAIL: OOM kill \(postgres\);.*peak 1900 MiB\)$/);
    expect(capLabel(1536 * MiB)).toBe('1536m');
  });
});
