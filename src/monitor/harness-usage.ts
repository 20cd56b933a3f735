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

/**
 * A sample this soon after the previous one (a stage's partial last second, written a few ms after the
 * full second before it) is measured over a longer span: a few ms of work over a few ms of wall time
 * read as a whole core busy (104 % "at the stage change" in a 4gb run, for 16 ms of CPU).
 */
const MIN_SPAN_MS = 500;

interface Mark {
  at: number;
  cpu: NodeJS.CpuUsage;
}

export class HarnessUsage {
  private last: Mark = { at: performance.now(), cpu: process.cpuUsage() };
  /** The mark before `last`: where a too-short sample is measured from. */
  private before: Mark | undefined;

  sample(): HarnessSample {
    const now: Mark = { at: performance.now(), cpu: process.cpuUsage() };
    // Too short a span since the last sample: measure from the one before it, and leave the marks as they
    // are, so the next row still covers its own whole second (this short span included).
    const short = now.at - this.last.at < MIN_SPAN_MS;
    const from = short && this.before ? this.before : this.last;
    if (!short) {
      this.before = this.last;
      this.last = now;
    }
    const wallUs = (now.at - from.at) * 1000;
    const cpuUs = now.cpu.user - from.cpu.user + (now.cpu.system - from.cpu.system);
    return { cpuPct: wallUs > 0 ? (cpuUs / wallUs) * 100 : 0, rssBytes: process.memoryUsage.rss() };
  }
}
