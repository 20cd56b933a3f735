/**
 * The engine's connection pool against small raw servers on 127.0.0.1 (port 0), shaped to make the
 * cases that matter happen every time: a kept-alive connection closed just as it is reused, a
 * server that closes after each answer, a chunked answer, a refused connection.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Http1Pool, type Exchange } from './http1-pool.ts';

let server: net.Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A server that calls `answer(n)` for the n-th request on a connection (0-based); null closes it instead. */
async function rawServer(answer: (n: number) => string | null): Promise<{ origin: string; connections: () => number }> {
  let connections = 0;
  server = net.createServer((socket) => {
    connections++;
    let n = 0;
    let buf = '';
    socket.on('data', (c) => {
      buf += c.toString('latin1');
      let end;
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        buf = buf.slice(end + 4);
        const text = answer(n++);
        if (text === null) socket.destroy();
        else socket.write(text);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
}

function client(origin: string, max = 4) {
  const results: Array<{ status?: number; bytes?: number; error?: string }> = [];
  let wake: (() => void) | undefined;
  const pool = new Http1Pool<Exchange>(origin, max, {
    done: (_x, status, bytes) => (results.push({ status, bytes }), wake?.()),
    fail: (_x, err) => (results.push({ error: err.message }), wake?.()),
  });
  const one = (method = 'GET') =>
    new Promise<(typeof results)[number]>((resolve) => {
      wake = () => resolve(results[results.length - 1]!);
      pool.send({ req: { endpointIndex: 0, method, path: '/' } });
    });
  return { pool, one };
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello';

describe('HTTP/1.1 connection pool', () => {
  it('reuses one connection for requests one after another', async () => {
    const s = await rawServer(() => OK);
    const { pool, one } = client(s.origin);
    for (let i = 0; i < 5; i++) expect(await one()).toEqual({ status: 200, bytes: 5 });
    expect(s.connections()).toBe(1);
    pool.destroy();
  });

  it('sends a GET again on a new connection when a reused one closes before answering; not a POST', async () => {
    // Every connection answers its first request and closes on its second, as a server whose
    // keep-alive timer fires just as the connection is reused.
    const s = await rawServer((n) => (n === 0 ? OK : null));
    const { pool, one } = client(s.origin);
    expect(await one()).toEqual({ status: 200, bytes: 5 });
    expect(await one()).toEqual({ status: 200, bytes: 5 });
    expect(s.connections()).toBe(2);
    expect((await one('POST')).error).toMatch(/closed/);
    pool.destroy();
  });

  it('opens a new connection after Connection: close, and reads chunked answers', async () => {
    const s = await rawServer((n) =>
      n === 0 ? 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n' : OK,
    );
    const { pool, one } = client(s.origin);
    expect(await one()).toEqual({ status: 200, bytes: 3 });
    expect(await one()).toEqual({ status: 200, bytes: 3 });
    expect(s.connections()).toBe(2);
    pool.destroy();
  });

  it('fails a request whose connection is refused', async () => {
    const s = await rawServer(() => OK);
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const { pool, one } = client(s.origin);
    expect((await one()).error).toMatch(/ECONNREFUSED/);
    expect(pool.size).toBe(0);
    pool.destroy();
  });
});
