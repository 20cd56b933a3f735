/**
 * The system under test (docker/app) against real PostgreSQL 15 and Redis: every endpoint, the
 * cache, cursor pagination, POST-then-GET, error codes, the metrics, Redis-down fallback, log
 * shipping, and EXPLAIN of the message-page query.
 *
 * The stack comes from `simulate up --profile 4gb` (test/helpers/stack.ts), as a user would start it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_DIR, appUnavailableReason, startApp, type AppProcess } from './helpers/app-process.ts';
import { upStack, type TestStack } from './helpers/stack.ts';

const run = promisify(execFile);

const skipReason = process.getuid?.() !== 0 ? 'needs root (simulate up --driver process creates memory cgroups)' : appUnavailableReason();

/** The 4gb profile's stack, started with the project's own `simulate up`. */
function getStack(): Promise<TestStack> {
  // The app's small default seed: these tests know its rows (conversation 1's long thread, ...).
  return upStack('4gb', { extra: ['--data', 'none'] });
}

// ---- small helpers

async function psql(databaseUrl: string, ...commands: string[]): Promise<string> {
  const args = [databaseUrl, '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1'];
  for (const c of commands) args.push('-c', c);
  const { stdout } = await run('psql', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

async function get(base: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function post(base: string, path: string, body: string, contentType = 'application/json'): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, { method: 'POST', body, headers: { 'content-type': contentType } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

type Samples = Map<string, number>;

/** Prometheus text format → "name{labels}" → value (labels as written by the exporter). */
function parseMetrics(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?)\s+(\S+)/.exec(line);
    if (m) samples.set(m[1]!, Number(m[2]));
  }
  return samples;
}

/** Sum of every sample of `name` whose label set contains all of `labels`. */
function sum(samples: Samples, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const [key, value] of samples) {
    const brace = key.indexOf('{');
    const metric = brace === -1 ? key : key.slice(0, brace);
    if (metric !== name) continue;
    const labelText = brace === -1 ? '' : key.slice(brace);
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) total += value;
  }
  return total;
}

async function scrape(base: string): Promise<Samples> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  return parseMetrics(await res.text());
}

/** The page query exactly as the app sends it, read from docker/app/app/main.py. */
function messagePageSql(): string {
  const source = readFileSync(`${APP_DIR}app/main.py`, 'utf8');
  const m = /MESSAGE_PAGE_SQL = \(\s*((?:"[^"]*"\s*)+)\)/.exec(source);
  if (!m) throw new Error('MESSAGE_PAGE_SQL not found in docker/app/app/main.py');
  return [...m[1]!.matchAll(/"([^"]*)"/g)].map((p) => p[1]).join('');
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

async function walkPages(base: string, conversationId: number, limit: number): Promise<{ ids: number[]; pages: number; maxPage: number }> {
  const ids: number[] = [];
  let cursor: number | null = null;
  let pages = 0;
  let maxPage = 0;
  do {
    const q: string = cursor === null ? `limit=${limit}` : `limit=${limit}&cursor=${cursor}`;
    const { status, body } = await get(base, `/conversations/${conversationId}/messages?${q}`);
    expect(status).toBe(200);
    pages++;
    maxPage = Math.max(maxPage, body.messages.length);
    for (const m of body.messages) {
      expect(m.conversation_id).toBe(conversationId);
      ids.push(m.id);
    }
    cursor = body.next_cursor;
    if (pages > 10_000) throw new Error('pagination does not end');
  } while (cursor !== null);
  return { ids, pages, maxPage };
}

async function dbMessageIds(databaseUrl: string, conversationId: number): Promise<number[]> {
  const out = await psql(databaseUrl, `SELECT id FROM messages WHERE conversation_id = ${conversationId} ORDER BY id`);
  return out ? out.split('\n').map(Number) : [];
}

const MISSING = 999_999_999;

/** Polls Prometheus's targets until the app's (job fastapi) is up, or 90 s pass; the last state seen. */
async function waitForAppScrape(): Promise<{ health: string; lastError: string } | undefined> {
  const deadline = Date.now() + 90_000;
  let app: { health: string; lastError: string } | undefined;
  while (Date.now() < deadline) {
    const t = (await (await fetch('http://127.0.0.1:19090/api/v1/targets')).json()) as { data: { activeTargets: Array<{ labels: { job: string }; health: string; lastError: string }> } };
    app = t.data.activeTargets.find((x) => x.labels.job === 'fastapi');
    if (app?.health === 'up') break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return app;
}

describe.skipIf(!!skipReason)(`app against real PostgreSQL + Redis${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let stack: TestStack;
  let base: string;

  /** Prometheus's first scrape of the app (its health and last error), waited for from the moment the stack is up. */
  let firstAppScrape: Promise<{ health: string; lastError: string } | undefined>;

  beforeAll(async () => {
    stack = await getStack();
    base = stack.appUrl;
    // The app is scraped every 60 s (the seed's setting), and the first scrape comes anywhere in that
    // minute: wait for it while the other tests run (the test that reads it is the last of this file).
    firstAppScrape = waitForAppScrape();
    firstAppScrape.catch(() => {}); // read (and failed on) by that test
  });

  afterAll(async () => {
    await stack?.down();
  });

  it('GET /health reports the database and Redis up', async () => {
    const { status, body } = await get(base, '/health');
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', database: 'ok', redis: 'ok' });
  });

  it('created the schema, its indexes and exactly one seed', async () => {
    const marker = await psql(stack.databaseUrl, 'SELECT count(*), min(users), min(conversations), min(messages), min(documents) FROM seed_marker');
    const [count, users, conversations, messages, documents] = marker.split('|').map(Number);
    expect(count).toBe(1);
    expect(users).toBeGreaterThan(0);
    const counts = await psql(stack.databaseUrl, 'SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM conversations), (SELECT count(*) FROM documents), (SELECT count(*) FROM messages)');
    const [u, c, d, msgs] = counts.split('|').map(Number);
    expect([u, c, d]).toEqual([users, conversations, documents]);
    expect(msgs).toBeGreaterThanOrEqual(messages!); // tests POST more
    const indexes = await psql(stack.databaseUrl, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'");
    expect(indexes.split('\n')).toEqual(expect.arrayContaining(['messages_conversation_id_id_idx', 'conversations_user_id_idx']));
    const fks = await psql(stack.databaseUrl, "SELECT conrelid::regclass || '->' || confrelid::regclass FROM pg_constraint WHERE contype = 'f' ORDER BY 1");
    expect(fks.split('\n')).toEqual(expect.arrayContaining(['conversations->users', 'messages->conversations', 'documents->users']));
  });

  it('GET /users/{id}: the user, and a second identical GET is a cache hit', async () => {
    const first = await get(base, '/users/3');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: 3, username: 'user3' });
    const before = await scrape(base);
    const second = await get(base, '/users/3');
    expect(second.body).toEqual(first.body);
    const after = await scrape(base);
    expect(sum(after, 'cache_hits_total', { cache: 'user' }) - sum(before, 'cache_hits_total', { cache: 'user' })).toBe(1);
    expect(sum(after, 'cache_misses_total', { cache: 'user' })).toBe(sum(before, 'cache_misses_total', { cache: 'user' }));
  });

  it('GET /documents/{id}: a few KB of content, cached', async () => {
    const first = await get(base, '/documents/7');
    expect(first.status).toBe(200);
    expect(first.body.id).toBe(7);
    expect(first.body.content.length).toBeGreaterThan(1000);
    const before = await scrape(base);
    await get(base, '/documents/7');
    const after = await scrape(base);
    expect(sum(after, 'cache_hits_total', { cache: 'document' }) - sum(before, 'cache_hits_total', { cache: 'document' })).toBe(1);
  });

  it('GET /conversations/{id}: user and latest 20 messages in 2 queries (no N+1), then cached', async () => {
    const id = Number(await psql(stack.databaseUrl, 'SELECT conversation_id FROM messages GROUP BY 1 HAVING count(*) > 40 ORDER BY 1 DESC LIMIT 1'));
    // A POST invalidates the entry, so the next GET is a miss whatever ran before.
    expect((await post(base, `/conversations/${id}/messages`, JSON.stringify({ role: 'user', content: 'make it a miss' }))).status).toBe(201);
    const before = await scrape(base);
    const { status, body } = await get(base, `/conversations/${id}`);
    const after = await scrape(base);
    expect(status).toBe(200);
    const queries = sum(after, 'db_query_duration_seconds_count') - sum(after, 'db_query_duration_seconds_count', { query: 'database_size' })
      - (sum(before, 'db_query_duration_seconds_count') - sum(before, 'db_query_duration_seconds_count', { query: 'database_size' }));
    expect(queries).toBe(2);
    expect(sum(after, 'cache_misses_total', { cache: 'conversation' }) - sum(before, 'cache_misses_total', { cache: 'conversation' })).toBe(1);

    const owner = Number(await psql(stack.databaseUrl, `SELECT user_id FROM conversations WHERE id = ${id}`));
    expect(body.id).toBe(id);
    expect(body.user).toMatchObject({ id: owner, username: `user${owner}` });
    const latest = (await dbMessageIds(stack.databaseUrl, id)).slice(-20);
    expect(body.messages.map((m: { id: number }) => m.id)).toEqual(latest);

    const hitsBefore = sum(after, 'cache_hits_total', { cache: 'conversation' });
    expect((await get(base, `/conversations/${id}`)).body).toEqual(body);
    expect(sum(await scrape(base), 'cache_hits_total', { cache: 'conversation' })).toBe(hitsBefore + 1);
  });

  it('GET /conversations/{id}/messages: following next_cursor covers the conversation, no repeats or gaps', async () => {
    // The longest conversation (the seed skews lengths), in pages of 200, and a mid-sized one in
    // small pages; both compared with PostgreSQL's own list.
    const longest = Number(await psql(stack.databaseUrl, 'SELECT conversation_id FROM messages GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1'));
    const expected = await dbMessageIds(stack.databaseUrl, longest);
    expect(expected.length).toBeGreaterThan(400);
    const walk = await walkPages(base, longest, 200);
    expect(walk.ids).toEqual(expected);
    expect(new Set(walk.ids).size).toBe(walk.ids.length);
    expect(walk.maxPage).toBe(200);
    expect(walk.pages).toBe(Math.floor(expected.length / 200) + 1);

    const mid = Number(await psql(stack.databaseUrl, 'SELECT conversation_id FROM messages GROUP BY 1 HAVING count(*) BETWEEN 25 AND 60 ORDER BY 1 LIMIT 1'));
    const small = await walkPages(base, mid, 7);
    expect(small.ids).toEqual(await dbMessageIds(stack.databaseUrl, mid));
    expect(small.maxPage).toBe(7);
  });

  it('GET /conversations/{id}/messages: limit defaults to 50, is capped at 200, and pages are cached', async () => {
    const longest = Number(await psql(stack.databaseUrl, 'SELECT conversation_id FROM messages GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1'));
    const byDefault = await get(base, `/conversations/${longest}/messages`);
    expect(byDefault.body.limit).toBe(50);
    expect(byDefault.body.messages).toHaveLength(50);
    expect(byDefault.body.next_cursor).toBe(byDefault.body.messages[49].id);
    const capped = await get(base, `/conversations/${longest}/messages?limit=100000`);
    expect(capped.status).toBe(200);
    expect(capped.body.limit).toBe(200);
    expect(capped.body.messages).toHaveLength(200);
    const pastEnd = await get(base, `/conversations/${longest}/messages?cursor=9223372036854775000`);
    expect(pastEnd.body).toMatchObject({ messages: [], next_cursor: null });

    const before = await scrape(base);
    await get(base, `/conversations/${longest}/messages`);
    const after = await scrape(base);
    expect(sum(after, 'cache_hits_total', { cache: 'messages' }) - sum(before, 'cache_hits_total', { cache: 'messages' })).toBe(1);
  });

  it('POST /conversations/{id}/messages then GET shows the new message (stale cache entries dropped)', async () => {
    const id = Number(await psql(stack.databaseUrl, 'SELECT conversation_id FROM messages GROUP BY 1 HAVING count(*) BETWEEN 5 AND 30 ORDER BY 1 LIMIT 1'));
    // Fill the cache first: the POST must invalidate these entries.
    await get(base, `/conversations/${id}`);
    const pagesBefore = await walkPages(base, id, 10);
    await walkPages(base, id, 10); // now every page is a cache hit

    const content = `hello from the integration test ${Date.now()} — ünïcode ✓`;
    const created = await post(base, `/conversations/${id}/messages`, JSON.stringify({ role: 'assistant', content }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ conversation_id: id, role: 'assistant', content });
    expect(created.body.id).toBeGreaterThan(Math.max(...pagesBefore.ids));

    const conversation = await get(base, `/conversations/${id}`);
    expect(conversation.body.messages.at(-1)).toMatchObject({ id: created.body.id, content });
    const pagesAfter = await walkPages(base, id, 10);
    expect(pagesAfter.ids).toEqual([...pagesBefore.ids, created.body.id]);
    expect(await psql(stack.databaseUrl, `SELECT content FROM messages WHERE id = ${created.body.id}`)).toBe(content);
  });

  it('unknown ids give 404 with a message', async () => {
    for (const path of [`/users/${MISSING}`, `/conversations/${MISSING}`, `/conversations/${MISSING}/messages`, `/documents/${MISSING}`, '/no/such/route']) {
      const { status, body } = await get(base, path);
      expect(status, path).toBe(404);
      expect(typeof body.message, path).toBe('string');
    }
    const { status, body } = await post(base, `/conversations/${MISSING}/messages`, JSON.stringify({ role: 'user', content: 'x' }));
    expect(status).toBe(404);
    expect(body.message).toMatch(/not found/);
  });

  it('malformed input gives 422 with a message, never 500', async () => {
    const gets = ['/users/abc', '/users/0', '/users/-1', '/users/99999999999999999999', '/documents/1.5',
      '/conversations/x', '/conversations/1/messages?cursor=abc', '/conversations/1/messages?cursor=-1',
      '/conversations/1/messages?limit=0', '/conversations/1/messages?limit=ten', '/conversations/1/messages?cursor=99999999999999999999'];
    for (const path of gets) {
      const { status, body } = await get(base, path);
      expect(status, path).toBe(422);
      expect(body.message, path).toMatch(/^invalid request: /);
    }
    const bodies: Array<[string, string?]> = [
      ['{"role":"user"}'], ['{"content":"hi"}'], ['{"role":"robot","content":"hi"}'], ['{"role":"user","content":""}'],
      ['{"role":"user","content":"   "}'], ['{"role":"user","content":"a\\u0000b"}'], ['{"role":'], ['[]'], ['null'],
      ['{"role":"user","content":42}'], ['role=user&content=hi', 'application/x-www-form-urlencoded'], ['plain text', 'text/plain'],
    ];
    for (const [body, type] of bodies) {
      const res = await post(base, '/conversations/1/messages', body, type);
      expect(res.status, body).toBe(422);
      expect(res.body.message, body).toMatch(/^invalid request: /);
    }
    const badId = await post(base, '/conversations/abc/messages', '{"role":"user","content":"x"}');
    expect(badId.status).toBe(422);
  });

  it('GET /metrics exposes the seed metric names with route templates', async () => {
    await get(base, '/conversations/2');
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const name of ['cache_hits_total', 'cache_misses_total', 'cache_errors_total', 'db_query_duration_seconds_bucket',
      'api_request_duration_seconds_bucket', 'process_resident_memory_bytes', 'postgresql_database_size', 'db_connections']) {
      expect(text, name).toMatch(new RegExp(`^${name}[{ ]`, 'm'));
    }
    const samples = parseMetrics(text);
    expect(sum(samples, 'api_request_duration_seconds_count', { route: '/conversations/{id}', status: '200' })).toBeGreaterThan(0);
    expect(sum(samples, 'api_request_duration_seconds_count', { route: '/conversations/{id}/messages', status: '422' })).toBeGreaterThan(0);
    // No raw paths as labels: unmatched URLs share one series.
    expect([...samples.keys()].some((k) => k.includes('route="/conversations/2"'))).toBe(false);
    expect(sum(samples, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    const dbSize = Number(await psql(stack.databaseUrl, 'SELECT pg_database_size(current_database())'));
    expect(sum(samples, 'postgresql_database_size')).toBeGreaterThan(dbSize * 0.5);
    expect(sum(samples, 'postgresql_database_size')).toBeLessThan(dbSize * 2);
    // PostgreSQL's own count (pg_stat_activity), not the pool's: every worker's open connections are in it.
    const conns = Number(await psql(stack.databaseUrl, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"));
    expect(sum(samples, 'db_connections')).toBeGreaterThanOrEqual(2);
    expect(Math.abs(sum(samples, 'db_connections') - conns)).toBeLessThanOrEqual(3);
  });

  it('EXPLAIN of the message-page and latest-messages queries uses the (conversation_id, id) index', async () => {
    const sql = messagePageSql();
    expect(sql).toMatch(/id > \$2 ORDER BY id LIMIT \$3/);
    expect(sql).not.toMatch(/OFFSET/i);
    const longest = Number(await psql(stack.databaseUrl, 'SELECT conversation_id FROM messages GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1'));
    // The app runs it as a prepared statement: check the custom and the generic plan.
    for (const mode of ['force_custom_plan', 'force_generic_plan']) {
      for (const [cursor, conversation] of [[0, longest], [0, 5000], [1000, longest]]) {
        const out = await psql(stack.databaseUrl, `SET plan_cache_mode = ${mode}`, `PREPARE page(bigint, bigint, int) AS ${sql}`,
          `EXPLAIN (FORMAT JSON) EXECUTE page(${conversation}, ${cursor}, 51)`);
        const plan = JSON.parse(out)[0].Plan as PlanNode;
        const nodes = planNodes(plan);
        const where = `${mode} conversation ${conversation} cursor ${cursor}: ${JSON.stringify(plan)}`;
        expect(nodes.some((n) => n['Index Name'] === 'messages_conversation_id_id_idx'), where).toBe(true);
        expect(nodes.some((n) => n['Node Type'] === 'Seq Scan'), where).toBe(false);
        // A few rows may be fetched by bitmap scan and sorted (cheapest for tiny threads); a long
        // thread must be read in index order, never sorted.
        if (conversation === longest) expect(nodes.some((n) => n['Node Type'] === 'Sort'), where).toBe(false);
      }
    }
    const latest = await psql(stack.databaseUrl, 'PREPARE latest(bigint, int) AS SELECT id, conversation_id, role, content, created_at FROM messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT $2',
      `EXPLAIN (FORMAT JSON) EXECUTE latest(${longest}, 20)`);
    expect(planNodes(JSON.parse(latest)[0].Plan).some((n) => n['Index Name'] === 'messages_conversation_id_id_idx')).toBe(true);
  });

  describe('a second app instance with Redis unreachable and LOG_SHIP_URL set', () => {
    let app: AppProcess;
    let receiver: Server;
    const shipped: Array<{ contentType: string | undefined; lines: string[] }> = [];

    beforeAll(async () => {
      receiver = createServer((req, res) => {
        let body = '';
        req.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => {
          shipped.push({ contentType: req.headers['content-type'], lines: body.split('\n').filter(Boolean) });
          res.writeHead(200).end('ok');
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const address = receiver.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      app = await startApp({
        databaseUrl: stack.databaseUrl,
        // Port 1 on loopback refuses connections: Redis is "down" from the first request.
        env: { REDIS_HOST: '127.0.0.1', REDIS_PORT: '1', LOG_SHIP_URL: `http://127.0.0.1:${port}/ingest`, LOG_SHIP_INTERVAL: '0.2' },
      });
    });

    afterAll(async () => {
      await app?.stop();
      await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    });

    it('answers every read from PostgreSQL and counts the Redis failures', async () => {
      const health = await get(app.url, '/health');
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ database: 'ok', redis: 'down' });
      for (const path of ['/users/5', '/users/5', '/documents/5', '/conversations/5', '/conversations/5/messages?limit=5']) {
        const started = performance.now();
        const res = await get(app.url, path);
        expect(res.status, path).toBe(200);
        expect(performance.now() - started, path).toBeLessThan(1000);
      }
      expect((await get(app.url, `/users/${MISSING}`)).status).toBe(404);
      const posted = await post(app.url, '/conversations/5/messages', JSON.stringify({ role: 'user', content: 'redis is down' }));
      expect(posted.status).toBe(201);
      expect((await get(app.url, '/conversations/5')).body.messages.at(-1).id).toBe(posted.body.id);
      const samples = await scrape(app.url);
      expect(sum(samples, 'cache_errors_total')).toBeGreaterThan(0);
      expect(sum(samples, 'cache_hits_total')).toBe(0);
    });

    it('writes one JSON access-log line per request on stdout and ships them as NDJSON', async () => {
      const marker = `/users/4?probe=${Date.now()}`;
      await get(app.url, marker);
      const deadline = Date.now() + 5000;
      const shippedLines = () => shipped.flatMap((b) => b.lines);
      while (Date.now() < deadline && !shippedLines().some((l) => l.includes('probe='))) await new Promise((r) => setTimeout(r, 100));

      const stdoutLines = app.stdout().split('\n').filter(Boolean);
      const entries = stdoutLines.map((l) => JSON.parse(l));
      const probe = entries.find((e) => e.query?.startsWith('probe='));
      expect(probe).toMatchObject({ method: 'GET', path: '/users/4', route: '/users/{id}', status: 200 });
      expect(typeof probe.duration_ms).toBe('number');
      expect(entries.some((e) => e.status === 404 && e.route === '/users/{id}')).toBe(true);

      expect(shippedLines().some((l) => l.includes('probe='))).toBe(true);
      expect(shipped[0]!.contentType).toBe('application/x-ndjson');
      for (const line of shippedLines()) expect(() => JSON.parse(line)).not.toThrow();
      const samples = await scrape(app.url);
      expect(sum(samples, 'log_ship_lines_total')).toBeGreaterThan(0);
      expect(sum(samples, 'log_ship_failures_total')).toBe(0);
    });
  });

  it("the stack's Prometheus loads the ten alert rules and scrapes the app", async () => {
    const prom = 'http://127.0.0.1:19090';
    const rules = (await (await fetch(`${prom}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> } };
    const all = rules.data.groups.flatMap((g) => g.rules);
    expect(all.map((r) => r.name)).toEqual(expect.arrayContaining(['ServiceDown', 'HighMemoryUsage', 'HighAPILatency', 'LowCacheHitRate', 'StackMemoryHigh', 'DBConnectionsHigh']));
    expect(all).toHaveLength(10);
    expect(all.filter((r) => r.health === 'err')).toEqual([]);
    const app = await firstAppScrape;
    expect(app?.health, app?.lastError).toBe('up');
  }, 120_000);
});
