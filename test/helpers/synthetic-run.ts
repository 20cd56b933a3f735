/**
 * A run folder written by the run's own writers (RunOutputs, runJson) with made-up figures: for unit tests of
 * the report and for the report benchmark (a 30-minute run without waiting 30 minutes). Never a fixture of a
 * real run: the numbers follow simple shapes chosen here.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MemoryStats } from '../../src/cgroups/cgroup.ts';
import type { SecondWindow } from '../../src/load/index.ts';
import type { RunEvent } from '../../src/model/index.ts';
import { RunOutputs, runJson } from '../../src/run/run-outputs.ts';
import { initialState } from '../../src/run/run-state.ts';
import { MB, testService, testStack } from './stack-model.ts';

export interface SyntheticRun {
  seconds: number;
  /** Run seconds at which `elasticsearch` is OOM-killed (and restarted 2 s later). */
  kills?: number[];
  /** A detail text with CSV-hostile characters on one event. */
  hostileDetail?: string;
  warmupS?: number;
  runId?: string;
  /** Scales every latency (a slower variant for compare tests). */
  latencyFactor?: number;
  /** Write Redis and PostgreSQL figures (the production-shaped runs' columns) each second. */
  caches?: boolean;
}

const mem = (ws: number, swap = 0): MemoryStats => ({ usage: ws + 40 * MB, workingSet: ws, rss: ws * 0.9, cache: 40 * MB, inactiveFile: 40 * MB, activeFile: 0, swap, peak: ws, failcnt: 0, oomKills: 0, limit: 4096 * MB });

export function writeSyntheticRun(outDir: string, spec: SyntheticRun): string {
  const runId = spec.runId ?? `20261130-100000-${Math.random().toString(16).slice(2, 6)}`;
  const runDir = path.join(outDir, runId);
  const stack = testStack([
    testService('postgres', { budgetBytes: 800 * MB }),
    testService('redis', { budgetBytes: 256 * MB }),
    testService('app', { budgetBytes: 250 * MB }),
    testService('elasticsearch', { kind: 'standin', budgetBytes: 1024 * MB }),
  ]);
  const startedAt = Date.parse('2026-11-30T10:00:00Z');
  const state = initialState({ runId, stack, driver: 'process', cgroupVersion: 1, startedAt });
  const out = new RunOutputs(runDir, stack);
  const kills = new Set(spec.kills ?? []);
  const restarts = new Set([...kills].map((k) => k + 2));
  const warm = spec.warmupS ?? 15;
  const f = spec.latencyFactor ?? 1;
  const event = (t: number, e: Omit<RunEvent, 'at' | 't'>) => out.event({ ...e, at: startedAt + t * 1000, t }, state);
  event(0, { kind: 'run-start', detail: 'profile test, driver process, cap 4.00 GiB' });
  let esWs = 0;
  for (let t = 0; t < spec.seconds; t++) {
    esWs = kills.has(t) ? 0 : Math.min(1800 * MB, esWs + 60 * MB);
    const services = new Map<string, MemoryStats>([
      ['postgres', mem((300 + Math.min(400, t)) * MB)],
      ['redis', mem((20 + Math.min(236, t / 2)) * MB)],
      ['app', mem((120 + (t % 30)) * MB)],
      ['elasticsearch', mem(esWs)],
    ]);
    const total = [...services.values()].reduce((a, m) => a + m.workingSet, 0);
    const stall = [...kills].some((k) => t >= k && t < k + 3);
    const stage = t < warm ? 'warm-up' : 'steady';
    const window: SecondWindow = {
      t,
      stage,
      stageIndex: t < warm ? 0 : 1,
      excluded: t < warm,
      scheduled: 300,
      sent: 300,
      completed: stall ? 120 : 300,
      dropped: 0,
      errors: stall ? 180 : 0,
      timeouts: 0,
      inFlight: 3,
      bytes: 0,
      latency: { avgMs: (stall ? 900 : 8) * f, p50Ms: (stall ? 700 : 5) * f, p95Ms: (stall ? 2500 : 20) * f, p99Ms: (stall ? 4000 : 45 + (t % 10)) * f, maxMs: (stall ? 5000 : 90) * f },
    } as unknown as SecondWindow;
    const caches = spec.caches
      ? {
          redisUsedMemory: Math.min(256, 20 + t) * MB,
          redisMaxmemory: 256 * MB,
          redisEvictedPerS: t > 236 ? 40 : 0,
          redisExpiredPerS: 2,
          redisHitRatio: Math.min(0.7, t / 100),
          redisKeys: 1000 + t * 50,
          pgBufferHitRatio: 0.95,
          pgSharedBuffersUsed: Math.min(256, t * 4) * MB,
          pgSharedBuffersUsedPct: Math.min(100, (t * 4 * 100) / 256),
          pgConnections: stall ? 2 : 12,
          pgDatabaseBytes: 3000 * MB,
        }
      : undefined;
    out.row({ at: startedAt + t * 1000, t, window, stack: mem(total), services, capBytes: stack.capBytes, swapping: false, psi: { some10: stall ? 12.5 : 0.1, full10: stall ? 4 : 0 }, caches });
    if (t === 0 || t === warm) event(t, { kind: 'stage-start', detail: `stage ${t ? 2 : 1}/2 ${stage}` });
    if (kills.has(t)) event(t, { kind: 'oom-kill', service: 'elasticsearch', pid: 1000 + t, detail: `killed by the kernel (OOM), working set ${Math.round(esWs / MB)} MB` });
    if (restarts.has(t)) event(t, { kind: 'service-restart', service: 'elasticsearch', pid: 2000 + t, detail: 'restart 1 (on-failure)' });
  }
  if (spec.hostileDetail) event(spec.seconds - 1, { kind: 'info', service: 'app', detail: spec.hostileDetail });
  out.writeJson('run.json', { ...runJson(state, stack, { scenario: 'steady-300', loadModel: 'open' }), endedAt: new Date(startedAt + spec.seconds * 1000).toISOString(), exitCode: kills.size ? 1 : 0 });
  const pass = kills.size === 0;
  out.writeJson('report.json', {
    runId,
    exitCode: pass ? 0 : 1,
    verdict: {
      pass,
      model: 'open',
      targets: [
        { name: 'avg_latency', label: 'average latency', measured: 9 * f, limit: 60, unit: 'ms', comparator: '<=', pass: 9 * f <= 60 },
        { name: 'throughput', label: 'throughput (completed)', measured: 299.5, limit: 297, unit: 'req/s', comparator: '>=', pass: true },
        { name: 'p99_latency', label: 'p99 latency', measured: 60 * f, limit: 1000, unit: 'ms', comparator: '<', pass: true },
        { name: 'error_rate', label: 'errors and drops', measured: 0, limit: 0.01, unit: 'ratio', comparator: '<=', pass: true },
        { name: 'oom_kills', label: 'OOM kills', measured: kills.size, limit: 0, unit: 'count', comparator: '<=', pass, ...(pass ? {} : { firstBrokeAtS: [...kills][0] }) },
      ],
      oomKills: [...kills].map((t) => ({ t, service: 'elasticsearch', pid: 1000 + t, workingSetBytes: 1800 * MB })),
      standins: ['elasticsearch'],
      interrupted: false,
    },
    alertsFired: [],
    load: { model: 'open', measured: { requests: spec.seconds * 300, ok: spec.seconds * 300, failures: kills.size * 540, dropped: 0, avgMs: 9 * f, p50Ms: 5 * f, p99Ms: 60 * f, okRps: 299.5, rps: 300 }, stages: [{ name: 'warm-up', excluded: true }, { name: 'steady', excluded: false }] },
  });
  out.close();
  fs.rmSync(path.join(runDir, 'summary.csv'), { force: true });
  return runDir;
}
