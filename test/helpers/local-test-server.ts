/**
 * Small real HTTP servers on 127.0.0.1 (port 0) for the load engine's tests and benchmark.
 * Not used by the tool itself.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalServer {
  url: string;
  port: number;
  /** Requests the server received. */
  received(): number;
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export async function startLocalServer(handler: Handler): Promise<LocalServer> {
  let count = 0;
  const server = http.createServer((req, res) => {
    count++;
    // Read the body before answering, as a real app does.
    req.resume();
    req.on('end', () => handler(req, res));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    received: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers `ok` at once, except during [stallAfterMs, periodMs) of every period: then it holds the answer until the stall ends. */
export function stallingHandler(periodMs: number, stallMs: number, t0 = Date.now()): Handler {
  return (_req, res) => {
    const phase = (Date.now() - t0) % periodMs;
    const stallStart = periodMs - stallMs;
    const wait = phase >= stallStart ? periodMs - phase : 0;
    if (wait > 0) setTimeout(() => res.end('ok'), wait);
    else res.end('ok');
  };
}
