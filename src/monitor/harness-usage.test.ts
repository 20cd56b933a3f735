import { describe, expect, it } from 'vitest';
import { HarnessUsage } from './harness-usage.ts';

describe('harness usage', () => {
  it('reports the CPU this process spent since the last sample, and its resident memory', async () => {
    const usage = new HarnessUsage();
    // Spend 60 ms of CPU (measured by the kernel, whatever else runs on the machine).
    const start = process.cpuUsage();
    while (process.cpuUsage(start).user < 60_000);
    const busy = usage.sample();
    expect(busy.cpuPct).toBeGreaterThan(10);
    expect(busy.rssBytes).toBeGreaterThan(10 * 2 ** 20);
    await new Promise((r) => setTimeout(r, 300));
    const idle = usage.sample();
    expect(idle.cpuPct).toBeLessThan(busy.cpuPct);
  });
});

describe('harness usage over a short span', () => {
  it('a sample a few ms after the last one is measured over the second before it, not read as a core busy', async () => {
    const usage = new HarnessUsage();
    await new Promise((r) => setTimeout(r, 600));
    const full = usage.sample();
    // 15 ms of CPU at once (a stage change's work), then a partial second's row right after it.
    const start = process.cpuUsage();
    while (process.cpuUsage(start).user < 15_000);
    const partial = usage.sample();
    // Over the 600+ ms before it, 15 ms is a few %; over its own ~15 ms it would read about 100 %.
    expect(partial.cpuPct).toBeLessThan(50);
    expect(full.cpuPct).toBeLessThan(50);
    // The next row still covers its whole span, the short one's CPU included.
    await new Promise((r) => setTimeout(r, 600));
    const next = usage.sample();
    expect(next.cpuPct).toBeGreaterThan(0);
    expect(next.cpuPct).toBeLessThan(50);
  });
});
