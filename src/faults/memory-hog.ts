/**
 * The memory hog: stress-ng holding SIZE inside the stack's capped cgroup, in a child cgroup of its own
 * (`<run>/fault-hog-N`), as Pumba's `stress --inject-cgroup` does: the hog competes with the services for
 * the same cap, and the kernel's OOM killer chooses among all of them. Both drivers put their services under
 * the same capped parent, so the hog is placed the same way under either.
 *
 * `--vm-keep --vm-hang 0`: touch the memory once and hold it (no CPU spent re-dirtying it on these 2 cores);
 * `--oomable`: a hog the kernel kills stays dead (stress-ng would otherwise respawn it in a loop).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { MemoryCgroup } from '../cgroups/cgroup.ts';
import { kernelKillsFor } from '../monitor/monitor.ts';
import type { RunEvent } from '../model/events.ts';

const JOIN_AND_EXEC = 'for f in $SIMULATE_CGROUP_PROCS; do echo $$ > "$f" || exit 125; done; exec "$@"';

export function hogArgv(bytes: number, seconds: number): string[] {
  return ['stress-ng', '--vm', '1', '--vm-bytes', `${Math.floor(bytes / 1024)}k`, '--vm-keep', '--vm-hang', '0', '--oomable', '--timeout', `${Math.max(1, Math.ceil(seconds))}s`, '--metrics-brief'];
}

export class MemoryHog {
  private child?: ChildProcess;
  private cgroup?: MemoryCgroup;
  private killsReported = 0;
  private exited?: Promise<void>;
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
    this.cgroup = await this.parent.child(this.name);
    const out = fs.openSync(this.logFile, 'a');
    try {
      const child = spawn('/bin/sh', ['-c', JOIN_AND_EXEC, 'simulate-join', ...hogArgv(bytes, seconds)], {
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
    return `stress-ng (pid ${this.child.pid}) holds ${(bytes / 1024 ** 3).toFixed(2)} GiB in ${this.cgroup.path}, inside the stack's cap`;
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
    if (wasRunning) {
      try {
        process.kill(-this.child!.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
      await this.exited;
    }
    await this.checkKills();
    await this.cgroup?.destroy().catch(() => undefined);
    return wasRunning ? 'stress-ng stopped, its memory freed' : `stress-ng had already ended (${this.killsReported ? 'OOM-killed' : 'exited'})`;
  }
}
