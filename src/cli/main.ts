/**
 * The one top-level handler: parse, dispatch, and turn what went wrong into an exit code. A user-fixable
 * error is one line with what to do; anything else is a bug and shows its stack.
 */
import { AbortError, formatAbort } from '../errors.ts';
import { HELP, parseCli } from './args.ts';
import { doctorCommand } from './doctor-command.ts';
import { reportCommand } from './report-command.ts';
import { runCommand } from './run-command.ts';
import { setupCommand } from './setup-command.ts';
import { targetCommand } from './target-command.ts';
import { downCommand, upCommand } from './up-down-commands.ts';

const BUG_EXIT = 70;

async function main(argv: string[]): Promise<number> {
  const args = parseCli(argv);
  if (args.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (args.version) {
    const { default: pkg } = await import('../../package.json', { with: { type: 'json' } });
    process.stdout.write(`simulate ${pkg.version}\n`);
    return 0;
  }
  switch (args.command) {
    case 'up':
      return upCommand(args);
    case 'down':
      return downCommand(args);
    case 'doctor':
      return doctorCommand(args);
    case 'setup':
      return setupCommand(args);
    case 'report':
      return reportCommand(args);
    default:
      return args.target ? targetCommand(args) : runCommand(args);
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
