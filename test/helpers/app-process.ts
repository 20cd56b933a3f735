/**
 * Starts the FastAPI app (docker/app/run.py) as a child process, outside any stack: the
 * integration test uses it for a second instance with Redis pointed at a dead port and
 * LOG_SHIP_URL at a receiver of its own, and the manual stack uses it for its app.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

export const APP_DIR = fileURLToPath(new URL('../../docker/app/', import.meta.url));
export const SYSTEM_PYTHON = '/usr/bin/python3';

export interface AppProcess {
  url: string;
  pid: number;
  /** Everything the app wrote to stdout so far (its JSON access-log lines). */
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Why the app cannot run here, or undefined when it can (Debian's python3 and its packages). */
export function appUnavailableReason(): string | undefined {
  const probe = spawnSync(SYSTEM_PYTHON, ['-c', 'import fastapi, uvicorn, asyncpg, redis, prometheus_client'], {
    encoding: 'utf8',
  });
  if (probe.error || probe.status !== 0) {
    return 'needs /usr/bin/python3 with python3-fastapi python3-uvicorn python3-asyncpg python3-redis python3-prometheus-client';
  }
  return undefined;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls url until it answers 200, the child exits, or timeoutMs passes. */
export async function waitForHttp200(url: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before ${url} answered`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function startApp(opts: {
  databaseUrl: string;
  env?: Record<string, string>;
  port?: number;
  readyTimeoutMs?: number;
}): Promise<AppProcess> {
  const port = opts.port ?? (await freePort());
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    LANG: 'C.UTF-8',
    APP_HOST: '127.0.0.1',
    APP_PORT: String(port),
    DATABASE_URL: opts.databaseUrl,
    ...opts.env,
  };
  const child = spawn(SYSTEM_PYTHON, ['run.py'], { cwd: APP_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp200(`${url}/health`, opts.readyTimeoutMs ?? 90_000, child);
  } catch (e) {
    await stopChild(child);
    throw new Error(`app did not become ready: ${(e as Error).message}\n${err.slice(-2000)}`);
  }
  return {
    url,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    stop: () => stopChild(child),
  };
}
