/**
 * Memory of containers on an engine whose cgroup files we cannot read (another machine): the engine's
 * stats stream, one reading a second per container, turned into the same MemoryStats a local cgroup
 * gives. Working set = usage − inactive file cache (total_inactive_file on v1, inactive_file on v2),
 * as `docker stats` computes it. The stream carries no OOM-kill counter: kills come from the engine's
 * events and State.OOMKilled (the driver), so `oomKills` stays 0 here.
 */
import type Docker from 'dockerode';
import type { CgroupVersion, MemoryCgroup, MemoryStats } from '../../cgroups/cgroup.ts';
import { debug, swallow } from '../../util/debug.ts';
import { JsonLineSplitter } from './event-lines.ts';

/** The memory part of one /containers/{id}/stats reading (v1 and v2 field names). */
export interface EngineMemoryStats {
  usage?: number;
  max_usage?: number;
  failcnt?: number;
  limit?: number;
  stats?: Record<string, number | undefined>;
}

export function memoryFromEngine(m: EngineMemoryStats | undefined, version: CgroupVersion): MemoryStats | undefined {
  if (!m || m.usage === undefined) return undefined;
  const s = m.stats ?? {};
  const inactiveFile = (version === 1 ? s.total_inactive_file : s.inactive_file) ?? 0;
  const usage = m.usage;
  return {
    usage,
    workingSet: Math.max(0, usage - inactiveFile),
    rss: (version === 1 ? s.total_rss : s.anon) ?? 0,
    cache: (version === 1 ? s.total_cache : s.file) ?? 0,
    inactiveFile,
    activeFile: (version === 1 ? s.total_active_file : s.active_file) ?? 0,
    // v1 reports swap as total_swap only with swap accounting; v2's stats have no swap field.
    swap: (version === 1 ? s.total_swap : undefined) ?? 0,
    peak: m.max_usage ?? usage,
    failcnt: m.failcnt ?? 0,
    oomKills: 0,
    limit: m.limit ?? Infinity,
  };
}

const ZERO: MemoryStats = { usage: 0, workingSet: 0, rss: 0, cache: 0, inactiveFile: 0, activeFile: 0, swap: 0, peak: 0, failcnt: 0, oomKills: 0, limit: Infinity };

/** One container's latest reading, kept fresh by its stats stream (reopened after a restart). */
class ContainerMemory implements MemoryCgroup {
  readonly dir = '';
  latest?: MemoryStats;
  private at = 0;
  private stream?: NodeJS.ReadableStream & { destroy?: () => void };
  private closed = false;
  private peak = 0;

  constructor(
    private readonly docker: Docker,
    readonly id: string,
    readonly path: string,
    readonly version: CgroupVersion,
  ) {}

  follow(): void {
    if (this.closed || this.stream) return;
    this.docker
      .getContainer(this.id)
      .stats({ stream: true })
      .then((s) => {
        const stream = s as unknown as NodeJS.ReadableStream & { destroy?: () => void };
        if (this.closed) return stream.destroy?.();
        this.stream = stream;
        const lines = new JsonLineSplitter<{ memory_stats?: EngineMemoryStats }>();
        stream.on('data', (chunk: Buffer) => {
          for (const o of lines.push(chunk)) this.take(o.memory_stats);
        });
        // A stopped container's stream ends (or keeps sending zeros, see take): follow again on demand.
        const ended = () => {
          this.stream = undefined;
        };
        stream.on('end', ended);
        stream.on('close', ended);
        stream.on('error', swallow('docker', `stats stream of ${this.id.slice(0, 12)}`));
      })
      .catch((err: unknown) => debug('docker', `stats of ${this.id.slice(0, 12)}: ${String(err)}`));
  }

  private take(m: EngineMemoryStats | undefined): void {
    const s = memoryFromEngine(m, this.version);
    // A stopped container's stream sends empty readings: no reading, not a zero.
    if (!s || s.usage === 0) {
      this.latest = undefined;
      return;
    }
    this.peak = Math.max(this.peak, s.peak, s.usage);
    this.latest = { ...s, peak: this.peak };
    this.at = Date.now();
  }

  async stats(): Promise<MemoryStats> {
    this.follow();
    // Older than 3 s: the container is not running (or the stream stalled): no reading.
    if (!this.latest || Date.now() - this.at > 3000) throw new Error(`no recent stats for container ${this.id.slice(0, 12)}`);
    return this.latest;
  }

  close(): void {
    this.closed = true;
    this.stream?.destroy?.();
  }

  async setMemoryLimit(): Promise<void> {
    throw new Error('a container\'s limit on a remote engine is set by the engine (mem_limit)');
  }
  async setCpuLimit(): Promise<void> {
    throw new Error('not on a remote engine');
  }
  procsFiles(): string[] {
    return [];
  }
  async addPid(): Promise<void> {
    throw new Error('no local process joins a remote container');
  }
  async pids(): Promise<number[]> {
    return [];
  }
  async child(): Promise<MemoryCgroup> {
    throw new Error('a container has no child cgroups of ours');
  }
  async destroy(): Promise<void> {
    this.close();
  }
}

/**
 * The run's "parent cgroup" on a remote engine: its stats are the sum of its containers' readings, its
 * limit the cap (the server's memory, or the capped cgroup made there); its children are containers.
 */
export class RemoteStack implements MemoryCgroup {
  readonly dir = '';
  private readonly children = new Map<string, ContainerMemory>();
  private peak = 0;

  constructor(
    private readonly docker: Docker,
    /** Where the stack's containers are on the server: its capped cgroup, or `remote:<host>` without one. */
    readonly path: string,
    readonly version: CgroupVersion,
    private capBytes: number,
    private readonly onSetLimit?: (bytes: number, swapBytes: number) => Promise<void>,
    private readonly onDestroy?: () => Promise<void>,
  ) {}

  async setMemoryLimit(bytes: number, swapBytes: number): Promise<void> {
    this.capBytes = bytes;
    await this.onSetLimit?.(bytes, swapBytes);
  }

  async setCpuLimit(cpus: number): Promise<void> {
    if (cpus > 0) debug('docker', `--cpus ${cpus} is not applied on a remote engine`);
  }

  procsFiles(): string[] {
    return [];
  }

  async addPid(): Promise<void> {
    throw new Error('no local process joins a remote stack');
  }

  async pids(): Promise<number[]> {
    return [];
  }

  async child(containerId: string): Promise<MemoryCgroup> {
    let c = this.children.get(containerId);
    if (!c) {
      c = new ContainerMemory(this.docker, containerId, `${this.path}/${containerId}`, this.version);
      this.children.set(containerId, c);
      c.follow();
    }
    return c;
  }

  async stats(): Promise<MemoryStats> {
    const sum = { ...ZERO };
    for (const c of this.children.values()) {
      const s = await c.stats().catch(() => undefined);
      if (!s) continue;
      sum.usage += s.usage;
      sum.workingSet += s.workingSet;
      sum.rss += s.rss;
      sum.cache += s.cache;
      sum.inactiveFile += s.inactiveFile;
      sum.activeFile += s.activeFile;
      sum.swap += s.swap;
      sum.failcnt += s.failcnt;
    }
    this.peak = Math.max(this.peak, sum.usage);
    return { ...sum, peak: this.peak, limit: this.capBytes };
  }

  async destroy(): Promise<void> {
    for (const c of this.children.values()) c.close();
    this.children.clear();
    await this.onDestroy?.();
  }
}
