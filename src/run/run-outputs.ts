/**
 * The files of a run folder, written as the run goes: timeseries.csv (a row a second), events.csv (a row an
 * event), run.json (what ran: rewritten when something changes), report.json (the verdict, at the end).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MemoryStats } from '../cgroups/cgroup.ts';
import { heldMemory } from '../cgroups/memory-files.ts';
import type { SecondWindow } from '../load/index.ts';
import { basicHostFacts, type HostFacts } from '../monitor/host-facts.ts';
import { HarnessUsage } from '../monitor/harness-usage.ts';
import type { Stack } from '../profile/stack.ts';
import type { ServiceStatsRow } from '../monitor/service-stats.ts';
import { CsvFile } from '../util/csv-file.ts';
import type { RunEvent, RunState } from '../model/index.ts';

const MB = 1024 * 1024;
const mb = (b: number | undefined) => (b === undefined ? '' : Math.round((b / MB) * 10) / 10);

/** A service's column prefix: stand-ins say so in every CSV. */
export function columnName(name: string, kind: string): string {
  return kind === 'standin' ? `${name}_standin` : name;
}

export class RunOutputs {
  readonly timeseries: CsvFile;
  readonly events: CsvFile;
  private readonly serviceCols: Array<{ name: string; prefix: string }>;
  private readonly harness = new HarnessUsage();

  /** `onWriteError`: a results file could not be written (disk full): the run ends with a clear error. */
  constructor(
    readonly runDir: string,
    stack: Stack,
    private readonly onWriteError?: (err: NodeJS.ErrnoException, file: string) => void,
  ) {
    fs.mkdirSync(runDir, { recursive: true });
    this.serviceCols = stack.services.filter((s) => s.launch).map((s) => ({ name: s.name, prefix: columnName(s.name, s.kind) }));
    this.timeseries = new CsvFile(path.join(runDir, 'timeseries.csv'), [
      'time',
      't_s',
      'stage',
      'rate_scheduled',
      'rate_sent',
      'rate_completed',
      'dropped',
      'errors',
      'timeouts',
      'in_flight',
      'latency_avg_ms',
      'latency_p50_ms',
      'latency_p95_ms',
      'latency_p99_ms',
      'latency_max_ms',
      'stack_working_set_mb',
      'stack_usage_mb',
      'stack_swap_mb',
      'cap_mb',
      'swapping',
      'psi_some_avg10',
      'psi_full_avg10',
      // simulate's own process: CPU % of one core over the row's second, resident MB.
      'harness_cpu_pct',
      'harness_rss_mb',
      ...this.serviceCols.flatMap(({ prefix }) => [
        `${prefix}_working_set_mb`,
        `${prefix}_rss_mb`,
        `${prefix}_cache_mb`,
        `${prefix}_swap_mb`,
        `${prefix}_oom_kills`,
      ]),
      // The caches at work (empty when the stack has no Redis / PostgreSQL, or it did not answer that second).
      'stack_page_cache_mb',
      // usage less all file cache (anon + shared memory): what the growth trend projects to the cap.
      'stack_held_mb',
      'redis_used_memory_mb',
      'redis_maxmemory_mb',
      'redis_evicted_keys_per_s',
      'redis_expired_keys_per_s',
      'redis_hit_ratio',
      'redis_keys',
      'pg_buffer_hit_ratio',
      'pg_shared_buffers_used_mb',
      'pg_shared_buffers_used_pct',
      'pg_connections',
      'pg_database_size_mb',
    ], onWriteError);
    this.events = new CsvFile(path.join(runDir, 'events.csv'), ['time', 't_s', 'service', 'service_kind', 'event', 'pid', 'detail'], onWriteError);
  }

  row(opts: {
    at: number;
    t: number;
    window?: SecondWindow;
    stack?: MemoryStats;
    services: Map<string, MemoryStats>;
    capBytes: number;
    swapping: boolean;
    psi?: { some10: number; full10: number };
    caches?: ServiceStatsRow;
  }): void {
    const w = opts.window;
    const harness = this.harness.sample();
    const c = opts.caches ?? {};
    const ratio = (r: number | undefined) => (r === undefined ? undefined : Math.round(r * 10000) / 10000);
    const per = (r: number | undefined) => (r === undefined ? undefined : Math.round(r * 10) / 10);
    this.timeseries.append([
      new Date(opts.at).toISOString(),
      opts.t,
      w?.stage ?? '',
      w?.scheduled,
      w?.sent,
      w?.completed,
      w?.dropped,
      w?.errors,
      w?.timeouts,
      w?.inFlight,
      w?.latency.avgMs,
      w?.latency.p50Ms,
      w?.latency.p95Ms,
      w?.latency.p99Ms,
      w?.latency.maxMs,
      mb(opts.stack?.workingSet),
      mb(opts.stack?.usage),
      mb(opts.stack?.swap),
      mb(opts.capBytes),
      opts.swapping ? 1 : 0,
      opts.psi?.some10,
      opts.psi?.full10,
      Math.round(harness.cpuPct * 10) / 10,
      mb(harness.rssBytes),
      ...this.serviceCols.flatMap(({ name }) => {
        const m = opts.services.get(name);
        return m ? [mb(m.workingSet), mb(m.rss), mb(m.cache), mb(m.swap), m.oomKills] : ['', '', '', '', ''];
      }),
      mb(opts.stack?.cache),
      mb(opts.stack ? heldMemory(opts.stack) : undefined),
      mb(c.redisUsedMemory),
      mb(c.redisMaxmemory),
      per(c.redisEvictedPerS),
      per(c.redisExpiredPerS),
      ratio(c.redisHitRatio),
      c.redisKeys,
      ratio(c.pgBufferHitRatio),
      mb(c.pgSharedBuffersUsed),
      per(c.pgSharedBuffersUsedPct),
      c.pgConnections,
      mb(c.pgDatabaseBytes),
    ]);
  }

  event(e: RunEvent, state: RunState): void {
    const kind = e.service ? state.services.find((s) => s.name === e.service)?.kind ?? '' : '';
    this.events.append([new Date(e.at).toISOString(), e.t, e.service ?? '', kind, e.kind, e.pid, e.detail]);
  }

  writeJson(name: string, data: unknown): void {
    const file = path.join(this.runDir, name);
    try {
      fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(data, null, 2)}\n`);
      fs.renameSync(`${file}.tmp`, file);
    } catch (err) {
      // The previous version of the file (if any) stays whole: only the .tmp is lost.
      fs.rmSync(`${file}.tmp`, { force: true });
      if (!this.onWriteError) throw err;
      this.onWriteError(err as NodeJS.ErrnoException, file);
    }
  }

  close(): void {
    this.timeseries.close();
    this.events.close();
  }
}

/** run.json: what ran, where, with which versions, and what was real. `host` comes from `monitor/host-facts.ts`. */
export function runJson(state: RunState, stack: Stack, extra: Record<string, unknown> & { host?: HostFacts }): Record<string, unknown> {
  return {
    runId: state.runId,
    profile: stack.name,
    profileFile: stack.file,
    driver: state.driver,
    capBytes: stack.capBytes,
    swapBytes: stack.swapBytes,
    cpus: stack.cpus,
    cgroupVersion: state.cgroupVersion,
    startedAt: new Date(state.startedAt).toISOString(),
    phase: state.phase,
    // The report draws these lines; the profile may set them, so they are recorded with the run.
    safetyLineBytes: stack.safetyLineBytes,
    targets: stack.targets,
    host: extra.host ?? basicHostFacts(),
    overrides: stack.overrides ?? [],
    ...(stack.disabled?.length ? { disabledServices: stack.disabled } : {}),
    ...extra,
    services: stack.services.map((s) => {
      const st = state.services.find((x) => x.name === s.name);
      return {
        name: s.name,
        image: s.image,
        kind: s.launch ? s.kind : 'unavailable',
        ...(s.unavailableReason ? { reason: s.unavailableReason } : {}),
        version: st?.version,
        substitutedImage: (st as { image?: string } | undefined)?.image,
        budgetBytes: s.budgetBytes,
        restart: s.restart,
        ports: s.ports.map((p) => `${p.hostIp}:${p.host}`),
        command: s.launch?.argv,
        ...(s.standin ? { standin: { of: s.standin.of, model: { baselineBytes: s.standin.baselineBytes, growthPerByte: s.standin.growthPerByte, ceilingBytes: s.standin.ceilingBytes, settings: s.standin.settings }, sources: s.standin.sources } } : {}),
      };
    }),
  };
}
