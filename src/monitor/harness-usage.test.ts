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
