/**
 * What a load step measured, read from the load run's own events: the measured stage's aggregate (requests
 * attributed to the stage they were scheduled in), its seconds (scheduled, sent, in flight), and the load
 * generator's own health over that window (CPU of this process, event-loop delay) to tell a saturated
 * generator from a saturated stack.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { LoadHandle, StageResult } from '../load/index.ts';
import type { StepMeasurement } from './judge-step.ts';
import { MEASURED_STAGE_INDEX } from './step-scenario.ts';

export type LoadFigures = Omit<StepMeasurement, 'oomKills' | 'peakWorkingSetBytes'> & {
  /** Load-clock seconds [from, to) of the measured stage, to match memory readings and kills against. */
  measuredFromS: number;
  measuredToS: number;
};

/**
 * `window`: the measured stage's planned load-clock seconds [fromS, toS); `measuredIndex`: its stage index in
 * `run` (0 when a Run ran the warm-up `until: steady` as a load of its own and `run` is the measured part).
 */
export function measureLoadStep(run: LoadHandle, offeredRps: number, maxInFlight: number, window: { fromS: number; toS: number }, measuredIndex = MEASURED_STAGE_INDEX): Promise<LoadFigures> {
  const lag = monitorEventLoopDelay({ resolution: 10 });
  let cpu0: NodeJS.CpuUsage | undefined;
  let wall0 = 0;
  let cpuCores = 0;
  let lagP99Ms = 0;
  let lagMeanMs = 0;
  let scheduled = 0;
  let sent = 0;
  let peakInFlight = 0;
  let fromS = 0;
  let stage: StageResult | undefined;
  run.on('stage', (st) => {
    if (st.index !== measuredIndex) return;
    fromS = st.startS;
    cpu0 = process.cpuUsage();
    wall0 = performance.now();
    lag.enable();
    lag.reset();
  });
  const readHarness = () => {
    if (!cpu0) return;
    const used = process.cpuUsage(cpu0);
    const wallUs = (performance.now() - wall0) * 1000;
    cpuCores = wallUs > 0 ? (used.user + used.system) / wallUs : 0;
    lagP99Ms = lag.percentile(99) / 1e6;
    lagMeanMs = Number.isNaN(lag.mean) ? 0 : lag.mean / 1e6;
    lag.disable();
    cpu0 = undefined;
  };
  run.on('second', (w) => {
    // Sent after the window: arrivals of its last moments whose timer fired late (nothing is scheduled after it).
    if (w.t >= window.toS) sent += w.sent;
    if (w.t < window.fromS || w.t >= window.toS) return;
    scheduled += w.scheduled;
    sent += w.sent;
    peakInFlight = Math.max(peakInFlight, w.inFlight);
    // The window's last second: the generator's figures stop here, before the tail of slow answers.
    if (w.t === window.toS - 1) readHarness();
  });
  run.on('stage-end', (st) => {
    if (st.index !== measuredIndex) return;
    readHarness();
    stage = st;
  });
  return run.done.then((load) => {
    readHarness();
    const st = stage ?? load.stages[measuredIndex];
    const a = st?.aggregate;
    return {
      offeredRps,
      durationS: st?.durationS ?? 0,
      scheduled,
      sent,
      ok: a?.ok ?? 0,
      errors: a?.errors ?? 0,
      timeouts: a?.timeouts ?? 0,
      dropped: a?.dropped ?? 0,
      avgMs: a?.avgMs ?? 0,
      p50Ms: a?.percentiles['50'] ?? 0,
      p99Ms: a?.percentiles['99'] ?? 0,
      harness: { cpuCores, loopLagP99Ms: lagP99Ms, loopLagMeanMs: lagMeanMs, maxInFlight, peakInFlight },
      measuredFromS: st?.startS ?? fromS,
      measuredToS: (st?.startS ?? fromS) + (st?.durationS ?? 0),
    };
  });
}
