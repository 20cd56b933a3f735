/**
 * Reaching a remote stack's ports from here without sending anything to another address: each port the
 * run talks to (the app, Prometheus, Redis, PostgreSQL, readiness checks) gets a listener on this
 * machine's 127.0.0.1, and each connection to it is carried over the ssh connection to the same port on
 * the server's own loopback (`ssh -L 127.0.0.1:LOCAL:127.0.0.1:PORT`). Load sent to the listener is load
 * to 127.0.0.1; ssh carries it.
 */
import net from 'node:net';
import { debug } from '../../util/debug.ts';
import type { SshDialer } from './ssh-dialer.ts';

export class PortForwards {
  private readonly servers = new Map<number, { server: net.Server; local: number }>();
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly dialer: SshDialer) {}

  /** Opens a listener for each remote port (idempotent). */
  async open(remotePorts: number[]): Promise<void> {
    for (const port of remotePorts) {
      if (this.servers.has(port)) continue;
      const server = net.createServer((sock) => this.carry(sock, port));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      this.servers.set(port, { server, local: (server.address() as net.AddressInfo).port });
    }
  }

  private carry(sock: net.Socket, port: number): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.pause();
    this.dialer.forward('127.0.0.1', port).then(
      (channel) => {
        sock.pipe(channel).pipe(sock);
        sock.resume();
        const end = () => {
          sock.destroy();
          channel.close();
        };
        channel.on('close', end);
        sock.on('close', () => channel.close());
        sock.on('error', end);
        channel.on('error', end);
      },
      (err: unknown) => {
        // Nothing listens there (yet): the local side sees a refused-like close, as a check expects.
        debug('ssh', `forward to server port ${port}: ${String(err)}`);
        sock.destroy();
      },
    );
  }

  /** The local port standing for `port` on the server; undefined when none was opened. */
  local(port: number): number | undefined {
    return this.servers.get(port)?.local;
  }

  /** Every port mapping, remote → local. */
  mapping(): Map<number, number> {
    return new Map([...this.servers].map(([remote, s]) => [remote, s.local]));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all([...this.servers.values()].map((s) => new Promise<void>((r) => s.server.close(() => r()))));
    this.servers.clear();
  }
}
