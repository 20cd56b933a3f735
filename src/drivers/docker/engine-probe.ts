/**
 * Does a Docker engine answer on a local socket, and how is it set up? Two GETs over node:http,
 * for `simulate doctor`: loading dockerode (and its dependencies) would cost that command most of
 * its start-up time and memory. A DOCKER_HOST that is not a unix socket goes through dockerode.
 */
import http from 'node:http';
import { engineEndpoint, type EngineInfo } from './engine-info.ts';

function getJson(socketPath: string, path: string, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path, timeout: timeoutMs, headers: { host: 'docker' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`${path}: HTTP ${res.statusCode}`));
        try {
          resolve(JSON.parse(body) as Record<string, unknown>);
        } catch {
          reject(new Error(`${path}: not JSON`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export async function probeEngine(timeoutMs = 2000): Promise<EngineInfo> {
  const endpoint = engineEndpoint();
  if (!endpoint.startsWith('unix://')) {
    const docker = await import('./engine.ts');
    return docker.dockerAvailable(undefined, timeoutMs);
  }
  const socketPath = endpoint.slice('unix://'.length);
  try {
    const [version, info] = await Promise.all([getJson(socketPath, '/version', timeoutMs), getJson(socketPath, '/info', timeoutMs)]);
    return {
      ok: true,
      endpoint,
      version: version.Version as string | undefined,
      apiVersion: version.ApiVersion as string | undefined,
      cgroupDriver: info.CgroupDriver as string | undefined,
      cgroupVersion: (info.CgroupVersion as string | undefined) ?? '1',
    };
  } catch (err) {
    return { ok: false, endpoint, reason: (err as Error).message.split('\n')[0] };
  }
}
