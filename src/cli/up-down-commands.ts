/**
 * `simulate up` leaves a stack running (for a developer, or the app's integration tests); `simulate down`
 * stops what `up` left, or one run by id.
 */
import { EXIT, InputError } from '../errors.ts';
import { createReporter } from './choose-reporter.ts';
import { destroyRun, knownRuns, readOwner, reap } from '../run/run-registry.ts';
import { runSimulation } from '../run/run.ts';
import { dockerReaper } from '../run/choose-driver.ts';
import type { CliArgs } from './args.ts';
import { abortOnSignals } from './interrupts.ts';
import { stackOptions } from './run-command.ts';

export async function upCommand(args: CliArgs): Promise<number> {
  if (!args.profile) throw new InputError('no profile given', 'pass --profile 4gb (or a Compose file)');
  if (args.faults.length) throw new InputError('--fault does not go with `simulate up` (faults run during a load)', 'run `simulate --profile … --fault …` instead');
  const interrupts = abortOnSignals();
  // Progress goes to stderr as plain lines; stdout carries only the result (JSON with --json).
  const reporter = createReporter({ tui: false, json: false, stdout: process.stderr, stderr: process.stderr });
  try {
    const result = await runSimulation({
      ...stackOptions({ ...args, profile: args.profile }),
      scenario: null,
      detach: true,
      reporter,
      signal: interrupts.signal,
    });
    if (result.exitCode !== 0) return result.exitCode;
    const s = result.state;
    const app = result.stack.services.find((x) => x.name === result.stack.appService);
    const info = {
      runId: s.runId,
      runDir: result.runDir,
      appUrl: result.appUrl,
      driver: s.driver,
      services: s.services.map((x) => ({ name: x.name, kind: x.kind, status: x.status, pid: x.pid })),
      databaseUrl: app?.environment.DATABASE_URL,
    };
    if (args.json) process.stdout.write(`${JSON.stringify(info)}\n`);
    else process.stdout.write(`stack up: run ${s.runId}\napp: ${result.appUrl}\nstop it with: simulate down ${s.runId}\n`);
    return EXIT.ok;
  } finally {
    interrupts.dispose();
  }
}

export async function downCommand(args: CliArgs): Promise<number> {
  const [runId] = args.positionals;
  if (runId) {
    const rec = readOwner(runId);
    if (!rec && !(await knownRuns()).includes(runId)) throw new InputError(`no run ${runId} on this machine`, 'run `simulate down` with no id to stop every stack left up');
    await destroyRun(runId, rec);
    await reap({ docker: dockerReaper(rec?.driver ?? 'process') });
    process.stdout.write(`stopped run ${runId}\n`);
    return EXIT.ok;
  }
  const stopped = await reap({ include: (rec) => Boolean(rec?.detached), docker: dockerReaper('process') });
  process.stdout.write(stopped.length ? `stopped ${stopped.length} run(s): ${stopped.join(', ')}\n` : 'no stack of ours was running\n');
  return EXIT.ok;
}
