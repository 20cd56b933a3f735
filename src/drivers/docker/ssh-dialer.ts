/**
 * The Docker engine over ssh, as the docker CLI does it: each HTTP connection is a `docker system
 * dial-stdio` exec on the server. docker-modem's own ssh agent opens a new ssh connection for every
 * request; a run makes hundreds (exec probes, stats, logs, events), so this keeps a few connections
 * open and runs several channels on each. OpenSSH allows 10 sessions per connection by default
 * (sshd_config MaxSessions), so a connection carries at most 8 and another one opens beyond that.
 * The same connections carry `forward()` channels (direct-tcpip) to the server's own loopback: how
 * readiness checks and load reach services that listen on 127.0.0.1 there.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { createRequire } from 'node:module';
import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import { EnvironmentError } from '../../errors.ts';
import { debug } from '../../util/debug.ts';
import type { DockerHost } from './docker-host.ts';
import { checkHostKey, readKnownHosts } from './known-hosts.ts';

const SESSIONS_PER_CONNECTION = 8;

interface Conn {
  client: Client;
  ready: Promise<void>;
  open: number;
  closed: boolean;
}

export class SshDialer {
  private conns: Conn[] = [];
  private closing = false;
  private dropListeners: Array<(reason: string) => void> = [];
  private readonly config: ConnectConfig;
  /** Set when the server offered a key other than the one known_hosts lists for it. */
  private hostKeyRefused?: string;

  constructor(readonly host: Extract<DockerHost, { kind: 'ssh' }>) {
    const agentSock = process.env.SSH_AUTH_SOCK;
    if (!host.keyFile && !agentSock) {
      throw new EnvironmentError(`no way to log in to ${host.url}: no --ssh-key and no ssh agent (SSH_AUTH_SOCK is not set)`, 'pass --ssh-key ~/.ssh/id_ed25519, or start ssh-agent and ssh-add your key');
    }
    this.config = {
      host: host.host,
      port: host.port,
      username: host.user,
      ...(host.keyFile ? { privateKey: readFileSync(host.keyFile) } : {}),
      ...(agentSock ? { agent: agentSock } : {}),
      readyTimeout: 10_000,
      // As ssh does: a key other than the listed one is refused; an unlisted host is let through (nothing written).
      hostVerifier: (key: Buffer) => {
        const file = path.join(homedir(), '.ssh', 'known_hosts');
        if (checkHostKey(readKnownHosts(file), host.host, host.port, key.toString('base64')) !== 'mismatch') return true;
        this.hostKeyRefused = file;
        return false;
      },
      // A dropped link shows within ~15 s instead of when TCP gives up.
      keepaliveInterval: 5000,
      keepaliveCountMax: 3,
    };
  }

  /** Called once when a connection in use goes away unexpectedly (not by close()). */
  onDrop(listener: (reason: string) => void): void {
    this.dropListeners.push(listener);
  }

  private connect(): Conn {
    // ssh2 (its wasm and native crypto) loads with the first ssh connection, not with every docker run.
    const { Client: SshClient } = createRequire(import.meta.url)('ssh2') as typeof import('ssh2');
    const client = new SshClient();
    const conn: Conn = { client, open: 0, closed: false, ready: Promise.resolve() };
    conn.ready = new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('error', (err: Error & { level?: string }) => {
        conn.closed = true;
        reject(this.hostKeyRefused ? new Error(`ssh: the server's host key differs from the one ${this.hostKeyRefused} lists for ${this.host.host} (someone else may be answering; if the server was reinstalled, remove its line there)`) : connectError(this.host, err));
      });
    });
    // After the first error the promise is settled; later errors end the connection (close follows).
    client.on('error', (err) => debug('ssh', `${this.host.url}: ${String(err)}`));
    client.on('close', () => {
      const wasUsed = !conn.closed;
      conn.closed = true;
      this.conns = this.conns.filter((c) => c !== conn);
      if (wasUsed && !this.closing && conn.open > 0) for (const l of this.dropListeners) l(`the ssh connection to ${this.host.url} closed with ${conn.open} channel(s) open`);
    });
    client.connect(this.config);
    this.conns.push(conn);
    return conn;
  }

  private async withConn<T>(open: (client: Client) => Promise<T & Duplex>): Promise<T & Duplex> {
    if (this.closing) throw new Error(`ssh to ${this.host.url}: closed`);
    const conn = this.conns.find((c) => !c.closed && c.open < SESSIONS_PER_CONNECTION) ?? this.connect();
    conn.open++;
    try {
      await conn.ready;
      const channel = await open(conn.client);
      let released = false;
      const release = () => {
        if (!released) conn.open--;
        released = true;
      };
      channel.once('close', release);
      return channel;
    } catch (err) {
      conn.open--;
      throw err;
    }
  }

  /** A byte stream to the remote engine's API (`docker system dial-stdio` there). */
  dialEngine(): Promise<ClientChannel> {
    return this.withConn(
      (client) =>
        new Promise<ClientChannel>((resolve, reject) => {
          client.exec('docker system dial-stdio', (err, channel) => {
            if (err) return reject(new EnvironmentError(`ssh ${this.host.url}: cannot run \`docker system dial-stdio\` there (${err.message})`, 'check that the server allows a few sessions per connection (sshd MaxSessions)'));
            let stderr = '';
            channel.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
            channel.once('exit', (code: number | null) => {
              // The docker CLI missing or too old there: the HTTP request would only see "socket hang up".
              if (code && code !== 0) channel.emit('error', new Error(`\`docker system dial-stdio\` on ${this.host.url} exited ${code}: ${stderr.trim().split('\n')[0] || 'no message'} (the server needs the docker CLI 18.09 or later)`));
              // emit, not destroy(err): ssh2's channel.destroy() takes no error.
            });
            resolve(channel);
          });
        }),
    );
  }

  /** A TCP stream to `host:port` as seen from the server (its loopback): not a connection from here to there. */
  forward(host: string, port: number): Promise<ClientChannel> {
    return this.withConn(
      (client) =>
        new Promise<ClientChannel>((resolve, reject) => {
          client.forwardOut('127.0.0.1', 0, host, port, (err, channel) => (err ? reject(new Error(`ssh ${this.host.url}: ${host}:${port} there: ${err.message}`)) : resolve(channel)));
        }),
    );
  }

  /** An http.Agent for dockerode: every request gets a fresh dial-stdio channel. */
  agent(): http.Agent {
    const agent = new http.Agent({ keepAlive: false });
    (agent as unknown as { createConnection: unknown }).createConnection = (_opts: unknown, cb: (err: Error | null, s?: Duplex) => void) => {
      this.dialEngine().then(
        (channel) => cb(null, channel),
        (err: Error) => cb(err),
      );
      return undefined;
    };
    return agent;
  }

  /** Open ssh connections now (for tests of the pool). */
  connections(): number {
    return this.conns.filter((c) => !c.closed).length;
  }

  close(): void {
    this.closing = true;
    for (const c of this.conns) c.client.end();
    this.conns = [];
  }
}

function connectError(host: DockerHost & { kind: 'ssh' }, err: Error & { level?: string }): Error {
  // The caller (requireEngine) puts this in its one line: "cannot reach the Docker engine at URL (ssh: …)".
  if (err.level === 'client-authentication') return new Error(`ssh: the server refused the key for ${host.user} (is it in ~${host.user}/.ssh/authorized_keys there? pass --ssh-key)`);
  return new Error(`ssh: ${err.message}`);
}
