/**
 * report.html as a reader sees it: opened from disk in headless Chromium (Debian's, through playwright-core).
 * No console error, no request leaves the file, every chart drew its data (pixels of its series' colours on
 * the canvas), and the memory chart of a run with OOM kills has a red line at each kill. Real runs (a short
 * 4gb run and a short full-elk run, shared with profiles.e2e through helpers/shared-runs.ts) give the real reports; synthetic folders check the overlay of
 * `simulate report A B` and `--png`. Screenshots go to test/artifacts/ (git-ignored) for a person to look at.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openInChromium } from '../src/report/html/png.ts';
import { writeRunReport } from '../src/report/html/index.ts';
import { readCsv } from './helpers/csv.ts';
import { assertNothingLeft } from './helpers/leftovers.ts';
import { chartPixels, chromium, CHROMIUM_SKIP } from './helpers/report-browser.ts';
import { sharedRun } from './helpers/shared-runs.ts';
import { isRoot, REPO, ROOT_SKIP, simulate } from './helpers/stack.ts';
import { writeSyntheticRun } from './helpers/synthetic-run.ts';

const ARTIFACTS = path.join(REPO, 'test', 'artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simulate-report-e2e-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Open a report, check what every report must satisfy, screenshot it; returns the charts' pixels. */
async function openAndCheck(file: string, screenshot: string) {
  const opened = await openInChromium(file);
  try {
    expect(opened.errors, 'console errors').toEqual([]);
    expect(opened.requests, 'requests leaving the file').toEqual([]);
    const drawnIds = await opened.page.locator('section.chart[data-chart]').evaluateAll((els) => els.map((e) => e.getAttribute('data-chart')));
    expect(opened.chartsReady).toBe(drawnIds.length);
    const pixels = await chartPixels(opened.page);
    expect(pixels.map((p) => p.id)).toEqual(drawnIds);
    for (const p of pixels) expect(Math.max(...p.seriesPixels), `chart ${p.id} drew no data (series pixels ${p.seriesPixels})`).toBeGreaterThan(100);
    await opened.page.screenshot({ path: path.join(ARTIFACTS, screenshot), fullPage: true });
    const skipped = await opened.page.locator('[data-chart-skipped]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-chart-skipped')}: ${e.textContent}`));
    return { pixels, skipped, text: await opened.page.locator('body').innerText() };
  } finally {
    await opened.close();
  }
}

function expectEachKillMarked(pixels: Awaited<ReturnType<typeof openAndCheck>>['pixels'], kills: Array<{ t: number; service: string }>) {
  const memory = pixels.find((p) => p.id === 'memory')!;
  const drawn = memory.markers.filter((m) => m.kind === 'oom-kill');
  expect(drawn.map((m) => [m.x, m.label])).toEqual(kills.map((k) => [k.t, `OOM kill: ${k.service}`]));
  // A red line down the plot at each kill (most of its height: labels and stacked fills may cover a little).
  for (const m of drawn) expect(m.redPixels, `red pixels at the kill at ${m.x}s`).toBeGreaterThan((m.bottom - m.top) * 0.5);
}

describe.skipIf(!chromium)(`report.html in Chromium, synthetic run folders (${chromium ? chromium : CHROMIUM_SKIP})`, () => {
  const elk = writeSyntheticRun(tmp, { seconds: 120, kills: [35, 70, 100], runId: 'synthetic-elk', caches: true, hostileDetail: '</script><script>console.error("injected")</script>' });
  const light = writeSyntheticRun(tmp, { seconds: 100, runId: 'synthetic-light' });

  it('a run with OOM kills: no console error, no request, every chart drawn, a red line at each kill', async () => {
    const { pixels, skipped, text } = await openAndCheck(writeRunReport(elk), 'synthetic-elk.png');
    expectEachKillMarked(pixels, [35, 70, 100].map((t) => ({ t, service: 'elasticsearch' })));
    // With Redis and PostgreSQL figures recorded, their charts are drawn too: nothing is skipped.
    expect(skipped).toEqual([]);
    expect(pixels.map((p) => p.id)).toEqual(['memory', 'latency', 'throughput', 'swap-psi', 'cache', 'postgres']);
    expect(text).toContain('</script><script>console.error("injected")</script>');
  }, 60_000);

  it('simulate report A B: both runs overlaid, a table of deltas; --png writes each chart', async () => {
    const html = path.join(tmp, 'compare.html');
    const pngDir = path.join(tmp, 'png');
    const r = await simulate(['report', light, elk, '--html', html, '--png', pngDir], { timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')[0]).toBe(html);
    const { pixels, text } = await openAndCheck(html, 'synthetic-compare.png');
    const memory = pixels.find((p) => p.id === 'memory')!;
    // Both runs' lines are on the memory chart (A blue, B orange).
    expect(memory.seriesPixels[0]).toBeGreaterThan(100);
    expect(memory.seriesPixels[1]).toBeGreaterThan(100);
    expect(memory.markers.filter((m) => m.kind === 'oom-kill').map((m) => m.label)).toEqual(['B: OOM kill: elasticsearch', 'B: OOM kill: elasticsearch', 'B: OOM kill: elasticsearch']);
    expect(text).toMatch(/OOM kills\s+0\s+3\s+\+3/);
    expect(text).toMatch(/B − A/);
    const pngs = fs.readdirSync(pngDir).sort();
    expect(pngs).toEqual(['latency.png', 'memory.png', 'swap.png', 'throughput.png']);
    for (const p of pngs) {
      const buf = fs.readFileSync(path.join(pngDir, p));
      expect(buf.subarray(1, 4).toString()).toBe('PNG');
      expect(buf.length).toBeGreaterThan(5000);
    }
  }, 120_000);
});

describe.skipIf(!chromium || !isRoot)(`report.html of real runs in Chromium (${!chromium ? CHROMIUM_SKIP : !isRoot ? ROOT_SKIP : 'root, chromium'})`, () => {
  it('4gb: the run writes report.html; no console error, no request, every chart drawn', async () => {
    // The run profiles.e2e judges (started once per suite: helpers/shared-runs.ts).
    const r = await sharedRun('4gb');
    expect([0, 1], r.stderr.slice(-2000)).toContain(r.code);
    const dir = r.dir;
    const file = path.join(dir, 'report.html');
    expect(fs.existsSync(file)).toBe(true);
    const { pixels, text } = await openAndCheck(file, 'real-4gb.png');
    expect(pixels.map((p) => p.id)).toEqual(expect.arrayContaining(['memory', 'latency', 'throughput', 'swap-psi']));
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
    expect(text).toContain(report.verdict.pass ? 'PASS' : 'FAIL');
    await assertNothingLeft();
  }, 420_000);

  it('full-elk: the memory chart marks and names each OOM kill of events.csv', async () => {
    // The run profiles.e2e matches to the kernel's OOM records.
    const r = await sharedRun('full-elk');
    expect(r.code, r.stderr.slice(-2000)).toBe(1);
    const dir = r.dir;
    const kills = readCsv(path.join(dir, 'events.csv')).filter((e) => e.event === 'oom-kill').map((e) => ({ t: Number(e.t_s), service: e.service }));
    expect(kills.length).toBeGreaterThanOrEqual(1);
    const { pixels, text } = await openAndCheck(path.join(dir, 'report.html'), 'real-full-elk.png');
    expectEachKillMarked(pixels, kills);
    expect(text).toContain('FAIL');
    await assertNothingLeft();
  }, 420_000);
});
