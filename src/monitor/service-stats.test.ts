import { describe, expect, it } from 'vitest';
import { parsePgLine, parseRedisInfo, statsRow } from './service-stats.ts';

const INFO = (used: number, evicted: number, expired: number, hits: number, misses: number) =>
  `# Memory\r\nused_memory:${used}\r\nused_memory_human:1M\r\nmaxmemory:268435456\r\n# Stats\r\nevicted_keys:${evicted}\r\nexpired_keys:${expired}\r\nkeyspace_hits:${hits}\r\nkeyspace_misses:${misses}\r\n# Keyspace\r\ndb0:keys=1200,expires=1100,avg_ttl=10\r\n`;

describe('service stats', () => {
  it('reads Redis INFO and turns its counters into per-second rates', () => {
    const a = parseRedisInfo(INFO(100, 10, 1, 300, 100))!;
    const b = parseRedisInfo(INFO(268000000, 50, 3, 600, 200))!;
    expect(a).toMatchObject({ usedMemory: 100, maxmemory: 268435456, evictedKeys: 10, keys: 1200 });
    const row = statsRow({ redis: a }, { redis: b }, 2);
    expect(row).toMatchObject({ redisUsedMemory: 268000000, redisMaxmemory: 268435456, redisEvictedPerS: 20, redisExpiredPerS: 1, redisKeys: 1200 });
    expect(row.redisHitRatio).toBeCloseTo(300 / 400);
    expect(parseRedisInfo('-ERR unknown command')).toBeUndefined();
  });

  it('gives no rate for a first reading or a counter that went down (a restart)', () => {
    const a = parseRedisInfo(INFO(100, 50, 1, 300, 100))!;
    const b = parseRedisInfo(INFO(100, 0, 0, 0, 0))!;
    expect(statsRow(undefined, { redis: a }, 0).redisEvictedPerS).toBeUndefined();
    expect(statsRow({ redis: a }, { redis: b }, 1).redisEvictedPerS).toBeUndefined();
  });

  it('reads the PostgreSQL line: buffer hit ratio, shared buffers in use, connections, size', () => {
    const a = parsePgLine('S|1000|100|3|3221225472|16384|32768')!;
    const b = parsePgLine('S|1900|200|5|3221225472|32000|32768')!;
    expect(a).toMatchObject({ blksHit: 1000, blksRead: 100, connections: 3, databaseBytes: 3221225472, buffersUsed: 16384, buffersTotal: 32768 });
    const row = statsRow({ pg: a }, { pg: b }, 1);
    expect(row.pgBufferHitRatio).toBeCloseTo(900 / 1000);
    expect(row.pgSharedBuffersUsedPct).toBeCloseTo((100 * 32000) / 32768);
    expect(row.pgSharedBuffersUsed).toBe(32000 * 8192);
    // Without pg_buffercache the two buffer columns stay empty.
    expect(statsRow(undefined, { pg: parsePgLine('S|1|1|1|1||')! }, 1).pgSharedBuffersUsedPct).toBeUndefined();
    expect(parsePgLine('ERROR: x')).toBeUndefined();
  });
});
