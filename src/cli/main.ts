/**
 * The one top-level handler: parse, dispatch, and turn what went wrong into an exit code. A user-fixable
 * error is one line with what to do; anything else is a bug and shows its stack.
 */
import { AbortError, EXIT, formatAbort } from '../errors.ts';
import { HELP } from './help-text.ts';

const BUG_EXIT = 70;

async function main(argv: string[]): Promise<number> {
  // `simulate --help` alone prints without loading the parser (its schemas cost most of a start).
  if (argv.length === 1 && ['--help', '-h', 'help'].includes(argv[0]!)) {
    process.stdout.write(`${HELP}\n`);
    return EXIT.ok;
  }
  const { parseCli } = await import('./args.ts');
  // The fault specs (and zod under them) load only when a fault is asked for.
  const wantsFaults = argv.some((a) => a === '--fault' || a.startsWith('--fault='));
  const args = parseCli(argv, wantsFaults ? (await import('../faults/fault-spec.ts')).parseFaultFlags : undefined);
  if (args.help) {
    process.stdout.write(`${HELP}\n`);
    return EXIT.ok;
  }
  if (args.version) {
    const { default: pkg } = await import('../../package.json', { with: { type: 'json' } });
    process.stdout.write(`simulate ${pkg.version}\n`);
    return EXIT.ok;
  }
  if (args.dockerHost) (await import('../drivers/docker/engine-info.ts')).chooseEngine(args.dockerHost);
  try {
    return await dispatch(args);
  } finally {
    // ssh connections to a remote engine would hold the process open.
    if (args.dockerHost) (await import('../drivers/docker/engine-info.ts')).closeEngines();
  }
}

async function dispatch(args: import('./args.ts').CliArgs): Promise<number> {
  // Each command imports only what it uses: a start pays for its own modules, not every command's.
  switch (args.command) {
    case 'up':
      return (await import('./up-down-commands.ts')).upCommand(args);
    case 'down':
      return (await import('./up-down-commands.ts')).downCommand(args);
    case 'doctor':
      return (await import('./doctor-command.ts')).doctorCommand(args);
    case 'setup':
      return (await import('./setup-command.ts')).setupCommand(args);
    case 'report':
      return (await import('./report-command.ts')).reportCommand(args);
    case 'compare':
      return (await import('./compare-command.ts')).compareCommand(args);
    case 'capacity':
      return (await import('./capacity-command.ts')).capacityCommand(args);
    default:
      return args.target ? (await import('./target-command.ts')).targetCommand(args) : (await import('./run-command.ts')).runCommand(args);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof AbortError) {
      process.stderr.write(`${formatAbort(err)}\n`);
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(`simulate: internal error (a bug, please report it):\n${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = BUG_EXIT;
    }
  },
);
