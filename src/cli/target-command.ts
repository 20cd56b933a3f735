/**
 * `simulate --target URL`: load a service that is already running, with no stack and no cgroup. The same
 * Run as a stack run (engine, files, verdict: latency, throughput = the requested rate, errors), given no
 * cgroups and no driver, so no memory targets.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.ts';
import { checkBaseUrl, loadScenario, simpleScenario } from '../load/index.ts';
import { SEED_TARGETS } from '../profile/load-profile.ts';
import type { Stack } from '../profile/stack.ts';
import { newRunId, Run } from '../run/run.ts';
import { scaleScenario } from '../run/scale-scenario.ts';
import type { CliArgs } from './args.ts';
import { createReporter } from './choose-reporter.ts';
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
  const interrupts = abortOnSignals();
  const reporter = createReporter({ tui: args.tui, json: args.json, stdout: process.stdout, stderr: process.stderr, onQuit: interrupts.abort });
  try {
    const result = await new Run({
      runId,
      runDir,
      // Nothing of ours runs, so nothing is kept here; the Run removes it at the end like any work dir.
      workDir: path.join(runDir, '.work'),
      stack,
      scenario,
      model: args.model,
      sampleIntervalMs: args.intervalMs,
      reporter,
      signal: interrupts.signal,
      allowRemote: args.allowRemote,
      meta: { target: url },
    }).execute();
    if (args.csv) fs.copyFileSync(path.join(runDir, 'summary.csv'), args.csv);
    await reporter.close?.();
    if (!args.json) process.stderr.write(`simulate: results in ${runDir}\n`);
    return result.exitCode;
  } catch (err) {
    await reporter.close?.();
    throw err;
  } finally {
    interrupts.dispose();
  }
}
