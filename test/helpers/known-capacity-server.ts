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
