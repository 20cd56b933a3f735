/**
 * `simulate up` leaves a stack running (for a developer, or the app's integration tests); `simulate down`
 * stops what `up` left, or one run by id.
 */
import { EnvironmentError, EXIT, InputError } from '../errors.ts';
import { createReporter } from './choose-reporter.ts';
import { destroyRun, knownRuns, readOwner, reap, type OwnerRecord } from '../run/run-registry.ts';
import { runSimulation } from '../run/run.ts';
import { dockerReaper } from '../run/choose-driver.ts';
import type { ReapResult } from '../drivers/docker/reap.ts';
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
  let engine: ReapResult | undefined;
  // Asked for by name: an engine that does not answer is an error (exit 3), not "nothing left".
  if (args.dockerHost) {
    const docker = await import('../drivers/docker/engine.ts');
    await docker.requireEngine(docker.connectEngine());
  }
  // With --docker-host: the stacks left up on that engine, not this machine's own.
  const here = (rec: OwnerRecord | undefined) => (args.dockerHost ? rec?.dockerHost === args.dockerHost.url : !rec?.dockerHost);
  const stopped = await reap({ include: (rec) => Boolean(rec?.detached) && here(rec), docker: dockerReaper(args.dockerHost ? 'docker' : 'process', (r) => (engine = r)) });
  process.stdout.write(stopped.length ? `stopped ${stopped.length} run(s): ${stopped.join(', ')}\n` : 'no stack of ours was running\n');
  if (args.dockerHost) {
    // On another machine's engine: say what was removed there (a killed run leaves no trace here but its work dir).
    const where = args.dockerHost.url;
    if (!engine) throw new EnvironmentError(`could not list what is left on ${where}`, 'run again with SIMULATE_DEBUG=1 to see why');
    process.stdout.write(
      engine.runs.length
        ? `removed ${engine.containers} container(s) and ${engine.volumes} volume(s) of run(s) ${engine.runs.join(', ')} on ${where}\n`
        : `nothing of ours left on ${where}\n`,
    );
    if (engine.foreign.length) process.stdout.write(`left alone on ${where}: run(s) ${engine.foreign.join(', ')} started from another machine\n`);
  }
  return EXIT.ok;
}
