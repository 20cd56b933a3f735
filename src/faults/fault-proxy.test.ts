import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy, RTO_MS } from './fault-proxy.ts';

/** An echo server on a free loopback port. */
async function echoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (d) => s.write(d));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** Round-trip time of one small message through `port`, ms. */
async function roundTrip(socket: net.Socket, text: string): Promise<number> {
  const t0 = performance.now();
  socket.write(text);
  await new Promise<void>((resolve) => {
    let got = '';
    const on = (d: Buffer) => {
      got += d.toString();
      if (got.length >= text.length) {
        socket.off('data', on);
        resolve();
      }
    };
    socket.on('data', on);
  });
  return performance.now() - t0;
}

describe('FaultProxy', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('forwards at once without a fault, adds the latency during one, and stops adding it after', async () => {
    const echo = await echoServer();
    const proxy = new FaultProxy({ host: '127.0.0.1', port: echo.port });
    await proxy.start();
    cleanups.push(() => proxy.close(), () => echo.close());
    const socket = net.connect(proxy.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    cleanups.push(async () => void socket.destroy());

    expect(await roundTrip(socket, 'a')).toBeLessThan(50);
    proxy.set({ latencyMs: 120 });
    const slow = await roundTrip(socket, 'b');
    expect(slow).toBeGreaterThanOrEqual(115);
    expect(slow).toBeLessThan(400);
    proxy.clear();
    expect(await roundTrip(socket, 'c')).toBeLessThan(50);
    expect(proxy.stats.chunksDelayed).toBe(1);
  });

  it('loss holds a chunk back for the retransmission timeout, in order', async () => {
    const echo = await echoServer();
    let draws = 0;
    // First chunk lost, the rest not.
    const proxy = new FaultProxy({ host: '127.0.0.1', port: echo.port }, () => (draws++ === 0 ? 0 : 0.99));
    await proxy.start();
    cleanups.push(() => proxy.close(), () => echo.close());
    proxy.set({ loss: 0.5 });
    const socket = net.connect(proxy.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    cleanups.push(async () => void socket.destroy());
    const lost = await roundTrip(socket, 'x');
    expect(lost).toBeGreaterThanOrEqual(RTO_MS - 5);
    expect(await roundTrip(socket, 'y')).toBeLessThan(RTO_MS);
    expect(proxy.stats.chunksLost).toBe(1);
  });
});
