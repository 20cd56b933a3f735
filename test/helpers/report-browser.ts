/**
 * Checks of a report.html as a reader's browser shows it (Debian's Chromium through playwright-core): which
 * charts drew data (pixels of their series' colours on the canvas, not just axes), and where the markers are.
 */
import type { Page } from 'playwright-core';
import { findChromium } from '../../src/report/html/png.ts';

export const chromium = findChromium();
export const CHROMIUM_SKIP = "Debian's chromium is not installed (apt-get install -y chromium; .ci/run installs it)";

export interface ChartPixels {
  id: string;
  /** Pixels of each series' colour on the chart's canvas. */
  seriesPixels: number[];
  markers: Array<{ x: number; label: string; kind: string; px: number; top: number; bottom: number; redPixels: number }>;
}

/** Per drawn chart: pixels in each series colour, and each marker with the red pixels in its column. */
export async function chartPixels(page: Page): Promise<ChartPixels[]> {
  return page.evaluate(() => {
    const hex = (h: string) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
    const near = (d: Uint8ClampedArray, i: number, c: number[], tol: number) => d[i + 3] > 200 && Math.abs(d[i] - c[0]) <= tol && Math.abs(d[i + 1] - c[1]) <= tol && Math.abs(d[i + 2] - c[2]) <= tol;
    const charts = (window as unknown as { __report: { charts: Array<{ id: string; colors: string[] }> } }).__report.charts;
    return charts.map(({ id, colors }) => {
      const section = document.querySelector(`[data-chart="${id}"]`)!;
      const canvas = section.querySelector('canvas')!;
      const ctx = canvas.getContext('2d')!;
      const { data, width } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const seriesPixels = colors.map((c) => {
        const rgb = hex(c);
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (near(data, i, rgb, 24)) n++;
        return n;
      });
      const red = hex('#d62728');
      const markers = (JSON.parse(section.getAttribute('data-markers') ?? '[]') as Array<{ x: number; label: string; kind: string; px: number; top: number; bottom: number }>).map((m) => {
        let redPixels = 0;
        for (let y = m.top; y < m.bottom; y++) {
          for (let dx = -1; dx <= 1; dx++) if (near(data, (y * width + m.px + dx) * 4, red, 40)) { redPixels++; break; }
        }
        return { ...m, redPixels };
      });
      return { id, seriesPixels, markers };
    });
  });
}
