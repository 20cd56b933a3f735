/**
 * The part of the Compose file format that the simulator reads, plus our `x-simulate` extension fields.
 * Unknown keys are allowed everywhere (Compose is large); a known key with the wrong type is an error.
 */
import { z } from 'zod';

const stringOrList = z.union([z.string(), z.array(z.union([z.string(), z.number()]).transform(String))]);
const size = z.union([z.string(), z.number()]);
const seconds = z.number().positive();

/** `environment:` as a map or as a list of `KEY=VALUE`. */
const environment = z.union([
  z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  z.array(z.string()),
]);

const port = z.union([
  z.string(),
  z.number(),
  z.looseObject({
    target: z.number(),
    published: z.union([z.string(), z.number()]).optional(),
    host_ip: z.string().optional(),
  }),
]);

const volume = z.union([
  z.string(),
  z.looseObject({
    type: z.enum(['bind', 'volume', 'tmpfs']).optional(),
    source: z.string().optional(),
    target: z.string(),
    read_only: z.boolean().optional(),
  }),
]);

const readyCheck = z.union([
  z.strictObject({ http: z.string() }),
  z.strictObject({ tcp: z.number().int().positive() }),
  z.strictObject({ command: z.array(z.string()).min(1) }),
]);

/** How to run a service without Docker. */
export const processSchema = z.looseObject({
  command: z.array(z.string()).min(1),
  cwd: z.string().optional(),
  environment: environment.optional(),
  user: z.string().optional(),
  ready: readyCheck.optional(),
  ready_timeout: seconds.optional(),
  version_command: z.array(z.string()).min(1).optional(),
});

export const standinSchema = z.looseObject({
  of: z.enum(['elasticsearch', 'logstash', 'kibana', 'grafana']),
  port: z.number().int().positive().optional(),
  baseline: size.optional(),
  growth_per_byte: z.number().nonnegative().optional(),
  ceiling: size.optional(),
  settings: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  sources: z.record(z.string(), z.string()).optional(),
});

export const serviceExtSchema = z.looseObject({
  /** false: leave the service out of the run (a variant without Grafana, say). */
  enabled: z.boolean().optional(),
  /** The seed's memory budget for this service, shown against its working set. */
  budget: size.optional(),
  process: processSchema.optional(),
  standin: standinSchema.optional(),
});

export const serviceSchema = z.looseObject({
  image: z.string().optional(),
  build: z.unknown().optional(),
  command: stringOrList.optional(),
  entrypoint: stringOrList.optional(),
  environment: environment.optional(),
  env_file: z.unknown().optional(),
  ports: z.array(port).optional(),
  volumes: z.array(volume).optional(),
  depends_on: z
    .union([z.array(z.string()), z.record(z.string(), z.looseObject({ condition: z.string().optional() }))])
    .optional(),
  restart: z.enum(['no', 'always', 'on-failure', 'unless-stopped']).optional(),
  stop_signal: z.string().regex(/^SIG[A-Z0-9]+$/, 'a signal name like SIGINT').optional(),
  mem_limit: size.optional(),
  deploy: z
    .looseObject({
      resources: z
        .looseObject({ limits: z.looseObject({ memory: size.optional() }).optional() })
        .optional(),
    })
    .optional(),
  'x-simulate': serviceExtSchema.optional(),
});

export const targetsSchema = z.strictObject({
  avg_latency_ms: z.number().positive().optional(),
  min_rps: z.number().positive().optional(),
  p99_ms: z.number().positive().optional(),
  max_oom_kills: z.number().int().nonnegative().optional(),
  min_free: size.optional(),
  min_cache_hit_rate: z.number().min(0).max(1).optional(),
  max_error_rate: z.number().min(0).max(1).optional(),
  /** The cap must not be reached within this long at the judged working-set slope, e.g. `7d`, `48h`. */
  growth_horizon: z.union([z.number().positive(), z.string().regex(/^\s*\d+(\.\d+)?\s*(s|m|h|d)\s*$/i, 'a duration like 7d, 48h, 90m')]).optional(),
});

export const stackExtSchema = z.looseObject({
  cap: size.optional(),
  swap: size.optional(),
  cpus: z.number().nonnegative().optional(),
  scenario: z.string().optional(),
  app: z.string().optional(),
  app_url: z.string().url().optional(),
  safety_line: size.optional(),
  metrics_port: z.number().int().positive().max(65535).optional(),
  /** Size of the database the app is seeded to (pg_database_size), e.g. `3g`; `none` for the app's small default. */
  dataset: size.optional(),
  targets: targetsSchema.optional(),
  /** What the server costs a month (capacity reviews): `{ monthly: 400, currency: CNY }`. */
  cost: z.strictObject({ monthly: z.number().nonnegative(), currency: z.string().min(1), source: z.string().optional() }).optional(),
});

export const composeSchema = z.looseObject({
  name: z.string().optional(),
  services: z.record(z.string(), serviceSchema).refine((s) => Object.keys(s).length > 0, 'needs at least one service'),
  volumes: z.record(z.string(), z.unknown().nullable()).optional(),
  'x-simulate': stackExtSchema.optional(),
});

export type ComposeFile = z.infer<typeof composeSchema>;
export type ComposeService = z.infer<typeof serviceSchema>;
export type ProcessExt = z.infer<typeof processSchema>;
export type StandinExt = z.infer<typeof standinSchema>;

/** zod issues as `path: message` lines, one per problem. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(top level)'}: ${issue.message}`);
}
