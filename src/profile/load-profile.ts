/**
 * Compose file → validated Stack. A profile is `docker/<name>.yml` or a path. Every problem becomes one
 * `path: message` line; all of them are reported at once (exit 2).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { InputError } from '../errors.ts';
import { composeSchema, formatIssues, type ComposeFile, type ComposeService } from './compose-schema.ts';
import { imageRepo, normaliseCommand, normaliseEnvironment, parsePort, parseVolume } from './compose-fields.ts';
import { GiB, MiB, parseSize } from './sizes.ts';
import { parseDataSize } from '../dataset/data-size.ts';
import type { Launch, PortMapping, ServiceSpec, Stack, Targets, VolumeMount } from './stack.ts';
import { WELL_KNOWN } from './well-known/index.ts';
import { standinLaunch } from './standin-launch.ts';
import { sortByDependencies } from './depends-on.ts';
import { applyOverrides, overrideFor, parseOverride } from './overrides.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
// The compiled build (node_modules/.cache/simulate) links docker/ back to the checkout: resolve the link so
// messages and run.json name the checkout's docker/4gb.yml, the file a user edits.
export const PROFILES_DIR = realDir(path.join(REPO_ROOT, 'docker'));

function realDir(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir; // not there yet: resolveProfilePath says which profile is missing
  }
}

/** The seed's targets: average 60 ms, 300 req/s, p99 < 1 s, ~800 MB left free, cache hit 50-70 %. */
export const SEED_TARGETS: Targets = {
  avgLatencyMs: 60,
  minRps: 300,
  p99Ms: 1000,
  maxOomKills: 0,
  minFreeBytes: 800 * 1000 * 1000,
  minCacheHitRate: 0.5,
  maxErrorRate: 0.01,
};

export interface LoadOptions {
  /** The run's scratch dir: named volumes and data dirs live under it. */
  workDir?: string;
  cap?: string;
  swap?: string;
  cpus?: number;
  /** `--set SERVICE.PATH=VALUE`, applied to the Compose document before it is validated. */
  overrides?: string[];
  /** `--data SIZE` (or `none`): overrides x-simulate.dataset. */
  data?: string;
}

/** `4gb` → docker/4gb.yml; anything with a slash or a .yml/.yaml ending is a path. */
export function resolveProfilePath(profile: string): string {
  const looksLikePath = profile.includes('/') || /\.ya?ml$/.test(profile);
  const file = looksLikePath ? path.resolve(profile) : path.join(PROFILES_DIR, `${profile}.yml`);
  if (!fs.existsSync(file)) {
    if (looksLikePath) throw new InputError(`profile file ${profile} does not exist`, 'pass an existing Compose file, e.g. --profile ./docker-compose.yml');
    throw new InputError(`unknown profile "${profile}"`, `use one of: ${listProfiles().join(', ')}, or a path to a Compose file`);
  }
  return file;
}

export function listProfiles(): string[] {
  return fs
    .readdirSync(PROFILES_DIR)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => f.replace(/\.yml$/, ''))
    .sort();
}

export function loadProfile(profile: string, opts: LoadOptions = {}): Stack {
  const file = resolveProfilePath(profile);
  return parseProfile(fs.readFileSync(file, 'utf8'), file, opts);
}

export function parseProfile(text: string, file: string, opts: LoadOptions = {}): Stack {
  // A bad flag is the flag's problem, not the profile's.
  for (const [flag, value] of [['--cap', opts.cap], ['--swap', opts.swap]] as const) {
    const r = value === undefined ? undefined : parseSize(value);
    if (r && 'error' in r) throw new InputError(`${flag}: ${r.error}`, `e.g. ${flag} ${flag === '--cap' ? '4g' : '2g'}`);
  }
  if (opts.data !== undefined) parseDataSize(opts.data, '--data');
  const rel = path.relative(process.cwd(), file) || file;
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const where = e.linePos?.[0] ? `${rel}:${e.linePos[0].line}:${e.linePos[0].col}` : rel;
    throw new InputError(`${where}: malformed YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`, 'fix the YAML syntax at that line');
  }
  const overrides = (opts.overrides ?? []).map(parseOverride);
  const js: unknown = doc.toJS();
  applyOverrides(js, overrides, rel);
  const parsed = composeSchema.safeParse(js);
  if (!parsed.success) {
    const lines = formatIssues(parsed.error).map((l, i) => {
      const o = overrideFor(parsed.error.issues[i]!.path, overrides);
      return `  ${l}${o ? ` (from --set ${o.raw})` : ''}`;
    });
    const fromSet = lines.every((l) => l.includes('(from --set'));
    throw new InputError(
      fromSet && lines.length === 1 ? `--set: ${lines[0]!.trim()}` : `${rel} is not a valid profile\n${lines.join('\n')}`,
      fromSet ? 'give the field a value of the type the profile uses' : 'fix the fields listed below',
    );
  }
  const problems: string[] = [];
  const stack = buildStack(parsed.data, file, opts, problems);
  if (problems.length) {
    throw new InputError(`${rel} is not a valid profile\n${problems.map((l) => `  ${l}`).join('\n')}`, 'fix the fields listed below');
  }
  return stack;
}

function size(value: string | number | undefined, where: string, problems: string[], fallback: number): number {
  if (value === undefined) return fallback;
  const r = parseSize(value);
  if ('error' in r) {
    problems.push(`${where}: ${r.error}`);
    return fallback;
  }
  return r.bytes;
}

function buildStack(compose: ComposeFile, file: string, opts: LoadOptions, problems: string[]): Stack {
  const ext = compose['x-simulate'] ?? {};
  const dir = path.dirname(file);
  const name = path.basename(file).replace(/\.ya?ml$/, '');
  const workDir = opts.workDir ?? path.join('/var/tmp/simulate', 'unresolved');
  const capBytes = opts.cap !== undefined ? size(opts.cap, '--cap', problems, 0) : size(ext.cap, 'x-simulate.cap', problems, 4 * GiB);
  const swapBytes = opts.swap !== undefined ? size(opts.swap, '--swap', problems, 0) : size(ext.swap, 'x-simulate.swap', problems, 0);
  if (capBytes > 0 && capBytes < 16 * MiB) problems.push(`${opts.cap !== undefined ? '--cap' : 'x-simulate.cap'}: ${capBytes} bytes is too small for a stack (at least 16m)`);
  const t = ext.targets ?? {};
  const targets: Targets = {
    avgLatencyMs: t.avg_latency_ms ?? SEED_TARGETS.avgLatencyMs,
    minRps: t.min_rps ?? SEED_TARGETS.minRps,
    p99Ms: t.p99_ms ?? SEED_TARGETS.p99Ms,
    maxOomKills: t.max_oom_kills ?? SEED_TARGETS.maxOomKills,
    minFreeBytes: size(t.min_free, 'x-simulate.targets.min_free', problems, SEED_TARGETS.minFreeBytes),
    minCacheHitRate: t.min_cache_hit_rate ?? SEED_TARGETS.minCacheHitRate,
    maxErrorRate: t.max_error_rate ?? SEED_TARGETS.maxErrorRate,
    ...(t.growth_horizon !== undefined ? { growthHorizonS: horizonSeconds(t.growth_horizon) } : {}),
  };

  const services: ServiceSpec[] = [];
  // `x-simulate.enabled: false` (usually from `--set grafana.x-simulate.enabled=false`): the service is
  // left out of this run, and depending on it is no longer waiting for it.
  const disabled = Object.entries(compose.services).filter(([, svc]) => svc['x-simulate']?.enabled === false).map(([n]) => n);
  for (const [svcName, svc] of Object.entries(compose.services)) {
    if (disabled.includes(svcName)) continue;
    services.push(buildService(svcName, svc, dir, workDir, capBytes, problems));
  }
  const names = new Set(services.map((s) => s.name));
  for (const s of services) {
    s.dependsOn = s.dependsOn.filter((d) => !disabled.includes(d));
    for (const d of s.dependsOn) if (!names.has(d)) problems.push(`services.${s.name}.depends_on: unknown service "${d}"`);
  }
  checkPortClashes(services, problems);
  const ordered = sortByDependencies(services, problems);

  const appService = ext.app ?? (names.has('app') ? 'app' : undefined);
  if (ext.app && !names.has(ext.app)) problems.push(`x-simulate.app: unknown service "${ext.app}"`);
  const app = services.find((s) => s.name === appService);
  const appPort = app?.ports[0];
  const appUrl = ext.app_url ?? (appPort ? `http://${appPort.hostIp}:${appPort.host}` : 'http://127.0.0.1:8000');

  return {
    name,
    file,
    dir,
    capBytes,
    swapBytes,
    ...(ext.cost ? { cost: ext.cost } : {}),
    cpus: opts.cpus ?? ext.cpus ?? 0,
    targets,
    scenario: ext.scenario ?? 'steady-300',
    appUrl,
    appService,
    safetyLineBytes: size(ext.safety_line, 'x-simulate.safety_line', problems, Math.round(capBytes * 0.8)),
    metricsPort: ext.metrics_port,
    services: ordered,
    overrides: opts.overrides ?? [],
    disabled,
    datasetBytes: datasetBytes(opts.data !== undefined ? opts.data : ext.dataset, opts.data !== undefined ? '--data' : 'x-simulate.dataset', problems),
  };
}

function buildService(name: string, svc: ComposeService, composeDir: string, workDir: string, capBytes: number, problems: string[]): ServiceSpec {
  const at = `services.${name}`;
  const ext = svc['x-simulate'] ?? {};
  const environment = normaliseEnvironment(svc.environment);
  const ports: PortMapping[] = [];
  (svc.ports ?? []).forEach((p, i) => {
    const r = parsePort(p);
    if ('error' in r) problems.push(`${at}.ports.${i}: ${r.error}`);
    else ports.push(r);
  });
  const volumes: VolumeMount[] = [];
  (svc.volumes ?? []).forEach((v, i) => {
    const r = parseVolume(v, composeDir, workDir);
    if ('error' in r) problems.push(`${at}.volumes.${i}: ${r.error}`);
    else volumes.push(r);
  });
  const command = normaliseCommand(svc.command);
  const memLimitRaw = svc.mem_limit ?? svc.deploy?.resources?.limits?.memory;
  const spec: ServiceSpec = {
    name,
    image: svc.image,
    kind: ext.standin ? 'standin' : 'real',
    dependsOn: Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {}),
    restart: svc.restart ?? 'no',
    memLimit: memLimitRaw === undefined ? undefined : size(memLimitRaw, `${at}.mem_limit`, problems, 0),
    budgetBytes: ext.budget === undefined ? undefined : size(ext.budget, `${at}.x-simulate.budget`, problems, 0),
    ports,
    environment,
    command,
    volumes,
  };
  const serviceDir = path.join(workDir, 'services', name);
  const repo = svc.image ? imageRepo(svc.image) : undefined;

  if (ext.standin) {
    const r = standinLaunch(name, ext.standin, ports, environment, capBytes);
    if ('error' in r) problems.push(`${at}.x-simulate.standin: ${r.error}`);
    else {
      spec.launch = r.launch;
      spec.standin = r.model;
    }
  } else if (ext.process) {
    spec.launch = processLaunch(ext.process, environment, composeDir, ports);
  } else if (repo && WELL_KNOWN[repo]) {
    spec.launch = WELL_KNOWN[repo]({ service: name, command, environment, ports, volumes, serviceDir });
    spec.launch.env = { ...environment, ...spec.launch.env };
  } else {
    spec.unavailableReason = svc.image
      ? `no native program for image ${svc.image}: add x-simulate.process (a command) or x-simulate.standin`
      : 'no image and no x-simulate.process: nothing to run';
  }
  if (spec.launch && svc.stop_signal) spec.launch.stopSignal = svc.stop_signal as NodeJS.Signals;
  return spec;
}

function processLaunch(
  p: NonNullable<NonNullable<ComposeService['x-simulate']>['process']>,
  environment: Record<string, string>,
  composeDir: string,
  ports: PortMapping[],
): Launch {
  const port = ports[0];
  const ready: Launch['ready'] = p.ready
    ? 'http' in p.ready
      ? { kind: 'http', url: p.ready.http }
      : 'tcp' in p.ready
        ? { kind: 'tcp', host: '127.0.0.1', port: p.ready.tcp }
        : { kind: 'command', argv: p.ready.command }
    : port
      ? { kind: 'tcp', host: port.hostIp, port: port.host }
      : { kind: 'none' };
  return {
    argv: p.command,
    env: { ...environment, ...normaliseEnvironment(p.environment) },
    user: p.user,
    cwd: p.cwd ? path.resolve(composeDir, p.cwd) : composeDir,
    init: [],
    afterReady: [],
    dataDirs: [],
    ready,
    readyTimeoutMs: (p.ready_timeout ?? 120) * 1000,
    versionArgv: p.version_command,
  };
}

/** `7d`, `48h`, `90m`, `30s`, or seconds. */
export function horizonSeconds(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$/i.exec(v)!;
  return Number(m[1]) * ({ s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[m[2]!.toLowerCase()]!;
}

function datasetBytes(value: string | number | undefined, where: string, problems: string[]): number {
  if (value === undefined) return 0;
  try {
    return parseDataSize(value, where);
  } catch (err) {
    problems.push((err as Error).message);
    return 0;
  }
}

function checkPortClashes(services: ServiceSpec[], problems: string[]): void {
  const seen = new Map<number, string>();
  for (const s of services) {
    for (const p of s.ports) {
      const other = seen.get(p.host);
      if (other && other !== s.name) problems.push(`services.${s.name}.ports: host port ${p.host} is also used by ${other}`);
      seen.set(p.host, s.name);
    }
  }
}
