/**
 * Keep-alive HTTP/1.1 connections for the open-model engine, on raw sockets (as autocannon and wrk
 * do): one request at a time per connection (no pipelining, so one slow answer never holds up
 * another), a request written as one string in one write, and a minimal response parser.
 *
 * Why not undici: profiled at 15k req/s (`node --cpu-prof`), its pool scanned its clients for a
 * free one on every dispatch and wrote each request in several pieces; the engine spent most of
 * its time there and reached about a sixth of wrk's rate. Here a free connection is the top of a
 * stack (the most recently used one, so idle ones age out on the server's side rather than ours).
 *
 * Retry: a request written on a REUSED connection that closes before a single byte of the answer
 * arrived is written again once on a new connection, if it is a GET or HEAD, as browsers and
 * undici do: the server closed an idle keep-alive connection just as we reused it. It keeps its
 * scheduled time, so the extra round trip shows in its latency.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { PlannedRequest } from './request-mix.ts';
import { ResponseParser } from './http1-response-parser.ts';

/** The one read buffer of all plain-HTTP connections (see Http1Connection). */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** What the engine hands the pool per request; the pool fills in `conn`. */
export interface Exchange {
  req: PlannedRequest;
  /** The connection carrying it, while it is in flight. */
  conn?: Http1Connection;
  retried?: boolean;
  /** Keep the answer's body (an acknowledged write); reads only count bytes. */
  keepBody?: boolean;
}

export interface PoolCallbacks<T extends Exchange> {
  /** A whole response: status, body bytes, and the body itself when the exchange asked to keep it. */
  done(x: T, status: number, bodyBytes: number, body?: Buffer): void;
  /** No whole response: connection refused, reset or closed mid-answer, unparseable, or aborted. */
  fail(x: T, err: Error): void;
}

export class Http1Connection {
  readonly socket: net.Socket;
  private readonly parser: ResponseParser;
  current: Exchange | undefined;
  /** Responses completed on this connection (0: it has never answered, so a close is no stale-reuse). */
  served = 0;
  closed = false;
  private received = false;

  constructor(private readonly pool: Http1Pool<Exchange>) {
    const { url } = pool;
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // Plain HTTP reads into one buffer shared by every connection (`onread`): no Buffer allocated and
    // no stream machinery per answer. Safe because each read is parsed at once, on this one thread, and
    // the parser copies whatever it keeps (a head split across reads, an acknowledged write's body).
    this.socket =
      url.protocol === 'https:'
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host })
        : net.connect({ host, port, onread: { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => this.onData(buf as Buffer, n) } });
    this.socket.setNoDelay(true);
    this.parser = new ResponseParser({
      onResponse: (status, bytes, keepAlive, body) => {
        const x = this.current;
        this.current = undefined;
        this.received = false;
        this.served++;
        if (!x) return;
        x.conn = undefined;
        if (keepAlive) pool.release(this);
        else this.destroy();
        pool.callbacks.done(x, status, bytes, body);
      },
    });
    if (url.protocol === 'https:') this.socket.on('data', (chunk: Buffer) => this.onData(chunk, chunk.length));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('end', () => {
      // A body framed by the connection's end is complete now.
      this.parser.end();
      this.fail(new Error('connection closed by the server before the response ended'));
    });
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  private onData(buf: Buffer, n: number): boolean {
    this.received = true;
    try {
      this.parser.execute(n === buf.length ? buf : buf.subarray(0, n));
    } catch (err) {
      this.fail(err as Error);
    }
    return true;
  }

  write(x: Exchange, head: string | Buffer): void {
    this.current = x;
    x.conn = this;
    this.received = false;
    this.parser.expectNoBody = x.req.method === 'HEAD';
    this.parser.keepBody = x.keepBody === true;
    this.socket.write(head);
  }

  /** Abort the request in flight (a timeout): the connection is closed and the request fails. */
  abort(reason: Error): void {
    this.fail(reason);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.forget(this);
    this.socket.destroy();
  }

  private fail(err: Error): void {
    const x = this.current;
    const stale = x !== undefined && !this.received && this.served > 0;
    this.current = undefined;
    this.destroy();
    if (!x) return;
    x.conn = undefined;
    if (stale && !x.retried && (x.req.method === 'GET' || x.req.method === 'HEAD') && !err.message.startsWith('timeout')) {
      x.retried = true;
      this.pool.send(x);
      return;
    }
    this.pool.callbacks.fail(x, err);
  }
}

export class Http1Pool<T extends Exchange> {
  readonly url: URL;
  private readonly hostHeader: string;
  private idle: Http1Connection[] = [];
  private open = 0;
  private destroyed = false;

  constructor(
    origin: string,
    private readonly maxConnections: number,
    readonly callbacks: PoolCallbacks<T>,
  ) {
    this.url = new URL(origin);
    this.hostHeader = this.url.host;
  }

  /**
   * Open `n` idle connections before the load's clock starts, as wrk and autocannon connect before
   * they send: resolves once each is connected or has failed (a server not up yet: its requests then
   * fail as they would have), or after `maxWaitMs`.
   */
  warm(n: number, maxWaitMs = 1000): Promise<void> {
    const waits: Array<Promise<unknown>> = [];
    for (let i = 0; i < n && this.open < this.maxConnections && !this.destroyed; i++) {
      const conn = new Http1Connection(this as unknown as Http1Pool<Exchange>);
      this.open++;
      this.idle.push(conn);
      waits.push(new Promise((resolve) => {
        conn.socket.once('connect', resolve);
        conn.socket.once('close', resolve);
      }));
    }
    if (waits.length === 0) return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([Promise.all(waits), new Promise((r) => (timer = setTimeout(r, maxWaitMs)))]).then(() => clearTimeout(timer));
  }

  /** Connections open (busy or idle). */
  get size(): number {
    return this.open;
  }

  /** A kept-alive connection is free: a request sent now opens nothing. */
  get hasIdle(): boolean {
    for (let i = this.idle.length - 1; i >= 0; i--) {
      if (!this.idle[i]!.closed) return true;
      this.idle.pop();
    }
    return false;
  }

  /**
   * Write a request on a free connection, opening one if all are busy. The caller keeps requests
   * in flight ≤ maxConnections (the engine's in-flight cap), so one is always free or can be opened.
   */
  send(x: T | Exchange): void {
    if (this.destroyed) return;
    let conn: Http1Connection | undefined;
    while ((conn = this.idle.pop()) && conn.closed);
    if (!conn) {
      if (this.open >= this.maxConnections) throw new Error(`no free connection (${this.open} open): the caller exceeded its in-flight cap`);
      conn = new Http1Connection(this as unknown as Http1Pool<Exchange>);
      this.open++;
    }
    conn.write(x, this.head(x.req));
  }

  release(conn: Http1Connection): void {
    if (this.destroyed) conn.destroy();
    else this.idle.push(conn);
  }

  forget(_conn: Http1Connection): void {
    this.open--;
    // A closed connection left in `idle` is skipped when popped; drop them all if they pile up.
    if (this.idle.length > 64 && this.idle.length > 2 * this.open) this.idle = this.idle.filter((c) => !c.closed);
  }

  destroy(): void {
    this.destroyed = true;
    for (const c of this.idle) c.destroy();
    this.idle = [];
  }

  /**
   * The last bodiless request's head, encoded once it repeats: a scenario of one URL (`--target`) writes the
   * same bytes every time. A head that differs each time (ids in the path) stays a string, as before.
   */
  private last: { method: string; path: string; bytes?: Buffer } = { method: '', path: '' };

  private head(req: PlannedRequest): string | Buffer {
    if (req.body !== undefined || req.headers !== undefined) return this.headText(req);
    const last = this.last;
    if (last.path === req.path && last.method === req.method) return (last.bytes ??= Buffer.from(this.headText(req)));
    this.last = { method: req.method, path: req.path };
    return this.headText(req);
  }

  private headText(req: PlannedRequest): string {
    let s = `${req.method} ${req.path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\n`;
    if (req.headers) for (const k in req.headers) s += `${k}: ${req.headers[k]}\r\n`;
    if (req.body !== undefined) return `${s}content-length: ${Buffer.byteLength(req.body)}\r\n\r\n${req.body}`;
    // A POST with no body still says so, or the server waits for one.
    if (req.method !== 'GET' && req.method !== 'HEAD') s += 'content-length: 0\r\n';
    return `${s}\r\n`;
  }
}
