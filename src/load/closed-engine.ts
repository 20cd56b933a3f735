/**
 * Closed-model engine (`model: 'closed'`): autocannon, one run per stage, each connection sending
 * its next request when the previous one answered. Good for saturation and quick checks; its
 * latency counts from the actual send, so a stalled server looks better than users see it
 * (coordinated omission). Reports say which model produced their figures.
 *
 * Figures come from autocannon's per-connection events (setupClient), not its own histograms:
 * each response's time goes into the same per-second and per-endpoint HdrHistograms the open
 * engine fills. A timeout counts as an error with latency = the timeout; a connection error as an
 * error with latency 0 (autocannon does not time them). Arrival rates: a fixed `rate` becomes
 * autocannon's `overallRate` cap (refilled each second, so bursty); a ramp uses its mean rate.
 * Workers mode is not used: its events never reach this thread.
 */
import { performance } from 'node:perf_hooks';
import type { AutocannonClient, AutocannonInstance } from 'autocannon';
import type { Scenario } from './scenario.ts';
import { stageRates } from './scenario.ts';
import type { StagePlan } from './arrival-schedule.ts';
import type { RequestMix } from './request-mix.ts';
import type { LoadRecorder } from './load-recorder.ts';
import type { EngineControl } from './open-engine.ts';

export function runClosedModel(scenario: Scenario, plans: StagePlan[], mix: RequestMix, recorder: LoadRecorder, baseUrl: string): EngineControl {
  const t0 = performance.now();
  const nowS = () => (performance.now() - t0) / 1000;
  let stopped = false;
  let instance: AutocannonInstance | undefined;
  let wakeSleep: (() => void) | undefined;
  const ticker = setInterval(() => recorder.tick(nowS()), 50);

  // Loaded when a closed run starts: open-model runs and other commands never pay for it.
  const runStage = async (plan: StagePlan) => {
    const { default: autocannon } = await import('autocannon');
    if (stopped) return;
    return new Promise<void>((resolve, reject) => {
      const { from, to } = stageRates(scenario.stages[plan.index]!);
      const rate = (from + to) / 2;
      const setupClient = (client: AutocannonClient) => {
        const endpointOf = () => (client.requestIterator.context.endpoint as number | undefined) ?? 0;
        client.on('request', () => {
          recorder.scheduled(plan.index, nowS());
          recorder.sent(nowS());
        });
        client.on('response', (status: number, bytes: number, ms: number) => {
          // autocannon's bytes include headers; close enough for an average content size.
          recorder.ended(plan.index, endpointOf(), status >= 200 && status < 400 ? 'ok' : 'error', ms * 1000, bytes, nowS(), true, status);
        });
        client.on('timeout', () => recorder.ended(plan.index, endpointOf(), 'timeout', scenario.timeout * 1e6, 0, nowS(), true));
        client.on('connError', () => recorder.ended(plan.index, endpointOf(), 'error', 0, 0, nowS(), true));
      };
      instance = autocannon(
        {
          url: new URL(baseUrl).origin,
          connections: scenario.connections,
          duration: plan.durationS,
          timeout: scenario.timeout,
          ...(rate > 0 ? { overallRate: Math.max(1, Math.round(rate)) } : {}),
          requests: [
            {
              setupRequest: (req, context) => {
                const next = mix.next();
                context.endpoint = next.endpointIndex;
                return { ...req, method: next.method, path: next.path, body: next.body ?? '', headers: { ...req.headers, ...next.headers } };
              },
            },
          ],
          setupClient,
        },
        (err) => (err ? reject(err) : resolve()),
      );
    });
  };

  const done = (async () => {
    for (const plan of plans) {
      if (stopped) break;
      recorder.startStage(plan.index, nowS());
      const { from, to } = stageRates(scenario.stages[plan.index]!);
      if (from + to > 0) await runStage(plan);
      else await new Promise<void>((r) => { wakeSleep = r; setTimeout(r, plan.durationS * 1000); });
      // Requests autocannon cut off at the stage's end never answer: forget them.
      recorder.endStage(plan.index, nowS(), true);
    }
    clearInterval(ticker);
    return { endS: nowS(), stopped };
  })();

  return {
    t0,
    done,
    stop() {
      stopped = true;
      instance?.stop();
      wakeSleep?.();
    },
  };
}
