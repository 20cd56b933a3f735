/**
 * What simulate itself costs while it measures a stack: CPU (% of one core, since the last sample)
 * and resident memory of this process. Written to every timeseries.csv row, so a reader can see the
 * harness never competed with the stack it measured. Services and their children are not counted
 * here; they are in their own cgroups' columns.
 */
import { performance } from 'node:perf_hooks';

export interface HarnessSample {
  /** CPU time (user + system) over wall time since the previous sample, in % of one core. */
  cpuPct: number;
  rssBytes: number;
}

export class HarnessUsage {
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  sample(): HarnessSample {
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const wallUs = (now - this.lastAt) * 1000;
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    return { cpuPct: wallUs > 0 ? ((cpu.user + cpu.system) / wallUs) * 100 : 0, rssBytes: process.memoryUsage.rss() };
  }
}
