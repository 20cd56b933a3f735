/**
 * The connection to the Docker engine: the local socket, or the engine `--docker-host` / DOCKER_HOST
 * names (unix://, tcp://, or ssh:// through a pool of ssh connections, see ssh-dialer.ts).
 */
// First: it must run before dockerode loads.
import './dockerode-lazy.ts';
import Docker from 'dockerode';
import { EnvironmentError } from '../../errors.ts';
import type { DockerHost } from './docker-host.ts';
import { chosenEngine, engineEndpoint, onEnginesClose, type EngineInfo } from './engine-info.ts';
import { SshDialer } from './ssh-dialer.ts';

export { engineEndpoint, type EngineInfo } from './engine-info.ts';

const dialers = new Map<string, SshDialer>();

/** One dialer (its ssh connections) per ssh host for the whole process; closed when the command ends. */
export function sshDialer(host: Extract<DockerHost, { kind: 'ssh' }>): SshDialer {
  const key = `${host.url}:${host.port}:${host.keyFile ?? ''}`;
  let d = dialers.get(key);
  if (!d) {
    d = new SshDialer(host);
    dialers.set(key, d);
    const made = d;
    onEnginesClose(() => {
      made.close();
      dialers.delete(key);
    });
  }
  return d;
}

/**
 * docker-modem fills every option it is not given from DOCKER_HOST (host, port, protocol `ssh`, user), and
 * a host wins over a socket path: with DOCKER_HOST=ssh://… in the environment, `{ socketPath }` alone
 * would dial that server through docker-modem's own ssh, without our key. These say "none of that".
 */
const NOT_FROM_ENV = { host: undefined, port: undefined, username: undefined, protocol: 'http' as const };

/** This machine's own engine, whatever --docker-host says (where `simulate setup` builds the images). */
export function localEngine(): Docker {
  return new Docker({ ...NOT_FROM_ENV, socketPath: '/var/run/docker.sock' });
}

export function connectEngine(host: DockerHost | undefined = chosenEngine()): Docker {
  if (!host) return new Docker();
  if (host.kind === 'unix') return new Docker({ ...NOT_FROM_ENV, socketPath: host.socketPath });
  if (host.kind === 'tcp') return new Docker({ ...NOT_FROM_ENV, host: host.host, port: host.port });
  // The host name here only fills the HTTP Host header: the agent's channels decide where bytes go.
  return new Docker({ ...NOT_FROM_ENV, host: 'docker', port: 80, agent: sshDialer(host).agent() } as Docker.DockerOptions);
}

const START_HINT = 'start it with `dockerd --bridge=none` (or `.ci/start-dockerd`), or use --driver process';

/** What `simulate doctor` and `--driver auto` ask: does an engine answer, and how is it set up? */
export async function dockerAvailable(docker: Docker = connectEngine(), timeoutMs = 3000): Promise<EngineInfo> {
  const endpoint = engineEndpoint();
  try {
    const [version, info] = await withTimeout(Promise.all([docker.version(), docker.info()]), timeoutMs, 'no answer');
    return {
      ok: true,
      endpoint,
      version: version.Version,
      apiVersion: version.ApiVersion,
      cgroupDriver: info.CgroupDriver,
      cgroupVersion: info.CgroupVersion ?? '1',
      machine: { name: info.Name, kernel: info.KernelVersion, os: info.OperatingSystem, memoryBytes: info.MemTotal, cpus: info.NCPU },
    };
  } catch (err) {
    return { ok: false, endpoint, reason: (err as Error).message.split('\n')[0] };
  }
}

/** Throws the one-line EnvironmentError the user sees when no engine answers. */
export async function requireEngine(docker: Docker): Promise<EngineInfo & { ok: true }> {
  // Over ssh the first answer includes a key exchange and a `docker` start on the server.
  const info = await dockerAvailable(docker, chosenEngine()?.kind === 'ssh' ? 15_000 : 3000);
  if (!info.ok) {
    const remote = chosenEngine() && chosenEngine()!.kind !== 'unix';
    throw new EnvironmentError(`cannot reach the Docker engine at ${info.endpoint} (${info.reason})`, remote ? `check that \`docker -H ${info.endpoint} info\` works from here` : START_HINT);
  }
  return info as EngineInfo & { ok: true };
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** Reads a dockerode progress stream (pull, import, build) to its end; rejects on an `error` line. */
export function followProgress(docker: Docker, stream: NodeJS.ReadableStream, onLine?: (line: string) => void): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: unknown[]) => {
        if (err) return reject(err);
        const failed = (output as Array<{ error?: string }>).find((o) => o && o.error);
        if (failed) return reject(new Error(failed.error));
        resolve(output);
      },
      (event: { status?: string; progress?: string; stream?: string }) => {
        const line = (event.stream ?? [event.status, event.progress].filter(Boolean).join(' ')).trim();
        if (line && onLine) onLine(line);
      },
    );
  });
}
