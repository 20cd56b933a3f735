/**
 * Runs a run's faults on the load's clock: each starts at its second after the load starts and, if it lasts,
 * is undone at its end (resume, start, proxy cleared, hog stopped). Service faults go through the driver's
 * `inject` (process or docker: the runner does not know which); the hog goes into the stack's capped cgroup;
 * network faults switch the proxy the stack was started behind. Each start and end is an event on the
 * timeline. `finish()` undoes whatever is still active, so a paused or stopped service never outlives the
 * load.
 */
import path from 'node:path';
import type { MemoryCgroup } from '../cgroups/cgroup.ts';
import type { Driver } from '../drivers/driver.ts';
import { InputError } from '../errors.ts';
import type { Stack } from '../profile/stack.ts';
import type { RunEvent } from '../model/index.ts';
import { fillDisk, freeDisk, type SmallDisks } from './disk-full.ts';
import { FaultProxy } from './fault-proxy.ts';
import type { FaultWindow } from './fault-record.ts';
import type { FaultSpec } from './fault-spec.ts';
import { MemoryHog } from './memory-hog.ts';
import { rerouteToProxy, servicePort } from './proxy-routes.ts';

type Emit = (e: Omit<RunEvent, 'at' | 't'> & { at?: number }) => void;

export interface FaultProxies {
  byService: Map<string, FaultProxy>;
  close(): Promise<void>;
}

/**
 * Before the stack starts: one proxy per service a latency or loss fault names, and the other services'
 * environment pointed at it. A fault whose traffic would not pass through the proxy is an input error.
 */
export async function prepareProxies(stack: Stack, faults: FaultSpec[], emit: Emit): Promise<FaultProxies> {
  const byService = new Map<string, FaultProxy>();
  const close = async () => {
    for (const p of byService.values()) await p.close().catch(() => undefined);
  };
  try {
    for (const f of faults) {
      if ((f.kind !== 'latency' && f.kind !== 'loss') || byService.has(f.service!)) continue;
      const port = servicePort(stack, f.service!)!;
      const proxy = new FaultProxy({ host: '127.0.0.1', port });
      byService.set(f.service!, proxy);
      const listen = await proxy.start();
      const r = rerouteToProxy(stack, f.service!, port, listen);
      if (r.changed.length === 0) {
        throw new InputError(`fault "${f.text}": no other service names ${f.service}'s port ${port} in its environment, so no traffic would pass through the fault proxy`, 'point a client at the service through an environment variable (e.g. REDIS_PORT)');
      }
      emit({ kind: 'info', service: f.service, detail: `fault proxy 127.0.0.1:${listen} -> 127.0.0.1:${port} (user space: this kernel has no netem); ${r.changed.join(', ')} now point at it` });
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { byService, close };
}

interface Active {
  spec: FaultSpec;
  window: FaultWindow;
  undo?: () => Promise<string>;
  hog?: MemoryHog;
  poll?: NodeJS.Timeout;
}

export class FaultRunner {
  private timers: NodeJS.Timeout[] = [];
  private readonly active = new Set<Active>();
  private readonly pending = new Set<Promise<unknown>>();
  readonly windows: FaultWindow[] = [];
  private finished = false;
  private hogs = 0;

  constructor(
    private readonly opts: {
      faults: FaultSpec[];
      driver: Driver;
      parent: MemoryCgroup;
      runDir: string;
      proxies: FaultProxies;
      disks?: SmallDisks;
      emit: Emit;
    },
  ) {}

  /** Schedule every fault relative to `loadStartMs`. */
  start(loadStartMs: number): void {
    // One clock reading for all: faults due at the same second then share one delay, so Node's
    // timer list fires them in the order they were given (per-fault readings could swap them).
    const now = Date.now();
    for (const spec of this.opts.faults) {
      const delay = Math.max(0, loadStartMs + spec.atS * 1000 - now);
      this.timers.push(setTimeout(() => this.track(this.begin(spec)), delay));
    }
  }

  private track<T>(p: Promise<T>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private async begin(spec: FaultSpec): Promise<void> {
    if (this.finished) return;
    const startAt = Date.now();
    const window: FaultWindow = { text: spec.text, kind: spec.kind, service: spec.service, how: '', startAt, endAt: startAt };
    this.windows.push(window);
    const a: Active = { spec, window };
    try {
      window.how = await this.inject(a);
      this.opts.emit({ kind: 'fault-start', service: spec.service ?? a.hog?.name, detail: `${spec.text}: ${window.how}` });
    } catch (err) {
      window.error = (err as Error).message;
      window.how = 'not injected';
      this.opts.emit({ kind: 'fault-start', service: spec.service, detail: `${spec.text}: could not be injected: ${window.error}` });
    }
    if (!a.undo || window.error) {
      // A moment (kill, restart) or a failed injection: it ends where it started.
      window.endAt = Date.now();
      if (!window.error && spec.durationS === 0) this.opts.emit({ kind: 'fault-end', service: spec.service, detail: `${spec.text}: done (recovery is measured from here)` });
      return;
    }
    this.active.add(a);
    let holdFrom = startAt;
    if (a.hog) {
      // A hog's hold counts from when it holds its size: claiming 3 GiB under the cap took ~10 s here.
      const c = await a.hog.claimed(undefined, () => this.finished || !this.active.has(a));
      // The load ended meanwhile: finish() undoes it (and its fault-end says what it held).
      if (this.finished || !this.active.has(a)) return;
      this.opts.emit({ kind: 'info', service: a.hog.name, detail: `${spec.text}: ${MemoryHog.claimLine(c, spec.bytes!)}` });
      if (c.ended) return this.end(a);
      holdFrom = Date.now();
    }
    const left = holdFrom + spec.durationS * 1000 - Date.now();
    this.timers.push(setTimeout(() => this.track(this.end(a)), Math.max(0, left)));
  }

  private async inject(a: Active): Promise<string> {
    const { spec } = a;
    const { driver, proxies } = this.opts;
    switch (spec.kind) {
      case 'kill':
      case 'restart':
        return driver.inject(spec.service!, spec.kind);
      case 'pause':
        a.undo = () => driver.inject(spec.service!, 'resume');
        return driver.inject(spec.service!, 'pause');
      case 'stop':
        a.undo = () => driver.inject(spec.service!, 'start');
        return driver.inject(spec.service!, 'stop');
      case 'latency':
      case 'loss': {
        const proxy = proxies.byService.get(spec.service!)!;
        proxy.set(spec.kind === 'latency' ? { latencyMs: spec.ms! } : { loss: spec.loss! });
        a.undo = async () => {
          proxy.set(spec.kind === 'latency' ? { latencyMs: 0 } : { loss: 0 });
          return `proxy back to pass-through (${proxy.stats.chunksDelayed} chunks delayed${spec.kind === 'loss' ? `, ${proxy.stats.chunksLost} held as lost` : ''} so far)`;
        };
        return spec.kind === 'latency'
          ? `+${spec.ms} ms on each chunk to ${spec.service} port ${proxy.target.port} (user-space proxy on 127.0.0.1:${proxy.port}; no netem in this kernel)`
          : `${Math.round(spec.loss! * 1000) / 10} % of chunks to ${spec.service} held back ${200} ms as a lost segment would be (user-space proxy on 127.0.0.1:${proxy.port}; no netem in this kernel)`;
      }
      case 'hog': {
        const hog = new MemoryHog(this.opts.parent, ++this.hogs, path.join(this.opts.runDir, 'logs', `fault-hog-${this.hogs}.log`), this.opts.emit);
        a.hog = hog;
        a.undo = () => hog.stop();
        const how = await hog.start(spec.bytes!, spec.durationS);
        a.poll = setInterval(() => {
          void hog.checkKills();
          // Killed by the kernel while it held: the fault is over then, not when its hold would have ended.
          if (!hog.running && this.active.has(a)) this.track(this.end(a));
        }, 500);
        return how;
      }
      case 'disk-full': {
        const disk = this.opts.disks?.byService.get(spec.service!);
        if (!disk) throw new Error(`${spec.service} has no small filesystem of its own (it is made before the stack starts)`);
        a.undo = async () => freeDisk(disk);
        return fillDisk(disk);
      }
    }
  }

  private async end(a: Active): Promise<void> {
    if (!this.active.delete(a)) return;
    clearInterval(a.poll);
    let how: string;
    try {
      how = await a.undo!();
    } catch (err) {
      how = `undo failed: ${(err as Error).message}`;
    }
    a.window.endAt = Date.now();
    this.opts.emit({ kind: 'fault-end', service: a.spec.service ?? a.hog?.name, detail: `${a.spec.text}: ${how}` });
  }

  /** The load is over: nothing more starts, whatever is active is undone now. */
  async finish(): Promise<FaultWindow[]> {
    this.finished = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.allSettled([...this.pending]);
    await Promise.allSettled([...this.active].map((a) => this.end(a)));
    return this.windows;
  }
}
