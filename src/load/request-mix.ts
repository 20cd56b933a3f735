/**
 * Turns a scenario's weighted request list into a picker: each call gives the next request to
 * send (method, concrete path, body) and the endpoint it counts under (method + path template).
 */
import type { Scenario } from './scenario.ts';
import { seededRandom, uniformSampler, zipfSampler, type Sampler } from './id-sampler.ts';

export interface Endpoint {
  /** `GET /conversations/{conversation}`: the key stats are kept under. */
  key: string;
  method: string;
  /** The path template, Locust's Name column. */
  name: string;
}

export interface PlannedRequest {
  endpointIndex: number;
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  /** A write whose 2xx answer names a new row (see the scenario's `ack`): the engine keeps its answer's body. */
  ack?: AckSpec;
  /** A page of a walk (`follow`): the engine hands its response to `observe`. */
  walk?: { entry: number; depth: number; firstPath: string };
}

export interface AckSpec {
  table: string;
  column: string;
  field: string;
}

export interface RequestMix {
  endpoints: Endpoint[];
  next(): PlannedRequest;
  /** The response of a request with `walk`: its next page is queued for a later arrival. */
  observe?(req: PlannedRequest, status: number, body: Buffer): void;
}

/** Walks waiting for their next page, per entry; bounded so a slow server cannot grow it forever. */
const MAX_WAITING_PAGES = 10_000;

export function compileMix(scenario: Scenario): RequestMix {
  const random = seededRandom(scenario.seed);
  const samplers = new Map<string, Sampler>();
  for (const [name, v] of Object.entries(scenario.variables)) {
    samplers.set(name, v.distribution === 'zipf' ? zipfSampler(v.min, v.max, v.s, random) : uniformSampler(v.min, v.max, random));
  }
  let seq = 0;
  const value = (name: string): number => (name === 'seq' ? seq : samplers.get(name)!());

  // Endpoints with the same method and template share stats even if listed twice.
  const endpoints: Endpoint[] = [];
  const indexOf = new Map<string, number>();
  const entries = scenario.requests.map((r) => {
    const key = `${r.method} ${r.path}`;
    if (!indexOf.has(key)) {
      indexOf.set(key, endpoints.length);
      endpoints.push({ key, method: r.method, name: r.path });
    }
    const hasBody = r.body !== undefined;
    return {
      endpointIndex: indexOf.get(key)!,
      method: r.method,
      path: compileTemplate(r.path, value),
      body: hasBody ? compileBody(r.body, value) : undefined,
      headers: hasBody ? { 'content-type': 'application/json', ...r.headers } : r.headers,
      ack: r.ack,
      follow: r.follow,
    };
  });
  // Next pages ready to be asked for, per entry, oldest first: an arrival of a `follow` entry continues
  // a walk when one is waiting, else starts a new one at the first page.
  const waiting: PlannedRequest[][] = entries.map(() => []);
  const total = scenario.requests.reduce((sum, r) => sum + r.weight, 0);
  const cumulative: number[] = [];
  let acc = 0;
  for (const r of scenario.requests) cumulative.push((acc += r.weight / total));

  return {
    endpoints,
    next() {
      seq += 1;
      const u = random();
      let i = 0;
      while (i < cumulative.length - 1 && u >= cumulative[i]!) i++;
      const e = entries[i]!;
      if (e.follow) {
        const next = waiting[i]!.shift();
        if (next) return next;
        const path = e.path();
        return { endpointIndex: e.endpointIndex, method: e.method, path, headers: e.headers, walk: { entry: i, depth: 1, firstPath: path } };
      }
      // No object spread: this runs once a request.
      const req: PlannedRequest = { endpointIndex: e.endpointIndex, method: e.method, path: e.path(), body: e.body?.(), headers: e.headers };
      if (e.ack) req.ack = e.ack;
      return req;
    },
    observe(req, status, body) {
      const walk = req.walk;
      const follow = walk && entries[walk.entry]?.follow;
      if (!walk || !follow || status !== 200 || walk.depth >= follow.pages) return;
      let value: unknown;
      try {
        value = (JSON.parse(body.toString('utf8')) as Record<string, unknown>)[follow.field];
      } catch {
        return; // not JSON: the walk ends here
      }
      if (value === null || value === undefined || typeof value === 'object') return;
      const queue = waiting[walk.entry]!;
      if (queue.length >= MAX_WAITING_PAGES) return;
      const sep = walk.firstPath.includes('?') ? '&' : '?';
      queue.push({
        endpointIndex: req.endpointIndex,
        method: req.method,
        path: `${walk.firstPath}${sep}${encodeURIComponent(follow.param)}=${encodeURIComponent(String(value))}`,
        headers: req.headers,
        walk: { ...walk, depth: walk.depth + 1 },
      });
    },
  };
}

const VAR = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function compileTemplate(template: string, value: (name: string) => number): () => string {
  if (!template.includes('{')) return () => template;
  return () => template.replace(VAR, (_, name: string) => String(value(name)));
}

/** Body templates: `{var}` inside strings is substituted; a string that is only `{var}` becomes a number. */
function compileBody(body: unknown, value: (name: string) => number): () => string {
  const fill = (node: unknown): unknown => {
    if (typeof node === 'string') {
      const only = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(node);
      if (only) return value(only[1]!);
      return node.replace(VAR, (_, name: string) => String(value(name)));
    }
    if (Array.isArray(node)) return node.map(fill);
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fill(v)]));
    return node;
  };
  return () => JSON.stringify(fill(body));
}
