/**
 * The connection to the Docker engine. dockerode reads DOCKER_HOST (and DOCKER_TLS_VERIFY /
 * DOCKER_CERT_PATH) itself, so a remote engine works the same as the local socket.
 */
import Docker from 'dockerode';
import { EnvironmentError } from '../../errors.ts';
import { engineEndpoint, type EngineInfo } from './engine-info.ts';

export { engineEndpoint, type EngineInfo } from './engine-info.ts';

export function connectEngine(): Docker {
  return new Docker();
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
    };
  } catch (err) {
    return { ok: false, endpoint, reason: (err as Error).message.split('\n')[0] };
  }
}

/** Throws the one-line EnvironmentError the user sees when no engine answers. */
export async function requireEngine(docker: Docker): Promise<EngineInfo & { ok: true }> {
  const info = await dockerAvailable(docker);
  if (!info.ok) {
    throw new EnvironmentError(`cannot reach the Docker engine at ${info.endpoint} (${info.reason})`, START_HINT);
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
