/**
 * Network faults without netem: this kernel has no `sch_netem` (FACTS.md), so `tc qdisc ... netem delay`
 * cannot be used. Instead, when a run plans a latency or loss fault on a service, the other services reach it
 * through this TCP proxy of ours (their environment names the proxy's port instead of the service's), and the
 * fault switches the proxy's delay on and off. Outside a fault it forwards at once.
 *
 * - latency MS: every chunk going TO the service waits MS before it is forwarded (order kept), which is
 *   what netem on the service's port would do to its ingress; answers come back undelayed.
 * - loss PCT: a TCP stream cannot lose bytes; a lost segment shows to the application as a retransmission
 *   delay. So each chunk to the service is, with probability PCT, held back for the retransmission timeout
 *   (Linux's minimum RTO, 200 ms), and everything behind it waits too (head-of-line blocking, as in TCP).
 * Both are honest user-space stand-ins for netem and are named as such in the events and the report.
 */
import net from 'node:net';

/** Linux's TCP_RTO_MIN: the shortest time before a lost segment is sent again. */
export const RTO_MS = 200;

export interface ProxyFault {
  latencyMs: number;
  /** 0..1 */
  loss: number;
}

export interface ProxyStats {
  connections: number;
  chunksDelayed: number;
  chunksLost: number;
}

export class FaultProxy {
  private server?: net.Server;
  private fault: ProxyFault = { latencyMs: 0, loss: 0 };
  private readonly sockets = new Set<net.Socket>();
  readonly stats: ProxyStats = { connections: 0, chunksDelayed: 0, chunksLost: 0 };
  port = 0;

  constructor(
    readonly target: { host: string; port: number },
    private readonly random: () => number = Math.random,
  ) {}

  /** Listen on 127.0.0.1 (port 0: any free port). */
  async start(port = 0): Promise<number> {
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  set(fault: Partial<ProxyFault>): void {
    this.fault = { ...this.fault, ...fault };
  }

  clear(): void {
    this.fault = { latencyMs: 0, loss: 0 };
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: net.Socket): void {
    this.stats.connections++;
    const upstream = net.connect({ host: this.target.host, port: this.target.port });
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    // Answers come back as they are.
    upstream.on('data', (chunk) => client.write(chunk));
    // Requests: in order, each no earlier than its own delay, never before the one ahead of it.
    let lastRelease = 0;
    const pending: Array<{ chunk: Buffer; at: number }> = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      const now = Date.now();
      while (pending.length && pending[0]!.at <= now) upstream.write(pending.shift()!.chunk);
      if (pending.length) timer = setTimeout(flush, pending[0]!.at - now);
    };
    client.on('data', (chunk) => {
      const { latencyMs, loss } = this.fault;
      let delay = latencyMs;
      if (loss > 0 && this.random() < loss) {
        delay += RTO_MS;
        this.stats.chunksLost++;
      }
      if (delay > 0) this.stats.chunksDelayed++;
      const at = Math.max(Date.now() + delay, lastRelease);
      lastRelease = at;
      if (at <= Date.now() && pending.length === 0) {
        upstream.write(chunk);
        return;
      }
      pending.push({ chunk, at });
      if (!timer) timer = setTimeout(flush, Math.max(0, at - Date.now()));
    });
    client.on('end', () => {
      const waitEnd = () => (pending.length ? setTimeout(waitEnd, 5) : upstream.end());
      waitEnd();
    });
    upstream.on('end', () => client.end());
    client.on('close', () => clearTimeout(timer));
  }
}
