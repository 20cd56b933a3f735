/**
 * The run's bookkeeping as pure functions: what the kill records, the stage rows and the load summary
 * say, from the events, memory readings and load windows the run kept. No I/O, so each is unit-tested.
 */
import type { LoadResult, SecondWindow, StageResult } from '../load/index.ts';
import type { OomKillRecord, RunEvent } from '../model/index.ts';
import type { Sample } from '../monitor/monitor.ts';

export interface MemoryReading {
  t: number;
  workingSet: number;
}

/** Seconds either side of a kill whose latency and errors the kill record sums up. */
export const AROUND_KILL_S = 3;

/** One record per oom-kill event: when, who, at what working set, and what the load saw around it. */
export function killRecords(events: RunEvent[], windows: SecondWindow[], loadStartT: number, memory: MemoryReading[]): OomKillRecord[] {
  return events
    .filter((e) => e.kind === 'oom-kill')
    .map((e) => {
      const around = windows.filter((w) => Math.abs(loadStartT + w.t - e.t) <= AROUND_KILL_S);
      const stackBefore = memory.filter((m) => m.t <= e.t).at(-1);
      return {
        t: e.t,
        service: e.service ?? '',
        pid: e.pid,
        // The victim's own working set when the monitor saw the kill; else the stack's last reading before it.
        workingSetBytes: e.workingSetBytes ?? stackBefore?.workingSet ?? 0,
        around: around.length
          ? `±${AROUND_KILL_S} s: p99 up to ${Math.max(...around.map((w) => w.latency.p99Ms)).toFixed(0)} ms, ${around.reduce((a, w) => a + w.errors + w.dropped, 0)} errors/drops`
          : undefined,
      };
    });
}

/** Our columns of a stage's summary.csv row: the peak working set and the kills inside the stage. */
export function stageExtras(st: StageResult, loadStartT: number, memory: MemoryReading[], events: RunEvent[], verdict?: string) {
  const from = loadStartT + st.startS;
  const to = from + st.durationS;
  const peak = memory.reduce((max, m) => (m.t >= from && m.t <= to ? Math.max(max, m.workingSet) : max), -1);
  return {
    peakWorkingSetMb: peak >= 0 ? Math.round(peak / 1024 / 1024) : null,
    oomKills: events.filter((e) => e.kind === 'oom-kill' && e.t >= from && e.t <= to).length,
    verdict: verdict ?? (st.excluded ? 'excluded' : ''),
  };
}

/**
 * The cache hit rate over the judged stages, from the app's counters when the first judged stage began
 * and at the end. null when either read failed or a counter went down (the app restarted mid-run: no
 * honest delta then).
 */
export function cacheHitRate(before: { hits: number; misses: number } | undefined, after: { hits: number; misses: number } | undefined): number | null {
  if (!before || !after) return null;
  const hits = after.hits - before.hits;
  const misses = after.misses - before.misses;
  if (hits < 0 || misses < 0 || hits + misses === 0) return null;
  return hits / (hits + misses);
}

/** PSI over the last 10 s, as the state and timeseries.csv carry it. */
export function psiOf(s: Sample): { some10: number; full10: number } | undefined {
  return s.psi ? { some10: s.psi.some.avg10, full10: s.psi.full?.avg10 ?? 0 } : undefined;
}

/** report.json's load section: the judged figures and each stage's. */
export function loadSummary(load: LoadResult) {
  const o = load.overall.aggregate;
  return {
    model: load.model,
    scenario: load.scenario,
    baseUrl: load.baseUrl,
    elapsedS: load.elapsedS,
    stopped: load.stopped,
    measured: { requests: o.count, ok: o.ok, failures: o.failures, dropped: o.dropped, avgMs: o.avgMs, p50Ms: o.percentiles['50'], p99Ms: o.percentiles['99'], okRps: o.okRps, rps: o.rps },
    stages: load.stages.map((s) => ({ name: s.name, excluded: s.excluded, durationS: s.durationS, requests: s.aggregate.count, okRps: s.aggregate.okRps, avgMs: s.aggregate.avgMs, p99Ms: s.aggregate.percentiles['99'] })),
  };
}

/** A few pages of swap are noise; a megabyte is the stack swapping. */
export const SWAP_NOTICED_BYTES = 1024 * 1024;
