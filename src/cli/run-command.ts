import { InputError } from '../errors.ts';
import { createReporter } from './choose-reporter.ts';
import { runSimulation, type RunOptions } from '../run/run.ts';
import type { CliArgs } from './args.ts';
import { abortOnSignals } from './interrupts.ts';

/** What `simulate` and `simulate up` both take from the command line about the stack. */
export function stackOptions(args: CliArgs & { profile: string }): Pick<RunOptions, 'profile' | 'driver' | 'cap' | 'swap' | 'cpus' | 'outDir' | 'model' | 'sampleIntervalMs' | 'overrides' | 'data' | 'loadFrom'> {
  return {
    profile: args.profile,
    driver: args.driver,
    cap: args.cap,
    swap: args.swap,
    cpus: args.cpus,
    outDir: args.out,
    model: args.model,
    sampleIntervalMs: args.intervalMs,
    overrides: args.overrides,
    data: args.data,
    loadFrom: args.loadFrom,
  };
}

export async function runCommand(args: CliArgs): Promise<number> {
  if (!args.profile) throw new InputError('no profile given', 'pass --profile 4gb (or full-elk, or a Compose file); see simulate --help');
  const profile = args.profile;
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
      ...stackOptions({ ...args, profile }),
      durationS: args.durationS,
      scenario: args.noLoad ? null : args.scenario,
      csvFile: args.csv,
      faults: args.faults,
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
