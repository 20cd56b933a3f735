/**
 * Scenario files (scenarios/*.yaml): stages of arrival rates, a weighted request mix and the id
 * variables its templates draw from. Validated with zod when loaded; every problem becomes one
 * `path: message` line of an InputError.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { faultEntrySchema, messageOf, parseFaultEntry } from '../faults/fault-spec.ts';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
/** Template variables every scenario has without declaring them. */
export const BUILTIN_VARIABLES = ['seq'] as const;

const variableSchema = z.strictObject({
  min: z.number().int(),
  max: z.number().int(),
  distribution: z.enum(['uniform', 'zipf']).default('uniform'),
  /** Zipf exponent: rank k is drawn with weight 1/k^s (rank 1 = `min`). */
  s: z.number().positive().default(1),
  /** Ids over every row of this table when the run has a seeded dataset (`max` becomes its row count). */
  over: z.enum(['users', 'conversations', 'messages', 'documents']).optional(),
}).refine((v) => v.max >= v.min, { message: 'max must be >= min', path: ['max'] });

const rampSchema = z.strictObject({ from: z.number().min(0), to: z.number().min(0) });

/** Seconds as a number, or a string like `90s`, `10m`, `1h`. */
const durationField = z.union([
  z.number().positive(),
  z
    .string()
    .regex(/^\s*\d+(\.\d+)?\s*(s|m|h)?\s*$/i, 'a duration: seconds, or e.g. 90s, 10m, 1h')
    .transform((v) => {
      const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$/i.exec(v)!;
      return Number(m[1]) * ({ s: 1, m: 60, h: 3600 } as Record<string, number>)[(m[2] ?? 's').toLowerCase()]!;
    }),
]);

const stageSchema = z
  .strictObject({
    name: z.string().min(1),
    /** Seconds. With `until: steady`, the bound (default `max`). */
    duration: durationField.optional(),
    /** Fixed arrival rate, requests per second. */
    rate: z.number().min(0).optional(),
    /** Arrival rate going linearly from `from` to `to` over the stage. */
    ramp: rampSchema.optional(),
    /** Excluded from the verdict and the overall figures (warm-up). */
    exclude: z.boolean().default(false),
    /** `steady`: the stage lasts until the stack is at steady state (caches full, figures flat), at most `max`. */
    until: z.literal('steady').optional(),
    /** Upper bound of an `until: steady` stage (seconds or e.g. `10m`). */
    max: durationField.optional(),
  })
  .refine((s) => (s.rate === undefined) !== (s.ramp === undefined), {
    message: 'give exactly one of `rate` or `ramp: {from, to}`',
  })
  .refine((s) => s.until !== undefined || s.duration !== undefined, { message: 'give a `duration` (seconds), or `until: steady` with a `max`', path: ['duration'] })
  .refine((s) => s.until === undefined || s.exclude, { message: '`until: steady` is for a warm-up: set `exclude: true`', path: ['until'] })
  .refine((s) => s.max === undefined || s.until !== undefined, { message: '`max` goes with `until: steady`', path: ['max'] })
  .transform((s) => ({ ...s, duration: s.until ? (s.max ?? s.duration ?? DEFAULT_STEADY_MAX_S) : s.duration! }));

/** How long a warm-up `until: steady` may last when the scenario gives no `max`. */
export const DEFAULT_STEADY_MAX_S = 600;

const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

const requestSchema = z.strictObject({
  /** Weight in the mix (relative). */
  weight: z.number().positive().default(1),
  method: z.enum(METHODS).default('GET'),
  /** Absolute path template, e.g. `/conversations/{conversation}/messages?limit=50`. */
  path: z.string().startsWith('/', { message: 'must start with /' }),
  /** JSON body template: `{var}` inside strings is replaced; a string that is only `{var}` becomes the number. */
  body: jsonValue.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /**
   * A write the app acknowledges: a 2xx answer's JSON field `field` (default `id`) is the key of a new row in
   * `table` (column `column`, default `id`). Every acknowledged write is looked up in the database after the
   * run (src/faults/acknowledged-writes.ts): one that is gone fails the run.
   */
  ack: z
    .strictObject({
      table: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, 'a table name (letters, digits, _; schema.table allowed)'),
      column: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a column name').default('id'),
      field: z.string().min(1).default('id'),
    })
    .optional(),
  /**
   * Page on like a client that scrolls: the response's `field` (e.g. `next_cursor`) is sent back as
   * `param` on a later request of this entry, up to `pages` pages deep, so deep pages are in the mix
   * (open model; the closed model sends first pages only).
   */
  follow: z
    .strictObject({
      field: z.string().min(1).default('next_cursor'),
      param: z.string().min(1).default('cursor'),
      pages: z.number().int().min(1),
    })
    .optional(),
});

export const scenarioSchema = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  /** Cap on requests in flight (open model); a request that cannot start waits for a slot until its deadline. */
  maxInFlight: z.number().int().positive().default(1000),
  /** Request timeout, seconds, counted from the scheduled send time (open model). */
  timeout: z.number().positive().default(10),
  /** Connections for the closed model (autocannon). */
  connections: z.number().int().positive().default(50),
  /** Seed of the id draws, so two runs hit the same ids. */
  seed: z.number().int().default(1),
  variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'variable names are letters, digits, _'), variableSchema).default({}),
  requests: z.array(requestSchema).min(1),
  stages: z.array(stageSchema).min(1),
  /** Faults to inject while the load runs (src/faults/fault-spec.ts): `kill postgres@20s`, ... */
  faults: z.array(faultEntrySchema).default([]),
}).superRefine((sc, ctx) => {
  sc.faults.forEach((f, i) => {
    try {
      parseFaultEntry(f);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['faults', i], message: messageOf(err) });
    }
  });
  const known = new Set<string>([...Object.keys(sc.variables), ...BUILTIN_VARIABLES]);
  sc.stages.forEach((st, i) => {
    if (st.until && i > 0) ctx.addIssue({ code: 'custom', path: ['stages', i, 'until'], message: 'only the first stage can run until steady' });
  });
  sc.requests.forEach((r, i) => {
    for (const v of templateVariables(r.path)) {
      if (!known.has(v)) ctx.addIssue({ code: 'custom', path: ['requests', i, 'path'], message: `unknown variable {${v}}` });
    }
    for (const v of templateVariables(JSON.stringify(r.body ?? null))) {
      if (!known.has(v)) ctx.addIssue({ code: 'custom', path: ['requests', i, 'body'], message: `unknown variable {${v}}` });
    }
  });
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema> & { name: string };
export type Stage = Scenario['stages'][number];
export type RequestSpec = Scenario['requests'][number];
export type VariableSpec = Scenario['variables'][string];

export function templateVariables(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!);
}

/** Arrival rate of a stage at its start and end. */
export function stageRates(stage: Stage): { from: number; to: number } {
  return stage.ramp ? { from: stage.ramp.from, to: stage.ramp.to } : { from: stage.rate!, to: stage.rate! };
}

/** One `path: message` line per problem. */
export function formatIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string[] {
  return issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`);
}

/** Validate an already parsed scenario object; `source` names it in errors. */
export function parseScenario(data: unknown, source: string, fallbackName = 'scenario'): Scenario {
  const parsed = scenarioSchema.safeParse(data);
  if (!parsed.success) {
    throw new InputError(
      `scenario ${source} is invalid:\n${formatIssues(parsed.error.issues).join('\n')}`,
      'fix the lines above (durations in seconds, rates in requests per second)',
    );
  }
  return { ...parsed.data, name: parsed.data.name ?? fallbackName };
}

export const DEFAULT_SCENARIOS_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

/** A name (`steady-300` → `<scenariosDir>/steady-300.yaml`) or a path to a YAML file. */
export async function loadScenario(nameOrPath: string, scenariosDir: string = DEFAULT_SCENARIOS_DIR): Promise<Scenario> {
  const isPath = nameOrPath.includes('/') || nameOrPath.includes(path.sep) || /\.ya?ml$/i.test(nameOrPath);
  const file = isPath ? path.resolve(nameOrPath) : path.join(scenariosDir, `${nameOrPath}.yaml`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const known = await readdir(scenariosDir).then(
      (names) => names.filter((n) => /\.ya?ml$/.test(n)).map((n) => n.replace(/\.ya?ml$/, '')),
      () => [] as string[],
    );
    throw new InputError(`no scenario ${isPath ? file : `named ${nameOrPath}`}`, known.length ? `known scenarios: ${known.join(', ')}` : 'pass a path to a scenario YAML file');
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new InputError(`scenario ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseScenario(data, file, path.basename(file).replace(/\.ya?ml$/i, ''));
}

/** One GET of `url` at a fixed rate: what `simulate --target URL --rate R` runs with no scenario. */
export function simpleScenario(url: string, rate: number, durationS: number): Scenario {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputError(`not a URL: ${url}`, 'give an absolute URL such as http://127.0.0.1:8080/');
  }
  return parseScenario(
    {
      name: `get-${u.host}${u.pathname}`.replace(/\/$/, ''),
      requests: [{ method: 'GET', path: `${u.pathname}${u.search}` }],
      stages: [{ name: 'steady', duration: durationS, rate }],
    },
    `for --target ${url}`,
  );
}

/** The scenario with each `over: TABLE` variable drawn over all rows of that table (ids 1..count). */
export function fitToDataset(scenario: Scenario, rows: Partial<Record<'users' | 'conversations' | 'messages' | 'documents', number>>): Scenario {
  const variables = Object.fromEntries(
    Object.entries(scenario.variables).map(([name, v]) => {
      const n = v.over ? rows[v.over] : undefined;
      return [name, n && n >= v.min ? { ...v, max: n } : v];
    }),
  );
  return { ...scenario, variables };
}
