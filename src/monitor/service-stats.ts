/**
 * What the caches are doing, read from the services themselves once a second: Redis's INFO (used memory
 * against maxmemory, evicted and expired keys, keyspace hits) over its own protocol, and PostgreSQL's
 * statistics (buffer hit ratio, shared buffers in use through pg_buffercache, connections, database
 * size) through one long-lived psql. Counters become per-second rates here; a service that does not
 * answer gives empty figures, never made-up ones.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';
import { imageRepo } from '../profile/compose-fields.ts';
import type { Stack } from '../profile/stack.ts';

export interface RedisStats {
  usedMemory: number;
  /** 0 = no maxmemory. */
  maxmemory: number;
  evictedKeys: number;
  expiredKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  keys: number;
}

export interface PostgresStats {
  blksHit: number;
  blksRead: number;
  /** Shared buffers holding a page, and all of them (pg_buffercache); undefined without the extension. */
  buffersUsed?: number;
  buffersTotal?: number;
  /** Client connections (pg_stat_activity, ours excluded). */
  connections: number;
  databaseBytes: number;
}

/** One second's figures as timeseries.csv carries them. */
export interface ServiceStatsRow {
  redisUsedMemory?: number;
  redisMaxmemory?: number;
  redisEvictedPerS?: number;
  redisExpiredPerS?: number;
  redisHitRatio?: number;
  redisKeys?: number;
  pgBufferHitRatio?: number;
  pgSharedBuffersUsed?: number;
  pgSharedBuffersUsedPct?: number;
  pgConnections?: number;
  pgDatabaseBytes?: number;
}

export function parseRedisInfo(text: string): RedisStats | undefined {
  const f = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) f.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  if (!f.has('used_memory')) return undefined;
  const n = (k: string) => Number(f.get(k) ?? 0) || 0;
  // db0:keys=123,expires=120,avg_ttl=...
  let keys = 0;
  for (const [k, v] of f) if (/^db\d+$/.test(k)) keys += Number(/keys=(\d+)/.exec(v)?.[1] ?? 0);
  return {
    usedMemory: n('used_memory'),
    maxmemory: n('maxmemory'),
    evictedKeys: n('evicted_keys'),
    expiredKeys: n('expired_keys'),
    keyspaceHits: n('keyspace_hits'),
    keyspaceMisses: n('keyspace_misses'),
    keys,
  };
}

/** Per-second figures from two readings `dtS` apart (counters that went down: a restart, no rate). */
export function statsRow(prev: { redis?: RedisStats; pg?: PostgresStats } | undefined, cur: { redis?: RedisStats; pg?: PostgresStats }, dtS: number): ServiceStatsRow {
  const row: ServiceStatsRow = {};
  const rate = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b < a || dtS <= 0 ? undefined : (b - a) / dtS);
  if (cur.redis) {
    row.redisUsedMemory = cur.redis.usedMemory;
    row.redisMaxmemory = cur.redis.maxmemory;
    row.redisKeys = cur.redis.keys;
    row.redisEvictedPerS = rate(prev?.redis?.evictedKeys, cur.redis.evictedKeys);
    row.redisExpiredPerS = rate(prev?.redis?.expiredKeys, cur.redis.expiredKeys);
    const hits = rate(prev?.redis?.keyspaceHits, cur.redis.keyspaceHits);
    const misses = rate(prev?.redis?.keyspaceMisses, cur.redis.keyspaceMisses);
    if (hits !== undefined && misses !== undefined && hits + misses > 0) row.redisHitRatio = hits / (hits + misses);
  }
  if (cur.pg) {
    row.pgConnections = cur.pg.connections;
    row.pgDatabaseBytes = cur.pg.databaseBytes;
    if (cur.pg.buffersUsed !== undefined && cur.pg.buffersTotal) {
      row.pgSharedBuffersUsed = cur.pg.buffersUsed * 8192;
      row.pgSharedBuffersUsedPct = (100 * cur.pg.buffersUsed) / cur.pg.buffersTotal;
    }
    const hit = rate(prev?.pg?.blksHit, cur.pg.blksHit);
    const read = rate(prev?.pg?.blksRead, cur.pg.blksRead);
    if (hit !== undefined && read !== undefined && hit + read > 0) row.pgBufferHitRatio = hit / (hit + read);
  }
  return row;
}

/** Redis INFO over a plain TCP connection (RESP inline command); undefined when it does not answer in time. */
export function readRedisInfo(host: string, port: number, timeoutMs = 800, password?: string): Promise<RedisStats | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let buf = '';
    const done = (v: RedisStats | undefined) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(undefined));
    sock.once('error', () => done(undefined));
    sock.once('connect', () => sock.write(`${password ? `AUTH ${password}\r\n` : ''}INFO\r\n`));
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      // A bulk string: $<len>\r\n<payload>\r\n
      const m = /\$(\d+)\r\n/.exec(buf);
      if (m && buf.length >= m.index + m[0].length + Number(m[1])) done(parseRedisInfo(buf.slice(m.index + m[0].length)));
    });
  });
}

const PG_QUERY =
  "SELECT 'S|' || (SELECT coalesce(sum(blks_hit),0) FROM pg_stat_database) || '|' || (SELECT coalesce(sum(blks_read),0) FROM pg_stat_database)" +
  " || '|' || (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid())" +
  " || '|' || pg_database_size(current_database())" +
  " || '|' || coalesce((SELECT count(relfilenode) || '|' || count(*) FROM pg_buffercache), '|');";

export function parsePgLine(line: string): PostgresStats | undefined {
  if (!line.startsWith('S|')) return undefined;
  const [, hit, read, conns, size, used, total] = line.split('|');
  const num = (s: string | undefined) => (s === undefined || s === '' ? undefined : Number(s));
  return {
    blksHit: num(hit) ?? 0,
    blksRead: num(read) ?? 0,
    connections: num(conns) ?? 0,
    databaseBytes: num(size) ?? 0,
    buffersUsed: num(used),
    buffersTotal: num(total),
  };
}

/** One psql kept open; each read sends the query and waits for its one line. */
class PsqlSession {
  private child?: ChildProcess;
  private waiting?: (line: string | undefined) => void;
  private extension = false;

  constructor(private readonly url: string) {}

  private start(): ChildProcess {
    const u = new URL(this.url);
    const child = spawn('psql', ['-AtqX', '-v', 'ON_ERROR_STOP=0', '-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username), '-d', decodeURIComponent(u.pathname.slice(1))], {
      env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password), PGCONNECT_TIMEOUT: '2', PGAPPNAME: 'simulate-monitor' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    readline.createInterface({ input: child.stdout! }).on('line', (l) => {
      if (l.startsWith('S|')) this.resolve(l);
    });
    child.stderr!.on('data', () => undefined);
    child.stdin!.on('error', () => undefined);
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
      this.resolve(undefined);
    });
    return child;
  }

  private resolve(line: string | undefined): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.(line);
  }

  async read(timeoutMs = 800): Promise<PostgresStats | undefined> {
    if (this.waiting) return undefined; // the last read is still out: skip this second
    if (!this.child) {
      this.child = this.start();
      this.extension = false;
    }
    if (!this.extension) {
      // Shared buffers in use come from pg_buffercache (contrib); without it that column stays empty.
      this.child.stdin!.write('CREATE EXTENSION IF NOT EXISTS pg_buffercache;\n');
      this.extension = true;
    }
    const line = await new Promise<string | undefined>((resolve) => {
      const t = setTimeout(() => this.resolve(undefined), timeoutMs);
      this.waiting = (l) => {
        clearTimeout(t);
        resolve(l);
      };
      this.child!.stdin!.write(`${PG_QUERY}\n`);
    });
    return line ? parsePgLine(line) : undefined;
  }

  close(): void {
    this.child?.kill('SIGTERM');
    this.child = undefined;
  }
}

/** The stack's Redis and PostgreSQL, found by image, and how to reach them from the host. */
export function serviceStatsTargets(stack: Stack): { redis?: { host: string; port: number }; pgUrl?: string } {
  const out: { redis?: { host: string; port: number }; pgUrl?: string } = {};
  const redis = stack.services.find((s) => s.launch && s.image && imageRepo(s.image) === 'redis');
  const port = redis?.ports.find((p) => p.container === 6379) ?? redis?.ports[0];
  if (port) out.redis = { host: port.hostIp === '0.0.0.0' ? '127.0.0.1' : port.hostIp, port: port.host };
  const app = stack.services.find((s) => s.name === stack.appService);
  const url = app?.launch?.env.DATABASE_URL ?? app?.environment.DATABASE_URL;
  if (url && /^postgres(ql)?:\/\//.test(url)) out.pgUrl = url;
  return out;
}

export class ServiceStatsPoller {
  private prev?: { at: number; redis?: RedisStats; pg?: PostgresStats };
  private readonly psql?: PsqlSession;
  latest: ServiceStatsRow = {};
  /** The first and last readings (for the run's totals: evicted keys, database size). */
  first?: { redis?: RedisStats; pg?: PostgresStats };
  last?: { redis?: RedisStats; pg?: PostgresStats };

  constructor(private readonly targets: ReturnType<typeof serviceStatsTargets>) {
    if (targets.pgUrl) this.psql = new PsqlSession(targets.pgUrl);
  }

  get enabled(): { redis: boolean; postgres: boolean } {
    return { redis: Boolean(this.targets.redis), postgres: Boolean(this.targets.pgUrl) };
  }

  async poll(): Promise<ServiceStatsRow> {
    const at = Date.now();
    const [redis, pg] = await Promise.all([
      this.targets.redis ? readRedisInfo(this.targets.redis.host, this.targets.redis.port) : undefined,
      this.psql?.read().catch(() => undefined),
    ]);
    const cur = { redis, pg };
    this.latest = statsRow(this.prev, cur, this.prev ? (at - this.prev.at) / 1000 : 0);
    if (redis || pg) {
      this.first ??= { ...cur };
      if (!this.first.redis && redis) this.first.redis = redis;
      if (!this.first.pg && pg) this.first.pg = pg;
      this.last = { redis: redis ?? this.last?.redis, pg: pg ?? this.last?.pg };
    }
    // A service that did not answer this second has no rate next second (no reading to take it from).
    this.prev = { at, redis, pg };
    return this.latest;
  }

  close(): void {
    this.psql?.close();
  }
}
