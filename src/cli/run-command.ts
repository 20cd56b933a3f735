import { InputError } from '../errors.ts';
import { createReporter } from '../report/reporter.ts';
import { runSimulation } from '../run/run.ts';
import type { CliArgs } from './args.ts';
import { abortOnSignals } from './interrupts.ts';

export async function runCommand(args: CliArgs): Promise<number> {
  if (!args.profile) throw new InputError('no profile given', 'pass --profile 4gb (or full-elk, or a Compose file); see simulate --help');
  const interrupts = abortOnSignals();
  const reporter = createReporter({
    tui: args.tui,
    json: args.json,
    stdout: process.stdout,
    stderr: process.stderr,
    onQuit: interrupts.abort,
  });
  try {
    const result = await runSimulation({
      profile: args.profile,
      driver: args.driver,
      cap: args.cap,
      swap: args.swap,
      cpus: args.cpus,
      durationS: args.durationS,
      outDir: args.out,
      scenario: args.noLoad ? null : args.scenario,
      model: args.model,
      sampleIntervalMs: args.intervalMs,
      csvFile: args.csv,
      reporter,
      signal: interrupts.signal,
    });
    await reporter.close?.();
    if (!args.json) process.stderr.write(`simulate: results in ${result.runDir}\n`);
    return result.exitCode;
  } catch (err) {
    await reporter.close?.();
    throw err;
  } finally {
    interrupts.dispose();
  }
}
