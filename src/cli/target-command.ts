/**
 * `simulate --target URL`: load a service that is already running, with no stack and no cgroup. The same
 * engine, files and verdict (latency, throughput = the requested rate, errors); no memory targets.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.ts';
import { appendStageSummary, checkBaseUrl, loadScenario, simpleScenario, startLoad } from '../load/index.ts';
import { SEED_TARGETS } from '../profile/load-profile.ts';
import type { Stack } from '../profile/stack.ts';
import { createReporter } from './choose-reporter.ts';
import { RunOutputs } from '../run/run-outputs.ts';
import { applyEvent, applyLoadWindow, initialState } from '../run/run-state.ts';
import { newRunId } from '../run/run.ts';
import { scaleScenario } from '../run/scale-scenario.ts';
import type { RunEvent } from '../model/index.ts';
import { computeVerdict } from '../verdict/verdict.ts';
import type { CliArgs } from './args.ts';
import { abortOnSignals } from './interrupts.ts';

export async function targetCommand(args: CliArgs): Promise<number> {
  const url = args.target!;
  const base = new URL(checkBaseUrl(url, args.allowRemote));
  let scenario;
  if (args.scenario) {
    scenario = await loadScenario(args.scenario);
    if (args.durationS) scenario = scaleScenario(scenario, args.durationS);
  } else {
    if (!args.rate) throw new InputError('--target needs --rate (requests per second) or --scenario', 'e.g. simulate --target http://127.0.0.1:8080/ --rate 200 --duration 20');
    scenario = simpleScenario(url, args.rate, args.durationS ?? 30);
  }
  const runId = newRunId();
  const runDir = path.resolve(args.out, runId);
  const offered = args.rate ?? SEED_TARGETS.minRps;
  const stack: Stack = {
    name: `target ${base.host}`,
    file: '',
    dir: '',
    capBytes: 0,
    swapBytes: 0,
    cpus: 0,
    targets: { ...SEED_TARGETS, minRps: args.rate ? offered * 0.99 : SEED_TARGETS.minRps },
    scenario: scenario.name,
    appUrl: base.origin,
    safetyLineBytes: 0,
    services: [],
  };
  const state = initialState({ runId, stack, driver: 'process', cgroupVersion: 1, startedAt: Date.now() });
  const outputs = new RunOutputs(runDir, stack);
  const interrupts = abortOnSignals();
  const reporter = createReporter({ tui: args.tui, json: args.json, stdout: process.stdout, stderr: process.stderr, onQuit: interrupts.abort });
  const emit = (e: Omit<RunEvent, 'at' | 't'>) => {
    const at = Date.now();
    const ev = { ...e, at, t: Math.floor((at - state.startedAt) / 1000) };
    applyEvent(state, ev);
    outputs.event(ev, state);
    reporter.onEvent?.(ev, state);
  };
  try {
    reporter.onStart?.(state);
    state.phase = 'running';
    const run = startLoad(scenario, { baseUrl: base.origin, model: args.model, signal: interrupts.signal, allowRemote: args.allowRemote });
    run.on('stage', (st) => {
      state.stage = { name: st.name, index: st.index, count: st.count, startedAtS: state.elapsedS, durationS: st.durationS, excluded: st.excluded };
      emit({ kind: 'stage-start', detail: `stage ${st.index + 1}/${st.count} ${st.name}: ${st.durationS} s` });
    });
    run.on('second', (w) => {
      applyLoadWindow(state, w, run.model);
      state.elapsedS = Math.floor((Date.now() - state.startedAt) / 1000);
      outputs.row({ at: Date.now(), t: state.elapsedS, window: w, services: new Map(), capBytes: 0, swapping: false });
      reporter.onTick?.(state);
    });
    run.on('stage-end', (st) => appendStageSummary(path.join(runDir, 'summary.csv'), st, { verdict: st.excluded ? 'excluded' : '' }));
    const load = await run.done;
    const interrupted = interrupts.signal.aborted;
    const verdict = computeVerdict({ targets: stack.targets, capBytes: 0, load, loadStartT: 0, memory: [], oomKills: [], standins: [], interrupted });
    state.verdict = verdict;
    state.phase = 'done';
    emit({ kind: 'run-end', detail: interrupted ? 'interrupted' : verdict.pass ? 'targets met' : 'targets missed' });
    const exitCode = interrupted ? 130 : verdict.pass ? 0 : 1;
    outputs.writeJson('report.json', { runId, target: url, exitCode, verdict });
    outputs.writeJson('run.json', { runId, target: url, scenario: scenario.name, loadModel: load.model, startedAt: new Date(state.startedAt).toISOString() });
    if (args.csv) fs.copyFileSync(path.join(runDir, 'summary.csv'), args.csv);
    outputs.close();
    reporter.onEnd?.(state);
    await reporter.close?.();
    if (!args.json) process.stderr.write(`simulate: results in ${runDir}\n`);
    return exitCode;
  } finally {
    interrupts.dispose();
  }
}
