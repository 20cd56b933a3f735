/**
 * `simulate setup`: checks what the process driver needs; `--driver docker` also builds the local images
 * from Debian packages (no registry is needed).
 */
import type { CliArgs } from './args.ts';
import { doctorCommand } from './doctor-command.ts';
import { ensureDataset } from '../dataset/build-dataset.ts';
import { formatSeedProgress } from '../dataset/seed-progress.ts';
import { loadProfile } from '../profile/load-profile.ts';
import { abortOnSignals } from './interrupts.ts';
import { EXIT } from '../errors.ts';

export async function setupCommand(args: CliArgs): Promise<number> {
  const code = await doctorCommand(args);
  if (args.data !== undefined || args.profile !== undefined) {
    const built = await buildDatasetAhead(args);
    if (built !== 0) return built;
  }
  if (args.driver !== 'docker') return code;
  const docker = await import('../drivers/docker/index.ts');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const remote = args.dockerHost && args.dockerHost.kind !== 'unix' ? args.dockerHost : undefined;
  // With --docker-host: built by this machine's engine (debootstrap runs here), then copied there.
  const result = await docker.setupDockerImages(log, remote ? { docker: docker.localEngine() } : {});
  if (!remote) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return code;
  }
  const there = docker.connectEngine();
  const { requireEngine } = await import('../drivers/docker/engine.ts');
  await requireEngine(there);
  const copy = await docker.copyImagesTo(there, docker.localEngine(), log);
  process.stdout.write(`${JSON.stringify({ ...result, dockerHost: remote.url, copy })}\n`);
  // The process checks above are about this machine; with a remote engine the run needs only the engine.
  return EXIT.ok;
}

/**
 * `simulate setup --data 3g [--profile 4gb]`: the kept dataset a run of this profile and size starts from,
 * built now (progress on stderr, the record on stdout) so the first run does not wait for it.
 */
async function buildDatasetAhead(args: CliArgs): Promise<number> {
  const stack = loadProfile(args.profile ?? '4gb', { data: args.data, workDir: '/var/tmp/simulate/unresolved' });
  if (!stack.datasetBytes) {
    process.stderr.write(`simulate setup: profile ${stack.name} has no dataset (x-simulate.dataset) and no --data: nothing to build\n`);
    return EXIT.ok;
  }
  const interrupts = abortOnSignals();
  let shownAt = 0;
  try {
    const r = await ensureDataset(stack, stack.datasetBytes, {
      signal: interrupts.signal,
      onProgress: (p) => {
        if (p.phase === 'rows' && Date.now() - shownAt < 2000) return;
        shownAt = Date.now();
        process.stderr.write(`${formatSeedProgress(p)}\n`);
      },
    });
    process.stderr.write(`dataset ${r.spec.key}: ${r.built ? 'built' : 'already built'} in ${r.spec.dir} (${(r.record.databaseBytes / 1024 ** 3).toFixed(2)} GB)\n`);
    process.stdout.write(`${JSON.stringify({ dataset: { ...r.record, dir: r.spec.dir, built: r.built } })}\n`);
    return EXIT.ok;
  } finally {
    interrupts.dispose?.();
  }
}
