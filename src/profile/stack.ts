/**
 * The validated model of a profile: what the rest of the tool works with. It is built from a
 * Compose file by `load-profile.ts`; nothing downstream reads YAML.
 */

export type ServiceKind = 'real' | 'standin';
export type RestartPolicy = 'no' | 'always' | 'on-failure' | 'unless-stopped';

export interface Targets {
  /** Average latency at most this (ms). Seed: 60 ms. */
  avgLatencyMs: number;
  /** Sustained completed rate at least this (req/s). Seed: 300 req/s. */
  minRps: number;
  /** p99 strictly below this (ms). Seed: < 1 s. */
  p99Ms: number;
  /** OOM kills allowed. */
  maxOomKills: number;
  /** Bytes of the cap that the stack's working set must never use. Seed: ~800 MB free. */
  minFreeBytes: number;
  /** Cache hit rate at least this (0..1), from the app's /metrics deltas. Seed: 50-70 %. */
  minCacheHitRate: number;
  /** Failed requests at most this share (0..1). */
  maxErrorRate: number;
  /** Growth: the cap must not be reached within this many seconds at the judged working-set slope (unset: no growth target). */
  growthHorizonS?: number;
}

/** How to know a service is up. */
export type ReadyCheck =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'http'; url: string }
  /** A command that exits 0 when the service answers (pg_isready): TCP accepts before PostgreSQL is ready. */
  | { kind: 'command'; argv: string[]; env?: Record<string, string> }
  | { kind: 'none' };

/** One command to run, natively or inside a container. */
export interface Command {
  argv: string[];
  env: Record<string, string>;
  /** Run as this user (postgres refuses root). */
  user?: string;
  cwd?: string;
}

/** How to run a service as a native process (process driver) or what a container runs. */
export interface Launch extends Command {
  /** Run once per data dir before the first start (initdb, ...); each skipped when `unless` exists. */
  init: Array<Command & { unless?: string }>;
  /** Run after the service is ready, once per data dir (CREATE DATABASE, ...). */
  afterReady: Array<Command & { unless?: string; marker?: string }>;
  /** Directories the service writes; created (and chowned to `user`) before start. */
  dataDirs: string[];
  ready: ReadyCheck;
  readyTimeoutMs: number;
  /** What stops it cleanly (Compose `stop_signal`; the postgres image uses SIGINT, a fast shutdown). */
  stopSignal?: NodeJS.Signals;
  /** argv that prints the program's version, for run.json. */
  versionArgv?: string[];
}

/** A stand-in's memory model; every figure names where it came from. */
export interface StandinModel {
  /** Which real service it stands in for: elasticsearch, logstash, kibana, grafana. */
  of: string;
  port: number;
  health: string;
  /** Resident bytes held from start. */
  baselineBytes: number;
  /** Resident bytes added per byte ingested. */
  growthPerByte: number;
  /** Resident bytes it never goes above (it fails like the real one, or stops growing). */
  ceilingBytes: number;
  /** Free-form extra settings the stand-in program understands (forward URL, poll URL, ...). */
  settings: Record<string, string | number>;
  /** Source of each figure, printed in run.json and reports. */
  sources: Record<string, string>;
}

export interface PortMapping {
  host: number;
  container: number;
  hostIp: string;
}

export interface VolumeMount {
  /** `bind` (a host path, resolved) or `volume` (a named volume: a per-run directory). */
  type: 'bind' | 'volume';
  source: string;
  target: string;
  readOnly: boolean;
}

export interface ServiceSpec {
  name: string;
  /** The image a team deploys (postgres:15, redis:7-alpine, ...), if any. */
  image?: string;
  kind: ServiceKind;
  dependsOn: string[];
  restart: RestartPolicy;
  /** Compose `mem_limit`, bytes. */
  memLimit?: number;
  /** The seed's memory budget for this service, bytes (shown against the working set). */
  budgetBytes?: number;
  ports: PortMapping[];
  environment: Record<string, string>;
  command?: string[];
  volumes: VolumeMount[];
  /** How the process driver runs it; absent when it cannot (see `unavailableReason`). */
  launch?: Launch;
  unavailableReason?: string;
  standin?: StandinModel;
}

export interface Stack {
  /** Profile name (`4gb`) or the file's base name. */
  name: string;
  /** Absolute path of the Compose file. */
  file: string;
  /** Directory of the Compose file: relative bind mounts resolve against it. */
  dir: string;
  capBytes: number;
  /** Swap the stack may use inside the cap (0 = none). */
  swapBytes: number;
  /** CPU limit in cores (0 = none). */
  cpus: number;
  targets: Targets;
  /** Default scenario: a name under scenarios/ or a path. */
  scenario: string;
  /** Base URL of the system under test (the app). */
  appUrl: string;
  /** Name of the app service, whose /metrics gives the cache hit rate. */
  appService?: string;
  /** The seed's safety line for the whole stack (3.2 GB of a 4 GB server), bytes. */
  safetyLineBytes: number;
  /** Port of the simulator's own /metrics (stack memory, OOM kills) that the profile's Prometheus scrapes. */
  metricsPort?: number;
  /** Monthly cost of the server this profile is sized for (x-simulate.cost), for capacity reviews. */
  cost?: { monthly: number; currency: string; source?: string };
  /** Services in start order (depends_on first). */
  services: ServiceSpec[];
  /** `--set` overrides this stack was built with, as written (run.json records them). */
  overrides?: string[];
  /** Services of the file left out of this run (`x-simulate.enabled: false`). */
  disabled?: string[];
  /** Size the database is seeded to (kept copy per profile, size and schema), bytes; 0 = the app's small default seed. */
  datasetBytes?: number;
}
