/**
 * Reads the cgroup files of the capped parent and of every service at a fixed interval, and turns a
 * rise of a service's OOM-kill counter into an event (matched with the kernel's log line for the victim).
 */
import type { MemoryCgroup, MemoryStats } from '../cgroups/cgroup.ts';
import { readKernelOomKills, readPsi, uptimeSeconds, type KernelOomKill, type Psi } from '../cgroups/index.ts';
import type { ServiceHandle } from '../drivers/driver.ts';
import type { RunEvent } from '../model/index.ts';
import { debug, swallow } from '../util/debug.ts';

export interface Sample {
  at: number;
  stack: MemoryStats;
  services: Map<string, MemoryStats>;
  psi?: Psi;
}

export interface MonitorOptions {
  parent: MemoryCgroup;
  handles: () => ServiceHandle[];
  emit: (e: Omit<RunEvent, 'at' | 't'> & { at?: number }) => void;
  onSample: (s: Sample) => void;
  intervalMs: number;
  /** cgroup v2 has per-cgroup PSI; v1 only the system's (undefined). null: none (a remote engine's stack). */
  psiFile?: string | null;
  /** PSI from elsewhere, read instead of psiFile (a remote engine's server, through its helper container). */
  psiSource?: () => Psi | undefined;
}

export class Monitor {
  private timer?: NodeJS.Timeout;
  private busy = false;
  private kernelKillsSeen = new Set<number>();
  /** Each service's working set at the previous reading: a victim's is gone by the time we read again. */
  private lastWorkingSet = new Map<string, number>();

  constructor(private readonly opts: MonitorOptions) {}

  start(): void {
    const tick = async () => {
      if (this.busy) return; // a slow read (a stalled box) must not pile up reads
      this.busy = true;
      try {
        this.opts.onSample(await this.sample());
      } catch (err) {
        // A cgroup removed mid-read at teardown.
        debug('monitor', `reading failed: ${String(err)}`);
      } finally {
        this.busy = false;
      }
    };
    void tick();
    this.timer = setInterval(tick, this.opts.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async sample(): Promise<Sample> {
    const at = Date.now();
    const [stack, psi] = await Promise.all([this.opts.parent.stats(), this.opts.psiSource ? this.opts.psiSource() : this.opts.psiFile === null ? undefined : readPsi(this.opts.psiFile).catch(swallow('monitor', 'read PSI'))]);
    const services = new Map<string, MemoryStats>();
    await Promise.all(
      this.opts.handles().map(async (h) => {
        const incarnation = h.incarnation;
        const s = await h.cgroup.stats().catch((err: unknown) => {
          // A service between two incarnations (a container restarting) has no cgroup for a moment.
          debug('monitor', `${h.name}: no reading: ${String(err)}`);
          return undefined;
        });
        if (!s) return;
        services.set(h.name, s);
        const before = this.lastWorkingSet.get(h.name) ?? 0;
        this.lastWorkingSet.set(h.name, s.workingSet);
        // The service restarted during the read: this counter is the old cgroup's, already accounted for.
        if (h.incarnation !== incarnation) return;
        if (s.oomKills > h.oomKillsReported) {
          const newKills = s.oomKills - h.oomKillsReported;
          h.oomKillsReported = s.oomKills; // claim before the next await: no one reports it twice
          await this.reportKills(h, newKills, Math.max(before, s.workingSet), s.oomKills, at);
        }
      }),
    );
    return { at, stack, services, psi };
  }

  /** One event per kill the counter shows, named from the kernel's own log line where it has one. */
  private async reportKills(h: ServiceHandle, count: number, workingSetThen: number, counter: number, at: number): Promise<void> {
    // Without the kernel log (no root, no dmesg) the counter alone says a kill happened.
    const logged = await kernelKillsFor(h.cgroup.kernelPath ?? h.cgroup.path).catch(swallow('monitor', 'read the kernel OOM log', [] as KernelOomKill[]));
    const fresh = logged.filter((k) => !this.kernelKillsSeen.has(k.pid)).slice(-count);
    const bootMs = await bootEpochMs();
    for (let i = 0; i < count; i++) {
      const k = fresh[i];
      if (k) this.kernelKillsSeen.add(k.pid);
      this.opts.emit({
        // When the kernel killed it (its log stamp), not when we noticed.
        at: k?.timestamp !== undefined && bootMs ? Math.min(at, Math.round(bootMs + k.timestamp * 1000)) : at,
        kind: 'oom-kill',
        service: h.name,
        pid: k?.pid,
        workingSetBytes: workingSetThen,
        detail: k
          ? `kernel: Memory cgroup out of memory: Killed process ${k.pid} (${k.name}) in ${k.taskMemcg ?? h.cgroup.path}; working set ${mb(workingSetThen)}${k.anonRss ? `, anon-rss ${mb(k.anonRss)}` : ''}`
          : `the cgroup's OOM-kill counter rose to ${counter}; working set ${mb(workingSetThen)}`,
      });
    }
  }

}

/** Wall-clock time of boot, for turning dmesg's seconds-since-boot into a time. */
async function bootEpochMs(): Promise<number | undefined> {
  try {
    return Date.now() - (await uptimeSeconds()) * 1000;
  } catch (err) {
    // Then a kill is stamped when the monitor saw it, not when the kernel logged it.
    debug('monitor', `no /proc/uptime: ${String(err)}`);
    return undefined;
  }
}

export async function kernelKillsFor(cgroupPath: string): Promise<KernelOomKill[]> {
  return (await readKernelOomKills({ under: cgroupPath })).filter((k) => k.taskMemcg === cgroupPath || k.taskMemcg?.startsWith(`${cgroupPath}/`));
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}
