/**
 * An HTTP server of known capacity for capacity-search tests: it serves one request at a time, each for a
 * fixed service time, so it sustains exactly 1000 / serviceMs req/s and latency grows without bound past
 * that. The service clock is virtual (each answer is due at max(arrival, previous answer) + serviceMs), so a
 * late timer does not lower the capacity.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface KnownCapacityServer {
  url: string;
  capacityRps: number;
  close(): Promise<void>;
}

export async function startKnownCapacityServer(serviceMs: number): Promise<KnownCapacityServer> {
  let nextFree = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const due = Math.max(performance.now(), nextFree) + serviceMs;
      nextFree = due;
      setTimeout(() => res.end('ok'), Math.max(0, due - performance.now()));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    capacityRps: 1000 / serviceMs,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Answers at once: its limit is far above what one load generator can send. */
export async function startInstantServer(): Promise<KnownCapacityServer> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    capacityRps: Infinity,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * The same server in a child process: for tests that also run the load generator in this process, so the
 * server's CPU does not count as the generator's (which would mark steps harness-limited).
 */
export async function spawnKnownCapacityServer(serviceMs: number): Promise<KnownCapacityServer> {
  const code = `
    const http = require('node:http');
    const S = ${Number(serviceMs)};
    let nextFree = 0;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const due = Math.max(performance.now(), nextFree) + S;
        nextFree = due;
        setTimeout(() => res.end('ok'), Math.max(0, due - performance.now()));
      });
    });
    server.keepAliveTimeout = 60000;
  `;
  return spawnServerProcess(code, 1000 / serviceMs);
}

/**
 * A server faster than our load generator, in a child process (its own core): plain TCP that answers every
 * request head it reads with one canned 200, no HTTP parsing, no per-request objects. A trivial Node HTTP
 * server is not fast enough for this (about 55 000 req/s here, close to what the generator sends).
 */
export async function spawnCannedServer(): Promise<KnownCapacityServer> {
  const code = `
    const net = require('node:net');
    const answer = Buffer.from('HTTP/1.1 200 OK\\r\\ncontent-length: 2\\r\\nconnection: keep-alive\\r\\n\\r\\nok');
    const server = net.createServer((sock) => {
      sock.setNoDelay(true);
      let tail = '';
      sock.on('data', (d) => {
        const text = tail + d.toString('latin1');
        const parts = text.split('\\r\\n\\r\\n');
        tail = parts.pop();
        const n = parts.length;
        if (n === 1) sock.write(answer);
        else if (n > 1) sock.write(Buffer.concat(Array(n).fill(answer)));
      });
      sock.on('error', () => {});
    });
  `;
  return spawnServerProcess(code, Infinity);
}

/**
 * Runs a server's source (it defines `server`) in a child Node process, so it has a core of its own: it
 * listens on a free loopback port, prints it, and exits when its stdin ends.
 */
async function spawnServerProcess(source: string, capacityRps: number): Promise<KnownCapacityServer> {
  const code = `${source}
    server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();
  `;
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    capacityRps,
    close: () =>
      new Promise<void>((r) => {
        child.once('exit', () => r());
        child.stdin.end();
      }),
  };
}
