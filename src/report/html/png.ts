/**
 * Headless Chromium for reports: `--png DIR` (each chart as a PNG, for slides) and the tests that open a
 * report as a reader would. Debian's /usr/bin/chromium driven by playwright-core: Playwright's own browser
 * download cannot work offline, so only an installed Chromium is used, and its absence is said plainly.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EnvironmentError } from '../../errors.ts';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/chromium-headless-shell', '/usr/lib/chromium/chromium'];

/** The Chromium to use: $SIMULATE_CHROMIUM, else Debian's. Undefined when none is installed. */
export function findChromium(): string | undefined {
  const env = process.env.SIMULATE_CHROMIUM;
  if (env) return fs.existsSync(env) ? env : undefined;
  return CANDIDATES.find((c) => fs.existsSync(c));
}

/** Flags for headless Chromium as root on a machine with no network (see shared FACTS). */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export interface OpenedReport {
  page: import('playwright-core').Page;
  /** Console errors and uncaught exceptions on the page. */
  errors: string[];
  /** Every request the page made that was not the file itself (all of them are blocked). */
  requests: string[];
  /** Charts drawn (the page's own count) once it settled. */
  chartsReady: number;
  close(): Promise<void>;
}

export async function openInChromium(htmlFile: string, opts: { width?: number; height?: number } = {}): Promise<OpenedReport> {
  const executablePath = findChromium();
  if (!executablePath) {
    throw new EnvironmentError(`Chromium is not installed here (looked for ${process.env.SIMULATE_CHROMIUM || CANDIDATES.join(', ')}), so no PNG can be drawn`, 'apt-get install -y chromium (or set SIMULATE_CHROMIUM to a Chromium binary); report.html itself does not need it');
  }
  const { chromium } = await import('playwright-core');
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'simulate-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: FLAGS,
    viewport: { width: opts.width ?? 1400, height: opts.height ?? 900 },
    deviceScaleFactor: 1,
    offline: true,
  });
  const url = pathToFileURL(path.resolve(htmlFile)).href;
  const errors: string[] = [];
  const requests: string[] = [];
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  // Nothing may leave the file: anything other than the page itself is recorded and refused.
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (u === url) return route.continue();
    requests.push(u);
    return route.abort();
  });
  const close = async () => {
    await context.close().catch(() => undefined);
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  try {
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('html[data-charts-ready]', { timeout: 15_000 });
    const chartsReady = Number(await page.getAttribute('html', 'data-charts-ready'));
    return { page, errors, requests, chartsReady, close };
  } catch (err) {
    await close();
    // A script error stops the charts: say which, not only that the wait timed out.
    throw errors.length ? new Error(`${htmlFile}: the page's charts did not draw: ${errors.join(' | ')}`) : err;
  }
}

/** Each drawn chart of a report as `<dir>/<chart id>.png`; returns the files written. */
export async function exportPngs(htmlFile: string, dir: string, prefix = ''): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const opened = await openInChromium(htmlFile, { width: 1600 });
  try {
    const files: string[] = [];
    for (const el of await opened.page.locator('section.chart[data-chart]').all()) {
      const id = await el.getAttribute('data-chart');
      const file = path.join(dir, `${prefix}${id}.png`);
      await el.screenshot({ path: file });
      files.push(file);
    }
    return files;
  } finally {
    await opened.close();
  }
}
