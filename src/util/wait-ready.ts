/** Polls a ready check until it passes, the process dies, the deadline passes or the run is aborted. */
import net from 'node:net';
import { spawn } from 'node:child_process';
import type { ReadyCheck } from '../profile/stack.ts';
import { debug, swallow } from './debug.ts';

/** With host networking a service's ports are the host's: a TCP connect on them says it listens. */
export function tcpAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export async function httpAnswers(url: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer().catch(swallow('ready', `read body of ${url}`));
    return res.ok;
  } catch (err) {
    // Not answering (yet) is what this asks about: false, with the reason under SIMULATE_DEBUG=1.
    debug('ready', `GET ${url}: ${(err as Error).message}`);
    return false;
  }
}

/** A sleep that an abort ends early (it resolves, it does not throw). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function checkOnce(check: ReadyCheck): Promise<boolean> {
  switch (check.kind) {
    case 'none':
      return true;
    case 'tcp':
      return tcpAnswers(check.host, check.port);
    case 'http':
      return httpAnswers(check.url);
    case 'command':
      return new Promise((resolve) => {
        const child = spawn(check.argv[0], check.argv.slice(1), { stdio: 'ignore', env: { ...process.env, ...check.env } });
        child.once('error', () => resolve(false));
        child.once('exit', (code) => resolve(code === 0));
      });
  }
}

export function describeCheck(check: ReadyCheck): string {
  switch (check.kind) {
    case 'tcp':
      return `tcp ${check.host}:${check.port}`;
    case 'http':
      return `GET ${check.url}`;
    case 'command':
      return check.argv.join(' ');
    case 'none':
      return 'no check';
  }
}

/**
 * Polls until ready, dead, given up, timed out or aborted. `check` replaces the plain check (the docker
 * driver runs a command check inside its container); `stillAlive` and `giveUp` may ask asynchronously.
 */
export async function waitReady(
  check: ReadyCheck,
  opts: {
    timeoutMs: number;
    signal: AbortSignal;
    stillAlive: () => boolean | Promise<boolean>;
    giveUp?: () => boolean | Promise<boolean>;
    check?: () => Promise<boolean>;
    intervalMs?: number;
  },
): Promise<'ready' | 'timeout' | 'died' | 'aborted' | 'gave-up'> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (opts.signal.aborted) return 'aborted';
    if (!(await opts.stillAlive())) return 'died';
    if (await (opts.check ? opts.check() : checkOnce(check))) return 'ready';
    if (await opts.giveUp?.()) return 'gave-up';
    if (Date.now() > deadline) return 'timeout';
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

/** Is a loopback port free to listen on? (The same check Docker would fail on with "address already in use".) */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}
