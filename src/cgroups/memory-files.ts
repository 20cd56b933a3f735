/**
 * Pure parsers for the memory cgroup's text files, v1 and v2, and the step that turns a set of
 * file contents into one MemoryStats. No I/O here, so every figure is unit-tested from recorded files.
 */
import type { MemoryStats } from './cgroup.ts';

/**
 * v1 prints "unlimited" as PAGE_COUNTER_MAX × page size (9223372036854771712 with 4 KiB pages,
 * other values with 16/64 KiB pages); v2 prints `max`. Anything at or above 2^62 is no limit: no
 * machine has that much memory, and the exact figure is beyond a double's precision anyway.
 */
const UNLIMITED_FROM = 2 ** 62;

export function parseLimit(text: string): number {
  const value = text.trim();
  if (value === 'max' || value === '-1') return Infinity;
  const n = Number(value);
  if (!Number.isFinite(n) || value === '') throw new Error(`not a cgroup limit: ${JSON.stringify(text)}`);
  return n >= UNLIMITED_FROM ? Infinity : n;
}

/** A single number file (memory.current, memory.usage_in_bytes, memory.failcnt, ...). */
export function parseNumber(text: string): number {
  const value = text.trim();
  const n = Number(value);
  if (value === '' || !Number.isFinite(n)) throw new Error(`not a number: ${JSON.stringify(text)}`);
  return n;
}

/** `key value` per line: memory.stat (v1 and v2), memory.events, memory.oom_control. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const space = trimmed.indexOf(' ');
    if (space < 0) continue;
    const n = Number(trimmed.slice(space + 1).trim());
    if (Number.isFinite(n)) out[trimmed.slice(0, space)] = n;
  }
  return out;
}

export interface MemoryStatV1 {
  /** The hierarchical (`total_*`) figures: this cgroup and every descendant. */
  rss: number;
  cache: number;
  inactiveFile: number;
  activeFile: number;
  /** `total_swap` exists only when swap accounting is on (memsw files present). */
  swap: number;
  /** `hierarchical_memory_limit`: the tightest limit on the path to the root. */
  hierarchicalLimit: number;
  raw: Record<string, number>;
}

/**
 * v1 memory.stat: the un-prefixed keys count this cgroup's own pages only, `total_*` add the
 * descendants. A run's parent holds no process itself, so only `total_*` is meaningful for it.
 */
export function parseMemoryStatV1(text: string): MemoryStatV1 {
  const raw = parseFlatKeyed(text);
  const pick = (key: string) => raw[`total_${key}`] ?? raw[key] ?? 0;
  return {
    rss: pick('rss'),
    cache: pick('cache'),
    inactiveFile: pick('inactive_file'),
    activeFile: pick('active_file'),
    swap: pick('swap'),
    hierarchicalLimit: raw.hierarchical_memory_limit === undefined ? Infinity : limitOf(raw.hierarchical_memory_limit),
    raw,
  };
}

export interface MemoryStatV2 {
  /** `anon`: what v1 calls rss. */
  anon: number;
  /** `file`: page cache, what v1 calls cache. */
  file: number;
  inactiveFile: number;
  activeFile: number;
  raw: Record<string, number>;
}

/** v2 memory.stat is hierarchical already. Swap is not in it: it is memory.swap.current. */
export function parseMemoryStatV2(text: string): MemoryStatV2 {
  const raw = parseFlatKeyed(text);
  return { anon: raw.anon ?? 0, file: raw.file ?? 0, inactiveFile: raw.inactive_file ?? 0, activeFile: raw.active_file ?? 0, raw };
}

export interface MemoryEvents {
  low: number;
  high: number;
  /** Times usage hit memory.max (the v2 counterpart of v1 failcnt). */
  max: number;
  oom: number;
  oomKill: number;
  oomGroupKill: number;
}

/** v2 memory.events (hierarchical) or memory.events.local. */
export function parseMemoryEvents(text: string): MemoryEvents {
  const raw = parseFlatKeyed(text);
  return {
    low: raw.low ?? 0,
    high: raw.high ?? 0,
    max: raw.max ?? 0,
    oom: raw.oom ?? 0,
    oomKill: raw.oom_kill ?? 0,
    oomGroupKill: raw.oom_group_kill ?? 0,
  };
}

export interface OomControl {
  oomKillDisable: boolean;
  underOom: boolean;
  /** Victims in this cgroup itself (v1 does not add the descendants' kills). */
  oomKill: number;
}

/** v1 memory.oom_control. `oom_kill` appeared in kernel 4.13; older kernels read as 0. */
export function parseOomControl(text: string): OomControl {
  const raw = parseFlatKeyed(text);
  return { oomKillDisable: raw.oom_kill_disable === 1, underOom: raw.under_oom === 1, oomKill: raw.oom_kill ?? 0 };
}

/** cgroup.procs / tasks: one pid a line. */
export function parseProcs(text: string): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const n = Number.parseInt(line.trim(), 10);
    if (Number.isInteger(n) && n > 0) out.push(n);
  }
  return out;
}

/** The raw text of the v1 files stats() reads; a missing optional file is undefined. */
export interface V1MemoryFiles {
  'memory.stat': string;
  'memory.usage_in_bytes': string;
  'memory.max_usage_in_bytes': string;
  'memory.failcnt': string;
  'memory.oom_control': string;
  'memory.limit_in_bytes': string;
}

export function statsFromV1(files: V1MemoryFiles): MemoryStats {
  const stat = parseMemoryStatV1(files['memory.stat']);
  const usage = parseNumber(files['memory.usage_in_bytes']);
  return {
    usage,
    workingSet: workingSet(usage, stat.inactiveFile),
    rss: stat.rss,
    cache: stat.cache,
    inactiveFile: stat.inactiveFile,
    activeFile: stat.activeFile,
    swap: stat.swap,
    peak: parseNumber(files['memory.max_usage_in_bytes']),
    failcnt: parseNumber(files['memory.failcnt']),
    oomKills: parseOomControl(files['memory.oom_control']).oomKill,
    limit: parseLimit(files['memory.limit_in_bytes']),
  };
}

export interface V2MemoryFiles {
  'memory.current': string;
  'memory.stat': string;
  'memory.events': string;
  'memory.max': string;
  /** Absent when swap accounting is off (no swap controller). */
  'memory.swap.current'?: string;
  /** Absent before kernel 5.19. */
  'memory.peak'?: string;
}

/** `peakSeen` stands in for memory.peak on kernels without it: the highest usage we read. */
export function statsFromV2(files: V2MemoryFiles, peakSeen = 0): MemoryStats {
  const stat = parseMemoryStatV2(files['memory.stat']);
  const events = parseMemoryEvents(files['memory.events']);
  const usage = parseNumber(files['memory.current']);
  const peakFile = files['memory.peak'];
  return {
    usage,
    workingSet: workingSet(usage, stat.inactiveFile),
    rss: stat.anon,
    cache: stat.file,
    inactiveFile: stat.inactiveFile,
    activeFile: stat.activeFile,
    swap: files['memory.swap.current'] === undefined ? 0 : parseNumber(files['memory.swap.current']),
    peak: peakFile === undefined ? Math.max(peakSeen, usage) : parseNumber(peakFile),
    failcnt: events.max,
    oomKills: events.oomKill,
    limit: parseLimit(files['memory.max']),
  };
}

/**
 * Memory the stack holds that the kernel cannot take back without swap: usage less all file cache (active
 * and inactive). Anonymous memory and shared memory (PostgreSQL's shared_buffers, tmpfs) stay in; the page
 * cache of files read, which the kernel reclaims before it OOM-kills, does not. What a growth trend projects
 * to the cap: the working set also grows as a large database's pages are read twice (active file cache),
 * which is not a leak and never reaches the cap as an OOM kill.
 */
export function heldMemory(s: Pick<MemoryStats, 'usage' | 'activeFile' | 'inactiveFile'>): number {
  return Math.max(0, s.usage - s.activeFile - s.inactiveFile);
}

/** The page cache in usage: what the kernel can take back without swap (usage less heldMemory). */
export function pageCache(s: Pick<MemoryStats, 'usage' | 'activeFile' | 'inactiveFile'>): number {
  return s.usage - heldMemory(s);
}

/** What `docker stats` and cAdvisor report as a container's memory. */
export function workingSet(usage: number, inactiveFile: number): number {
  return Math.max(0, usage - inactiveFile);
}

function limitOf(n: number): number {
  return n >= UNLIMITED_FROM ? Infinity : n;
}
