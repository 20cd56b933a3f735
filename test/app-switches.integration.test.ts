/**
 * The app's switches for the seed's claims (CACHE_ENABLED, PAGINATION, DB_INDEXES, EAGER_LOADING), each
 * against real PostgreSQL 15 and Redis: every switch changes the SQL or the cache calls it should, read
 * from the app's own per-query counters (db_query_duration_seconds_count{query}), Redis itself and
 * PostgreSQL's catalogue and plans.
 *
 * The database and Redis come from `simulate up --profile 4gb` (monitoring left out with --set); each
 * variant is a second app process on them with its switch set.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appUnavailableReason, startApp, type AppProcess } from './helpers/app-process.ts';
import { upStack, type TestStack } from './helpers/stack.ts';

const run = promisify(execFile);
const skipReason = process.getuid?.() !== 0 ? 'needs root (simulate up --driver process creates memory cgroups)' : appUnavailableReason();
const REDIS_PORT = '16379';

async function psql(databaseUrl: string, ...commands: string[]): Promise<string> {
  const args = [databaseUrl, '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1'];
  for (const c of commands) args.push('-c', c);
  return (await run('psql', args, { maxBuffer: 16 * 1024 * 1024 })).stdout.trim();
}

async function redis(...args: string[]): Promise<string> {
  return (await run('redis-cli', ['-p', REDIS_PORT, ...args])).stdout.trim();
}

async function getJson(base: string, path: string): Promise<any> {
  const res = await fetch(base + path);
  expect(res.status, path).toBe(200);
  return res.json();
}

/** `db_query_duration_seconds_count` by query name, and the cache counters. */
async function counters(base: string): Promise<{ queries: Record<string, number>; hits: number; misses: number; peak: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const queries: Record<string, number> = {};
  let hits = 0;
  let misses = 0;
  let peak = 0;
  for (const line of text.split('\n')) {
    const q = /^db_query_duration_seconds_count\{query="([^"]+)"\} (\S+)/.exec(line);
    // database_size is /metrics's own query (this very scrape): not the app's work.
    if (q && q[1] !== 'database_size') queries[q[1]!] = Number(q[2]);
    const h = /^cache_(hits|misses)_total\{[^}]*\} (\S+)/.exec(line);
    if (h) (h[1] === 'hits' ? (hits += Number(h[2])) : (misses += Number(h[2])));
    const p = /^db_connections_peak (\S+)/.exec(line);
    if (p) peak = Number(p[1]);
  }
  return { queries, hits, misses, peak };
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

describe.skipIf(!!skipReason)(`app switches against real PostgreSQL + Redis${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let stack: TestStack;
  const apps: AppProcess[] = [];
  let longest = 0;

  const variant = async (env: Record<string, string>, redisDb: string): Promise<AppProcess> => {
    await redis('-n', redisDb, 'FLUSHDB');
    const app = await startApp({ databaseUrl: stack.databaseUrl, env: { REDIS_HOST: '127.0.0.1', REDIS_PORT, REDIS_DB: redisDb, ...env } });
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    stack = await upStack('4gb', {
      extra: ['--set', 'grafana.x-simulate.enabled=false', '--set', 'prometheus.x-simulate.enabled=false', '--set', 'alertmanager.x-simulate.enabled=false'],
    });
    longest = Number(await psql(stack.databaseUrl, 'SELECT conversation_id FROM messages GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1'));
  }, 300_000);

  afterAll(async () => {
    for (const a of apps) await a.stop();
    await stack?.down();
  });

  it('CACHE_ENABLED=false: no Redis call (no key written, no hit or miss counted), every read from PostgreSQL', async () => {
    const on = await variant({}, '5');
    const off = await variant({ CACHE_ENABLED: 'false' }, '6');
    for (const app of [on, off]) {
      for (let i = 0; i < 2; i++) {
        await getJson(app.url, '/users/7');
        await getJson(app.url, `/conversations/${longest}`);
      }
    }
    const cOn = await counters(on.url);
    const cOff = await counters(off.url);
    // On: the first read misses and fills Redis, the second hits it.
    expect(cOn.misses).toBe(2);
    expect(cOn.hits).toBe(2);
    expect(Number(await redis('-n', '5', 'DBSIZE'))).toBe(2);
    expect(cOn.queries.user_by_id).toBe(1);
    // Off: nothing in Redis, no lookups, both reads go to PostgreSQL.
    expect(cOff.misses + cOff.hits).toBe(0);
    expect(Number(await redis('-n', '6', 'DBSIZE'))).toBe(0);
    expect(cOff.queries.user_by_id).toBe(2);
    expect(cOff.queries.conversation_with_user).toBe(2);
    expect((await getJson(off.url, '/health')).redis).toBe('off');
  }, 120_000);

  it('PAGINATION=offset: the same walk (same pages, same opaque cursors in the API) with OFFSET instead of the keyset query', async () => {
    const keyset = await variant({ CACHE_ENABLED: 'false' }, '7');
    const offset = await variant({ CACHE_ENABLED: 'false', PAGINATION: 'offset' }, '8');
    const walk = async (base: string) => {
      const ids: number[] = [];
      let cursor: number | null = null;
      let pages = 0;
      do {
        const body: { messages: Array<{ id: number }>; next_cursor: number | null } = await getJson(base, `/conversations/${longest}/messages?limit=50${cursor === null ? '' : `&cursor=${cursor}`}`);
        ids.push(...body.messages.map((m) => m.id));
        cursor = body.next_cursor;
        pages++;
      } while (cursor !== null && pages < 1000);
      return { ids, pages };
    };
    const before = [(await counters(keyset.url)).queries, (await counters(offset.url)).queries];
    const a = await walk(keyset.url);
    const b = await walk(offset.url);
    const expected = (await psql(stack.databaseUrl, `SELECT id FROM messages WHERE conversation_id = ${longest} ORDER BY id`)).split('\n').map(Number);
    expect(a.ids).toEqual(expected);
    expect(b.ids).toEqual(expected);
    expect(a.pages).toBeGreaterThan(5);
    expect(delta((await counters(keyset.url)).queries, before[0]!)).toEqual({ message_page: a.pages });
    expect(delta((await counters(offset.url)).queries, before[1]!)).toEqual({ message_page_offset: b.pages });
    // What OFFSET costs: the deepest page reads every row before it; the keyset page reads one page.
    const deep = expected.length - 10;
    const plan = await psql(
      stack.databaseUrl,
      `EXPLAIN (ANALYZE, FORMAT JSON) SELECT id, conversation_id, role, content, created_at FROM messages WHERE conversation_id = ${longest} ORDER BY id LIMIT 51 OFFSET ${deep}`,
    );
    const rowsRead = (JSON.parse(plan)[0].Plan.Plans[0]['Actual Rows'] as number);
    expect(rowsRead).toBeGreaterThanOrEqual(deep);
  }, 120_000);

  it('EAGER_LOADING=false: one query per row (N+1) where eager loading sends two', async () => {
    const eager = await variant({ CACHE_ENABLED: 'false' }, '9');
    const lazy = await variant({ CACHE_ENABLED: 'false', EAGER_LOADING: 'false' }, '10');
    const owner = Number(await psql(stack.databaseUrl, 'SELECT user_id FROM conversations GROUP BY 1 HAVING count(*) >= 5 ORDER BY 1 LIMIT 1'));
    const owned = Math.min(20, Number(await psql(stack.databaseUrl, `SELECT count(*) FROM conversations WHERE user_id = ${owner}`)));
    const b0 = [(await counters(eager.url)).queries, (await counters(lazy.url)).queries];
    const e = await getJson(eager.url, `/conversations/${longest}`);
    const l = await getJson(lazy.url, `/conversations/${longest}`);
    expect(l).toEqual(e); // the same answer
    expect(delta((await counters(eager.url)).queries, b0[0]!)).toEqual({ conversation_with_user: 1, conversation_latest_messages: 1 });
    expect(delta((await counters(lazy.url)).queries, b0[1]!)).toEqual({ lazy_conversation: 1, lazy_user: 1, lazy_message_ids: 1, lazy_message: e.messages.length });
    const b1 = [(await counters(eager.url)).queries, (await counters(lazy.url)).queries];
    const se = await getJson(eager.url, `/users/${owner}/conversations`);
    const sl = await getJson(lazy.url, `/users/${owner}/conversations`);
    expect(sl).toEqual(se);
    expect(se.conversations).toHaveLength(owned);
    expect(delta((await counters(eager.url)).queries, b1[0]!)).toEqual({ user_conversations: 1, last_messages: 1 });
    expect(delta((await counters(lazy.url)).queries, b1[1]!)).toEqual({ user_conversations: 1, lazy_last_message: owned });
    expect((await counters(lazy.url)).peak).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('DB_INDEXES=false drops the secondary indexes at start (the page query then scans); true builds them again', async () => {
    const indexes = () => psql(stack.databaseUrl, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE '%\\_idx' ORDER BY 1");
    expect(await indexes()).toContain('messages_conversation_id_id_idx');
    const plan = () =>
      psql(stack.databaseUrl, `EXPLAIN SELECT id, conversation_id, role, content, created_at FROM messages WHERE conversation_id = ${longest} AND id > 0 ORDER BY id LIMIT 51`);
    expect(await plan()).toContain('messages_conversation_id_id_idx');
    const dropped = await variant({ DB_INDEXES: 'false' }, '11');
    expect(await indexes()).toBe('');
    expect(await plan()).not.toContain('messages_conversation_id_id_idx');
    // It still answers (slower), from the same data.
    expect((await getJson(dropped.url, `/conversations/${longest}/messages?limit=5`)).messages).toHaveLength(5);
    await dropped.stop();
    await variant({ DB_INDEXES: 'true' }, '11');
    expect((await indexes()).split('\n')).toEqual(['conversations_user_id_idx', 'documents_user_id_idx', 'messages_conversation_id_id_idx']);
    expect(await plan()).toContain('messages_conversation_id_id_idx');
  }, 120_000);
});
