/**
 * `simulate setup`: checks what the process driver needs; `--driver docker` also builds the local images
 * from Debian packages (no registry is needed).
 */
import type { CliArgs } from './args.ts';
import { doctorCommand } from './doctor-command.ts';

export async function setupCommand(args: CliArgs): Promise<number> {
  const code = await doctorCommand(args);
  if (args.driver !== 'docker') return code;
  const docker = await import('../drivers/docker/index.ts');
  const result = await docker.setupDockerImages((line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return code;
}
