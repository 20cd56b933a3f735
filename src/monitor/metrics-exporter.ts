/**
 * The simulator's own /metrics, scraped by the profile's Prometheus the way cAdvisor would be: the capped
 * stack's memory and OOM kills as series, so the seed's "memory > 3.2 GB" alert has something to read.
 */
import http from 'node:http';
import type { RunState } from '../model/index.ts';
import { debug } from '../util/debug.ts';

export function renderMetrics(s: RunState): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, samples: Array<[string, number]>, type = 'gauge') => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) lines.push(`${name}${labels} ${v}`);
  };
  const lbl = (svc: { name: string; kind: string }) => `{service="${svc.name}",kind="${svc.kind}"}`;
  gauge('simulate_stack_working_set_bytes', 'Working set (usage minus inactive file cache) of the whole capped stack.', [['', s.stack.workingSet]]);
  gauge('simulate_stack_usage_bytes', 'Memory usage of the capped stack, page cache included.', [['', s.stack.usage]]);
  gauge('simulate_stack_swap_bytes', 'Swap used by the capped stack.', [['', s.stack.swap]]);
  gauge('simulate_stack_limit_bytes', 'The memory cap.', [['', s.capBytes]]);
  gauge('simulate_service_working_set_bytes', 'Working set per service.', s.services.map((v) => [lbl(v), v.memory.workingSet]));
  gauge('simulate_oom_kills_total', 'OOM kills per service in this run.', s.services.map((v) => [lbl(v), v.oomKills]), 'counter');
  gauge('simulate_service_restarts_total', 'Restarts per service in this run.', s.services.map((v) => [lbl(v), v.restarts]), 'counter');
  return `${lines.join('\n')}\n`;
}

export async function startMetricsExporter(port: number, state: () => RunState): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/metrics')) {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(renderMetrics(state()));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

/** Sum of a counter over all its label sets, from Prometheus text. */
export function sumCounter(text: string, name: string): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (m && m[1] === name) total = (total ?? 0) + Number(m[3]);
  }
  return total;
}

/** Sum of a metric over the label sets that `keep` accepts (given the label text `{a="b",...}`). */
export function sumWhere(text: string, name: string, keep: (labels: string) => boolean): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (m && m[1] === name && keep(m[2] ?? '')) total = (total ?? 0) + Number(m[3]);
  }
  return total;
}

export interface AppCounters {
  hits: number;
  misses: number;
  /** PostgreSQL queries the app sent (its own /metrics query left out). */
  queries?: number;
  /** Seconds those queries took, summed. */
  querySeconds?: number;
  /** HTTP requests the app answered (its /metrics and /health left out). */
  requests?: number;
  /** Most connections checked out of the pool at once since the app started. */
  dbConnectionsPeak?: number;
  /** Seconds connections were checked out, summed over every request and worker. */
  connectionSeconds?: number;
  /** When it was read (ms since epoch). */
  at?: number;
}

/** The app's counters now (cache, queries, requests, connections); undefined when /metrics does not answer. */
export async function readCacheCounters(appUrl: string): Promise<AppCounters | undefined> {
  try {
    const res = await fetch(new URL('/metrics', appUrl), { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return undefined;
    const text = await res.text();
    const hits = sumCounter(text, 'cache_hits_total');
    const misses = sumCounter(text, 'cache_misses_total');
    if (hits === undefined || misses === undefined) return undefined;
    const ownQuery = (l: string) => !l.includes('query="database_size"');
    const served = (l: string) => !/route="\/(metrics|health)"/.test(l);
    return {
      hits,
      misses,
      queries: sumWhere(text, 'db_query_duration_seconds_count', ownQuery),
      querySeconds: sumWhere(text, 'db_query_duration_seconds_sum', ownQuery),
      requests: sumWhere(text, 'api_request_duration_seconds_count', served),
      dbConnectionsPeak: sumCounter(text, 'db_connections_peak'),
      connectionSeconds: sumCounter(text, 'db_connection_hold_seconds_total'),
      at: Date.now(),
    };
  } catch (err) {
    // The verdict says "the app did not answer /metrics"; the reason shows under SIMULATE_DEBUG=1.
    debug('monitor', `GET ${appUrl}/metrics: ${String(err)}`);
    return undefined;
  }
}

/** What the app did over the judged stages, from two readings of its counters (null: no honest figure). */
export interface AppFigures {
  cacheLookups: number | null;
  queriesPerRequest: number | null;
  dbQueryAvgMs: number | null;
  /** Peak since the app started (warm-up included): a pool's high-water mark does not go down. */
  dbConnectionsPeak: number | null;
  /** Connections in use on average over the judged stages (connection-seconds / seconds). */
  dbConnectionsAvg: number | null;
}

export function appFigures(before: AppCounters | undefined, after: AppCounters | undefined): AppFigures {
  const d = (k: keyof AppCounters): number | null => {
    const a = after?.[k];
    const b = before?.[k];
    // A counter that went down means the app restarted mid-run: no honest delta then.
    return a === undefined || b === undefined || a < b ? null : a - b;
  };
  const lookups = d('hits') !== null && d('misses') !== null ? d('hits')! + d('misses')! : null;
  const queries = d('queries');
  const requests = d('requests');
  const seconds = d('querySeconds');
  return {
    cacheLookups: lookups,
    queriesPerRequest: queries !== null && requests ? queries / requests : null,
    dbQueryAvgMs: seconds !== null && queries ? (seconds / queries) * 1000 : null,
    dbConnectionsPeak: after?.dbConnectionsPeak ?? null,
    dbConnectionsAvg: d('connectionSeconds') !== null && before?.at && after?.at && after.at > before.at ? d('connectionSeconds')! / ((after.at - before.at) / 1000) : null,
  };
}
