/**
 * The open-model engine against real local HTTP servers (127.0.0.1, port 0).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseScenario, simpleScenario } from './scenario.ts';
import { startLoad } from './start-load.ts';
import { startLocalServer, stallingHandler, type LocalServer } from '../../test/helpers/local-test-server.ts';
import type { LatencySample } from './types.ts';

let server: LocalServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('open-model engine', () => {
  it('a server stalling 2 s every 5 s under a fixed 200 req/s shows p99 near 2 s', async () => {
    server = await startLocalServer(stallingHandler(5000, 2000));
    const open = await startLoad(simpleScenario(server.url, 200, 12), { baseUrl: server.url }).done;
    const p99 = open.overall.aggregate.percentiles['99'];
    expect(open.model).toBe('open');
    expect(p99).toBeGreaterThanOrEqual(1500);
    expect(p99).toBeLessThan(2300);
    // About 2/5 of the arrivals land in a stall and wait for its end: p90 is deep in it too.
    expect(open.overall.aggregate.percentiles['90']).toBeGreaterThan(1000);
    expect(open.overall.aggregate.failures).toBe(0);
  }, 20_000);

  it('the same stalling server under autocannon (closed loop) reports far lower latency', async () => {
    server = await startLocalServer(stallingHandler(5000, 2000));
    // autocannon, closed loop, same server, same rate cap: only the requests already in flight when
    // a stall begins see it, and nothing is sent meanwhile, so most of the distribution looks fast.
    const closed = await startLoad({ ...simpleScenario(server.url, 200, 5), connections: 10 }, { baseUrl: server.url, model: 'closed' }).done;
    expect(closed.model).toBe('closed');
    expect(closed.overall.aggregate.count).toBeGreaterThan(100);
    expect(closed.overall.aggregate.percentiles['90']).toBeLessThan(200);
    // The open run above: p90 > 1000 ms on the same server.
  }, 20_000);

  it('sends rate × duration requests (within 1 %) on time, whatever the server does', async () => {
    server = await startLocalServer((_req, res) => setTimeout(() => res.end('x'.repeat(100)), 5 + Math.random() * 20));
    const started = performance.now();
    const run = startLoad(simpleScenario(server.url, 500, 4), { baseUrl: server.url });
    const seconds: number[] = [];
    run.on('second', (w) => seconds.push(w.scheduled));
    const result = await run.done;
    const elapsed = (performance.now() - started) / 1000;
    const sent = result.seconds.reduce((s, w) => s + w.sent, 0);
    expect(Math.abs(sent - 2000)).toBeLessThanOrEqual(20);
    expect(Math.abs(server.received() - 2000)).toBeLessThanOrEqual(20);
    expect(result.overall.aggregate.count).toBe(2000);
    expect(result.overall.aggregate.ok).toBe(2000);
    // Every full second carried exactly its 500 arrivals.
    expect(seconds.slice(0, 4)).toEqual([500, 500, 500, 500]);
    expect(elapsed).toBeGreaterThan(3.9);
    expect(elapsed).toBeLessThan(5);
    expect(result.overall.aggregate.avgContentSize).toBe(100);
  }, 20_000);

  it('at the in-flight cap, requests wait, then time out (sent) or are dropped (never sent), with the time they waited', async () => {
    server = await startLocalServer(() => {}); // never answers
    const scenario = parseScenario(
      { maxInFlight: 5, timeout: 0.5, requests: [{ path: '/hang' }], stages: [{ name: 'only', duration: 1, rate: 40 }] },
      'test',
    );
    const samples: LatencySample[] = [];
    const run = startLoad(scenario, { baseUrl: server.url });
    run.on('sample', (s) => samples.push(s));
    const { overall, seconds } = await run.done;
    const a = overall.aggregate;
    // 40 arrivals in 1 s, but 5 slots that each free only every 0.5 s: most wait out their deadline in the queue.
    expect(a.count).toBe(40);
    expect(a.ok).toBe(0);
    expect(a.timeouts + a.dropped).toBe(40);
    expect(a.timeouts).toBeGreaterThanOrEqual(5);
    expect(a.dropped).toBeGreaterThanOrEqual(1);
    expect(a.failures).toBe(40);
    expect(a.errors).toBe(a.timeouts);
    expect(server.received()).toBe(a.timeouts);
    // A dropped request waited its whole timeout in the queue; a timed-out one waited for a slot,
    // then the timeout again once sent. Both count from the scheduled time.
    for (const s of samples) {
      expect(s.latencyUs).toBeGreaterThanOrEqual(490_000);
      if (s.outcome === 'dropped') expect(s.latencyUs).toBeLessThan(600_000);
      else expect(s.latencyUs).toBeLessThan(1_100_000);
    }
    expect(samples.filter((s) => s.outcome === 'timeout' && s.latencyUs > 700_000).length).toBeGreaterThan(0);
    expect(seconds.reduce((s, w) => s + w.dropped, 0)).toBe(a.dropped);
  }, 20_000);

  it('counts non-2xx/3xx answers and connection errors as failures', async () => {
    let n = 0;
    server = await startLocalServer((_req, res) => {
      res.statusCode = n++ % 2 ? 500 : 200;
      res.end();
    });
    const result = await startLoad(simpleScenario(server.url, 100, 1), { baseUrl: server.url }).done;
    expect(result.overall.aggregate).toMatchObject({ count: 100, ok: 50, errors: 50, failures: 50, errorRate: 0.5 });
    const { port } = server;
    await server.close();
    server = undefined;
    const refused = await startLoad(simpleScenario(`http://127.0.0.1:${port}/`, 50, 1), { baseUrl: `http://127.0.0.1:${port}/` }).done;
    expect(refused.overall.aggregate).toMatchObject({ count: 50, ok: 0, errors: 50 });
  }, 20_000);

  it('follows stages: events, exclusion, ramp counts; stop() ends early', async () => {
    server = await startLocalServer((_req, res) => res.end('ok'));
    const scenario = parseScenario(
      {
        requests: [{ path: '/a', weight: 3 }, { path: '/b/{id}', method: 'POST', body: { id: '{id}', text: 'n{seq}' } }],
        variables: { id: { min: 1, max: 10 } },
        stages: [
          { name: 'warm', duration: 1, rate: 50, exclude: true },
          { name: 'ramp', duration: 2, ramp: { from: 100, to: 300 } },
        ],
      },
      'test',
    );
    const run = startLoad(scenario, { baseUrl: server.url });
    const stages: string[] = [];
    const ended: string[] = [];
    run.on('stage', (s) => stages.push(`${s.index}/${s.count} ${s.name} ${s.excluded}`));
    run.on('stage-end', (s) => ended.push(s.name));
    const result = await run.done;
    expect(stages).toEqual(['0/2 warm true', '1/2 ramp false']);
    expect(ended).toEqual(['warm', 'ramp']);
    expect(result.stages.map((s) => s.aggregate.count)).toEqual([50, 400]);
    expect(result.overall.aggregate.count).toBe(400);
    expect(result.overall.durationS).toBe(2);
    expect(result.overall.aggregate.rps).toBe(200);
    const post = result.stages[1]!.endpoints.find((e) => e.method === 'POST')!;
    expect(post.name).toBe('/b/{id}');
    expect(post.count / 400).toBeGreaterThan(0.15);
    expect(post.count / 400).toBeLessThan(0.35);

    const controller = new AbortController();
    const long = startLoad(simpleScenario(server.url, 100, 30), { baseUrl: server.url, signal: controller.signal });
    setTimeout(() => controller.abort(), 1200);
    const stopped = await long.done;
    expect(stopped.stopped).toBe(true);
    expect(stopped.elapsedS).toBeLessThan(2);
    expect(stopped.stages[0]!.aggregate.count).toBeGreaterThan(90);
    expect(stopped.stages[0]!.aggregate.count).toBeLessThan(140);
  }, 20_000);

  it('a `follow` request pages on: later arrivals send the next_cursor of pages that came back, up to the depth', async () => {
    const cursors: Array<number | null> = [];
    server = await startLocalServer((req, res) => {
      const cursor = new URL(req.url ?? '/', 'http://x').searchParams.get('cursor');
      const at = cursor === null ? 0 : Number(cursor);
      cursors.push(cursor === null ? null : at);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ messages: [], next_cursor: at + 10 }));
    });
    const scenario = parseScenario(
      { requests: [{ path: '/c/1/messages?limit=10', follow: { pages: 4 } }], stages: [{ name: 's', duration: 2, rate: 50 }] },
      'walk',
    );
    const result = await startLoad(scenario, { baseUrl: server.url }).done;
    expect(result.overall.aggregate.ok).toBe(100);
    // Walks start at the first page and go 10, 20, 30 deep (4 pages), never deeper.
    expect(new Set(cursors)).toEqual(new Set([null, 10, 20, 30]));
    expect(cursors.filter((c) => c === 30).length).toBeGreaterThan(5);
    // One endpoint in the stats, whatever the page.
    expect(result.overall.endpoints.map((e) => e.name)).toEqual(['/c/1/messages?limit=10']);
  }, 20_000);
});
