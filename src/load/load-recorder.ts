/**
 * Folds request ends into per-second windows and per-stage, per-endpoint histograms; both
 * engines feed it, so open and closed runs report the same shapes.
 *
 * Attribution: a request counts in the STAGE it was scheduled in (so a stage's count is exact and
 * its slow tail is not pushed into the next stage), and in the SECOND it ended in (so a window is
 * complete when the second is over and can be shown live). A stage's figures are final once its
 * time is over and its last request has ended (or timed out).
 */
import type { Histogram } from 'hdr-histogram-js';
import type { Endpoint } from './request-mix.ts';
import type { StagePlan } from './arrival-schedule.ts';
import { addCounters, endpointStats, mergeHistograms, newCounters, newHistogram, summarize, type Counters } from './latency-histogram.ts';
import type { LatencySample, LoadModel, LoadResult, Outcome, SecondWindow, StageResult, StageStartEvent } from './types.ts';

interface WindowAcc {
  scheduled: number;
  sent: number;
  completed: number;
  dropped: number;
  errors: number;
  timeouts: number;
  bytes: number;
  histogram: Histogram;
}

interface StageAcc {
  plan: StagePlan;
  started: boolean;
  startS: number;
  timeOver: boolean;
  endS: number;
  outstanding: number;
  result?: StageResult;
  endpoints: Array<{ counters: Counters; histogram: Histogram }>;
}

export interface RecorderListeners {
  second(w: SecondWindow): void;
  stage(s: StageStartEvent): void;
  stageEnd(r: StageResult): void;
  sample?(s: LatencySample): void;
}

export class LoadRecorder {
  private readonly windows = new Map<number, WindowAcc>();
  private nextWindow = 0;
  private readonly stages: StageAcc[];
  private readonly seconds: SecondWindow[] = [];
  /** Histograms of closed seconds, reset, for the next windows (one a second would be garbage to collect). */
  private readonly spare: Histogram[] = [];
  private inFlight = 0;
  private current = 0;
  /** The window stamped last: nearly every call hits it, so skip the Map lookup. */
  private lastT = -1;
  private lastW: WindowAcc | undefined;
  /** Per-request samples, set only while someone listens (building them costs an object a request). */
  onSample: ((s: LatencySample) => void) | undefined;

  constructor(
    private readonly model: LoadModel,
    plans: StagePlan[],
    private readonly endpoints: Endpoint[],
    private readonly listeners: RecorderListeners,
  ) {
    this.stages = plans.map((plan) => ({
      plan,
      started: false,
      startS: plan.startS,
      timeOver: false,
      endS: plan.startS + plan.durationS,
      outstanding: 0,
      endpoints: endpoints.map(() => ({ counters: newCounters(), histogram: newHistogram() })),
    }));
  }

  startStage(index: number, nowS: number): void {
    const s = this.stages[index]!;
    if (s.started) return;
    s.started = true;
    s.startS = nowS;
    this.current = index;
    this.listeners.stage({ name: s.plan.name, index, count: this.stages.length, durationS: s.plan.durationS, excluded: s.plan.excluded, startS: nowS });
  }

  /** The stage's time is over; its figures are final once its outstanding requests end. `force`: forget those. */
  endStage(index: number, nowS: number, force = false): void {
    const s = this.stages[index]!;
    if (!s.timeOver) {
      s.timeOver = true;
      s.endS = nowS;
    }
    if (force && s.outstanding > 0) {
      this.inFlight = Math.max(0, this.inFlight - s.outstanding);
      s.outstanding = 0;
    }
    this.maybeFinalize(s);
  }

  scheduled(stageIndex: number, atS: number): void {
    this.window(atS).scheduled++;
    this.stages[stageIndex]!.outstanding++;
  }

  sent(nowS: number): void {
    this.window(nowS).sent++;
    this.inFlight++;
  }

  ended(stageIndex: number, endpointIndex: number, outcome: Outcome, latencyUs: number, bytes: number, nowS: number, wasSent: boolean, status?: number): void {
    const us = Math.max(1, Math.round(latencyUs));
    const w = this.window(nowS);
    w.histogram.recordValue(us);
    w.bytes += bytes;
    const s = this.stages[stageIndex]!;
    const e = s.endpoints[endpointIndex]!;
    e.histogram.recordValue(us);
    e.counters.bytes += bytes;
    switch (outcome) {
      case 'ok': w.completed++; e.counters.ok++; break;
      case 'error': w.errors++; e.counters.errors++; break;
      case 'timeout': w.errors++; w.timeouts++; e.counters.errors++; e.counters.timeouts++; break;
      case 'dropped': w.dropped++; e.counters.dropped++; break;
    }
    if (wasSent) this.inFlight = Math.max(0, this.inFlight - 1);
    if (s.outstanding > 0) s.outstanding--;
    const sample = this.onSample ?? this.listeners.sample;
    if (sample) sample({ stageIndex, endpoint: this.endpoints[endpointIndex]!.key, outcome, latencyUs: us, status });
    if (s.timeOver && s.outstanding === 0) this.maybeFinalize(s);
  }

  /** Close every window whose second is over. */
  tick(nowS: number): void {
    const upTo = Math.floor(nowS);
    while (this.nextWindow < upTo) this.closeWindow(this.nextWindow++);
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  /** Close the last (partial) window and every stage; build the result. */
  finish(nowS: number, opts: { stopped: boolean; scenario: string; baseUrl: string; startedAt: number }): LoadResult {
    this.tick(nowS);
    if (this.windows.size > 0 || this.nextWindow === 0) this.closeWindow(this.nextWindow++);
    for (const s of this.stages) {
      if (!s.started) continue;
      if (!s.timeOver) {
        s.timeOver = true;
        s.endS = nowS;
      }
      s.outstanding = 0;
      this.maybeFinalize(s);
    }
    const stages = this.stages.filter((s) => s.result).map((s) => s.result!);
    return {
      model: this.model,
      scenario: opts.scenario,
      baseUrl: opts.baseUrl,
      startedAt: opts.startedAt,
      elapsedS: nowS,
      stopped: opts.stopped,
      stages,
      overall: this.overall(stages),
      seconds: this.seconds,
    };
  }

  private window(atS: number): WindowAcc {
    // Something stamped in a second already closed (a late timer) goes to the oldest open one.
    const t = Math.max(this.nextWindow, Math.floor(atS));
    if (t === this.lastT) return this.lastW!;
    let w = this.windows.get(t);
    if (!w) {
      w = this.newWindow();
      this.windows.set(t, w);
    }
    this.lastT = t;
    this.lastW = w;
    return w;
  }

  private stageAt(t: number): StageAcc {
    let found = this.stages[0]!;
    for (const s of this.stages) if (s.started && s.startS <= t + 1e-9) found = s;
    return found;
  }

  private closeWindow(t: number): void {
    const w = this.windows.get(t) ?? this.newWindow();
    this.windows.delete(t);
    if (this.lastT === t) {
      this.lastT = -1;
      this.lastW = undefined;
    }
    const stage = this.stageAt(t);
    const second: SecondWindow = {
      t,
      stage: stage.plan.name,
      stageIndex: stage.plan.index,
      excluded: stage.plan.excluded,
      scheduled: w.scheduled,
      sent: w.sent,
      completed: w.completed,
      dropped: w.dropped,
      errors: w.errors,
      timeouts: w.timeouts,
      inFlight: this.inFlight,
      bytes: w.bytes,
      latency: summarize(w.histogram),
      histogram: w.histogram,
    };
    this.seconds.push(second);
    this.listeners.second(second);
    // Kept without its histogram (see SecondWindow.histogram): the run's memory stays flat however long it is.
    delete second.histogram;
    w.histogram.reset();
    this.spare.push(w.histogram);
  }

  private newWindow(): WindowAcc {
    return { scheduled: 0, sent: 0, completed: 0, dropped: 0, errors: 0, timeouts: 0, bytes: 0, histogram: this.spare.pop() ?? newHistogram() };
  }

  private maybeFinalize(s: StageAcc): void {
    if (s.result || !s.timeOver || s.outstanding > 0) return;
    // Requests/s over the stage's own time (planned, or shorter when the run was stopped).
    const durationS = Math.max(0, Math.min(s.plan.durationS, s.endS - s.startS) || s.plan.durationS);
    const endpoints = this.endpoints.map((ep, i) => endpointStats(ep.method, ep.name, s.endpoints[i]!.counters, s.endpoints[i]!.histogram, durationS));
    const counters = s.endpoints.reduce((acc, e) => addCounters(acc, e.counters), newCounters());
    const aggregate = endpointStats('', 'Aggregated', counters, mergeHistograms(s.endpoints.map((e) => e.histogram)), durationS);
    s.result = { name: s.plan.name, index: s.plan.index, excluded: s.plan.excluded, durationS, startS: s.startS, aggregate, endpoints };
    this.listeners.stageEnd(s.result);
  }

  private overall(stages: StageResult[]): StageResult {
    const included = stages.filter((s) => !s.excluded);
    const durationS = included.reduce((sum, s) => sum + s.durationS, 0);
    const sumCounters = (pick: (s: StageResult) => { ok: number; errors: number; timeouts: number; dropped: number; avgContentSize: number; count: number }) =>
      included.reduce((acc, s) => {
        const e = pick(s);
        return addCounters(acc, { ok: e.ok, errors: e.errors, timeouts: e.timeouts, dropped: e.dropped, bytes: e.avgContentSize * e.count });
      }, newCounters());
    const endpoints = this.endpoints.map((ep, i) =>
      endpointStats(ep.method, ep.name, sumCounters((s) => s.endpoints[i]!), mergeHistograms(included.map((s) => s.endpoints[i]!.histogram)), durationS),
    );
    const aggregate = endpointStats('', 'Aggregated', sumCounters((s) => s.aggregate), mergeHistograms(included.map((s) => s.aggregate.histogram)), durationS);
    return { name: 'overall', index: -1, excluded: false, durationS, startS: included[0]?.startS ?? 0, aggregate, endpoints };
  }
}
