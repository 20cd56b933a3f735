/**
 * `--driver auto|process|docker`. The docker module (dockerode) loads only when docker is asked for or
 * auto finds an engine: the process driver needs none of it.
 */
import type { Driver, DriverName } from '../drivers/driver.ts';
import { ProcessDriver } from '../drivers/process/process-driver.ts';
import { EnvironmentError, InputError } from '../errors.ts';
import type { Stack } from '../profile/stack.ts';
import type { DockerReaper } from './run-registry.ts';
import { chosenEngine } from '../drivers/docker/engine-info.ts';
import type { ReapResult } from '../drivers/docker/reap.ts';

export async function chooseDriver(wanted: 'auto' | DriverName, stack: Stack): Promise<Driver> {
  if (wanted === 'process') return new ProcessDriver();
  const docker = await import('../drivers/docker/index.ts');
  const engine = await docker.dockerAvailable();
  if (wanted === 'docker') {
    if (!engine.ok) {
      throw new EnvironmentError(
        `cannot reach the Docker engine at ${engine.endpoint}: ${engine.reason}`,
        'start it (dockerd --bridge=none), set DOCKER_HOST, or use --driver process',
      );
    }
    const images = await docker.dockerImagesReady(stack);
    if (!images.ok) throw docker.missingImagesError(images.missing);
    // Checked here once: the driver does not ask the engine again.
    return new docker.DockerDriver({ imagesChecked: true });
  }
  // auto: docker where an engine answers and the images exist, else native processes.
  if (engine.ok && (await docker.dockerImagesReady(stack)).ok) return new docker.DockerDriver({ imagesChecked: true });
  return new ProcessDriver();
}

/** The reaper's docker half, when an engine is there to ask; `report` hears what it removed (`simulate down`). */
export function dockerReaper(driver: DriverName, report?: (r: ReapResult) => void): DockerReaper | undefined {
  return async (isGone) => {
    const docker = await import('../drivers/docker/index.ts');
    // An engine over ssh answers its first call after a key exchange: give it longer than a local socket.
    const timeoutMs = chosenEngine()?.kind === 'ssh' ? 15_000 : 1000;
    if (driver !== 'docker' && !(await docker.dockerAvailable(undefined, timeoutMs)).ok) return 0;
    const r = await docker.reapDockerRuns((id) => !isGone(id));
    report?.(r);
    return r.containers;
  };
}

/** A run on another machine's engine (--docker-host ssh://…), or undefined for this machine's. */
export async function remoteRun(stack: Stack, opts: { capGiven: boolean; loadFrom: 'here' | 'remote'; faults: number }) {
  const host = chosenEngine();
  if (!host || host.kind === 'unix') {
    if (opts.loadFrom === 'remote') throw new InputError('--load-from remote needs --docker-host', 'leave it out for a local run');
    return undefined;
  }
  if (opts.faults) throw new InputError(`--fault on a remote engine (${host.url}) is not built yet`, 'run faults against the local engine (leave out --docker-host)');
  const { prepareRemoteRun } = await import('../drivers/docker/remote-run.ts');
  return prepareRemoteRun(host, stack, opts);
}
