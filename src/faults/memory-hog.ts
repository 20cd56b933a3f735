/**
 * The memory hog: stress-ng holding SIZE inside the stack's capped cgroup, in a child cgroup of its own
 * (`<run>/fault-hog-N`), as Pumba's `stress --inject-cgroup` does: the hog competes with the services for
 * the same cap, and the kernel's OOM killer chooses among all of them. Both drivers put their services under
 * the same capped parent, so the hog is placed the same way under either.
 *
 * `--vm-keep --vm-hang 0`: touch the memory once and hold it (no CPU spent re-dirtying it on these 2 cores);
 * `--vm-populate`: the kernel faults the whole mapping in inside mmap() (MAP_POPULATE), the quickest way to
 * claim it; `--vm-madvise normal`: without it stress-ng picks a random madvise advice per mapping, so two runs
 * of the same fault would not claim memory the same way; `--oomable`: a hog the kernel kills stays dead
 * (stress-ng would otherwise respawn it in a loop); `--no-oom-adjust`: stress-ng otherwise sets its
 * workers' oom_score_adj to 1000 (seen in the kernel's kill record here), volunteering the hog as the OOM
 * killer's victim whatever the services hold; without it the kernel chooses as it would for any process.
 *
 * Claiming is not instant: under the cap the kernel must first reclaim the stack's page cache, and in this
 * VM a page never touched before costs the host a fault too. Measured here (4gb stack, 3 GB dataset):
 * 3 GiB took about 10 s, so a hog timed from its start was stopped before it held its size. The hold
 * therefore counts from when its cgroup holds the size (`claimed()`), and the report says what it held.
 *
 * Whether the kernel OOM-kills is arithmetic the start line shows: without swap it can take back only page
 * cache, so the hog fits if SIZE plus what the stack holds for good (anonymous and shared memory, kernel
 * memory: `heldMemory`) stays under the cap; then the kernel empties the stack's page cache instead of killing,
 * and the stack stalls on re-reading its own files. A hog that kept touching its pages, or re-mapped them, would
 * change nothing in that sum (anonymous pages are not reclaimable without swap, touched or not), and one that
 * kept growing past SIZE would no longer be SIZE: so the hog claims SIZE once and holds it, and the line says
 * which side of the cap the sum fell. Measured on the 4gb stack at steady state (3 GB dataset): 1.0 GB held for
 * good with 7 PostgreSQL backends, 1.3 GB with 20, so 3 GiB fitted with 9 MB to spare or did not fit at all;
 * the 4gb profile now keeps the app's pool whole (DB_POOL_MIN, docker/4gb.yml), as production does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { MemoryCgroup, MemoryStats } from '../cgroups/cgroup.ts';
import { heldMemory, pageCache } from '../cgroups/memory-files.ts';
import { kernelKillsFor } from '../monitor/monitor.ts';
import type { RunEvent } from '../model/events.ts';

const JOIN_AND_EXEC = 'for f in $SIMULATE_CGROUP_PROCS; do echo $$ > "$f" || exit 125; done; exec "$@"';

/** How long a hog may take to claim its size before its hold starts anyway (the report says how far it got). */
export const CLAIM_LIMIT_S = 30;

/** `seconds`: how long stress-ng may live at most (we stop it ourselves at the fault's end; this is the backstop). */
export function hogArgv(bytes: number, seconds: number): string[] {
  return ['stress-ng', '--vm', '1', '--vm-bytes', `${Math.floor(bytes / 1024)}k`, '--vm-keep', '--vm-hang', '0', '--vm-populate', '--vm-madvise', 'normal', '--oomable', '--no-oom-adjust', '--timeout', `${Math.max(1, Math.ceil(seconds))}s`, '--metrics-brief'];
}

export interface Claim {
  /** The hog's cgroup held its size (within a page table's worth). */
  reached: boolean;
  /** The hog is gone (OOM-killed, or it exited) before it held its size. */
  ended: boolean;
  /** Most the hog's cgroup held (its peak). */
  heldBytes: number;
  afterMs: number;
}

const GIB = 1024 ** 3;
const gib = (b: number) => `${(b / GIB).toFixed(2)} GiB`;
const mb = (b: number) => `${Math.round(b / 1024 / 1024)} MB`;

type StackReading = Pick<MemoryStats, 'usage' | 'rss' | 'activeFile' | 'inactiveFile' | 'limit'>;

/**
 * What the stack held when the hog started, and whether SIZE fits beside it: the kernel can take back page
 * cache (without swap nothing else), so SIZE + held for good > cap means it must OOM-kill someone.
 */
export function fitLine(bytes: number, s: StackReading): string {
  const held = heldMemory(s);
  const cache = pageCache(s);
  const other = Math.max(0, held - s.rss);
  const what = `the stack held ${gib(held)} the kernel cannot take back without swap (${mb(s.rss)} anonymous, ${mb(other)} shared and kernel memory) and ${mb(cache)} of page cache`;
  if (!Number.isFinite(s.limit)) return `${what}; no cap`;
  const sum = bytes + held;
  return sum > s.limit
    ? `${what}: ${gib(bytes)} + ${gib(held)} = ${gib(sum)} > the ${gib(s.limit)} cap, so reclaiming page cache cannot make room: the kernel must OOM-kill`
    : `${what}: ${gib(bytes)} + ${gib(held)} = ${gib(sum)} fits under the ${gib(s.limit)} cap (${mb(s.limit - sum)} to spare) if the kernel takes the page cache back, which it does before it OOM-kills`;
}

export class MemoryHog {
  private child?: ChildProcess;
  private cgroup?: MemoryCgroup;
  private killsReported = 0;
  private exited?: Promise<void>;
  private bytes = 0;
  private startedAt = 0;
  private peak = 0;
  readonly name: string;

  constructor(
    private readonly parent: MemoryCgroup,
    index: number,
    private readonly logFile: string,
    private readonly emit: (e: Omit<RunEvent, 'at' | 't'> & { at?: number }) => void,
  ) {
    this.name = `fault-hog-${index}`;
  }

  async start(bytes: number, seconds: number): Promise<string> {
    this.bytes = bytes;
    // The stack as the hog finds it, read before it claims anything.
    const before = await this.stackReading();
    this.startedAt = Date.now();
    this.cgroup = await this.parent.child(this.name);
    const out = fs.openSync(this.logFile, 'a');
    try {
      const child = spawn('/bin/sh', ['-c', JOIN_AND_EXEC, 'simulate-join', ...hogArgv(bytes, CLAIM_LIMIT_S + seconds + 30)], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SIMULATE_CGROUP_PROCS: this.cgroup.procsFiles().join(' ') },
        stdio: ['ignore', out, out],
        detached: true,
      });
      this.child = child;
      this.exited = new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.once('error', () => resolve());
      });
    } finally {
      fs.closeSync(out);
    }
    return `stress-ng (pid ${this.child.pid}) claims ${gib(bytes)} in ${this.cgroup.path}, inside the stack's cap; held ${seconds} s once claimed; ${before ? fitLine(bytes, before) : 'the stack\'s memory could not be read'}`;
  }

  /** The capped parent's memory now (undefined if it cannot be read: the fault goes on without the line). */
  private async stackReading(): Promise<MemoryStats | undefined> {
    try {
      return await this.parent.stats();
    } catch {
      return undefined;
    }
  }

  /** The most the hog's cgroup has held so far (bytes), from its own peak counter and our readings. */
  private async held(): Promise<number> {
    const st = await this.cgroup?.stats().catch(() => undefined);
    if (st) this.peak = Math.max(this.peak, st.peak, st.usage);
    return this.peak;
  }

  /**
   * Resolves when the hog's cgroup holds its size, when the hog is gone (OOM-killed), or after `limitMs`;
   * says which, and what it held. Polls every 250 ms; kills are reported as they are seen.
   */
  async claimed(limitMs = CLAIM_LIMIT_S * 1000, stop: () => boolean = () => false): Promise<Claim> {
    // stress-ng's own two processes add a few MB to the mapping; page tables are charged too. 98 % of the
    // size held means the mapping is in (MAP_POPULATE faults it in one go; it is then all resident).
    const goal = this.bytes * 0.98;
    for (;;) {
      const heldBytes = await this.held();
      const afterMs = Date.now() - this.startedAt;
      if (heldBytes >= goal) return { reached: true, ended: false, heldBytes, afterMs };
      if (!this.running) {
        await this.checkKills();
        return { reached: false, ended: true, heldBytes, afterMs };
      }
      if (afterMs >= limitMs || stop()) return { reached: false, ended: false, heldBytes, afterMs };
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** One line for the timeline: how the claim went. */
  static claimLine(c: Claim, bytes: number): string {
    const s = (c.afterMs / 1000).toFixed(1);
    if (c.reached) return `holds ${gib(c.heldBytes)} (its cgroup's usage) ${s} s after it started; the hold starts now`;
    if (c.ended) return `ended ${s} s after it started, having held at most ${gib(c.heldBytes)} of ${gib(bytes)}`;
    return `held ${gib(c.heldBytes)} of ${gib(bytes)} after ${s} s (the kernel reclaims or stalls instead of granting more); the hold starts now`;
  }

  /** Has the kernel killed a process of the hog's cgroup? Report each kill once, named from the kernel's log. */
  async checkKills(): Promise<void> {
    if (!this.cgroup) return;
    const stats = await this.cgroup.stats().catch(() => undefined);
    if (!stats || stats.oomKills <= this.killsReported) return;
    const count = stats.oomKills - this.killsReported;
    this.killsReported = stats.oomKills;
    const logged = await kernelKillsFor(this.cgroup.path).catch(() => []);
    for (const k of logged.slice(-count)) {
      this.emit({ kind: 'oom-kill', service: this.name, pid: k.pid, ...(k.anonRss ? { workingSetBytes: k.anonRss } : {}), detail: `kernel: Memory cgroup out of memory: Killed process ${k.pid} (${k.name}) in ${k.taskMemcg ?? this.cgroup.path} (the fault's memory hog)${k.anonRss ? `, anon-rss ${Math.round(k.anonRss / 1024 / 1024)} MB` : ''}` });
    }
    for (let i = logged.length; i < count; i++) this.emit({ kind: 'oom-kill', service: this.name, detail: `the hog's cgroup OOM-kill counter rose to ${stats.oomKills}` });
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Stop the hog (if the kernel has not already) and remove its cgroup. */
  async stop(): Promise<string> {
    await this.checkKills();
    const wasRunning = this.running;
    // Still holding and nothing killed: what the kernel took instead (read before the hog lets go).
    const at = wasRunning ? await this.stackReading() : undefined;
    if (wasRunning) {
      try {
        process.kill(-this.child!.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
      await this.exited;
    }
    await this.checkKills();
    const held = await this.held();
    await this.cgroup?.destroy().catch(() => undefined);
    const most = `held at most ${gib(held)} (${mb(held)}, its cgroup's peak)`;
    const instead = at && this.killsReported === 0 ? `; not OOM-killed (the stack's page cache as it let go: ${mb(pageCache(at))})` : '';
    return wasRunning ? `stress-ng stopped, ${most}${instead}; its memory freed` : `stress-ng had already ended (${this.killsReported ? 'OOM-killed' : 'exited'}), ${most}`;
  }
}
