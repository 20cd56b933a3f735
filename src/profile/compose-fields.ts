/**
 * Compose's short and long forms, normalised: environment lists, port strings, volume strings, commands.
 */
import path from 'node:path';
import type { PortMapping, VolumeMount } from './stack.ts';
import type { ComposeService } from './compose-schema.ts';

export function normaliseEnvironment(env: ComposeService['environment']): Record<string, string> {
  if (!env) return {};
  if (Array.isArray(env)) {
    const out: Record<string, string> = {};
    for (const item of env) {
      const eq = item.indexOf('=');
      if (eq === -1) out[item] = process.env[item] ?? '';
      else out[item.slice(0, eq)] = item.slice(eq + 1);
    }
    return out;
  }
  // `KEY:` with no value is Compose's map spelling of a bare `KEY` in the list form: taken from the environment.
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? (process.env[k] ?? '') : String(v)]));
}

/**
 * `"55432:5432"`, `"127.0.0.1:55432:5432"`, `5432`, `{target, published}`. The simulator always binds to
 * loopback: a mapping without a host IP means 127.0.0.1 (host networking, load stays on this machine).
 */
export function parsePort(p: NonNullable<ComposeService['ports']>[number]): PortMapping | { error: string } {
  if (typeof p === 'number') return { host: p, container: p, hostIp: '127.0.0.1' };
  if (typeof p === 'object') {
    const published = p.published === undefined ? p.target : Number(p.published);
    if (!Number.isInteger(published)) return { error: `published port "${p.published}" is not a number` };
    return { host: published, container: p.target, hostIp: p.host_ip ?? '127.0.0.1' };
  }
  const spec = p.replace(/\/(tcp|udp)$/, '');
  const parts = spec.split(':');
  const nums = parts.slice(-2).map(Number);
  if (parts.length > 3 || nums.some((n) => !Number.isInteger(n) || n <= 0 || n > 65535)) {
    return { error: `"${p}" is not a port mapping (use "HOST:CONTAINER", e.g. "55432:5432")` };
  }
  if (parts.length === 1) return { host: nums[0], container: nums[0], hostIp: '127.0.0.1' };
  const hostIp = parts.length === 3 && parts[0] ? parts[0] : '127.0.0.1';
  return { host: nums[0], container: nums[1], hostIp };
}

/** `./prometheus:/etc/prometheus:ro`, `pgdata:/var/lib/postgresql/data`, long form. Named volumes live in the run's work dir. */
export function parseVolume(
  v: NonNullable<ComposeService['volumes']>[number],
  composeDir: string,
  workDir: string,
): VolumeMount | { error: string } {
  let source: string | undefined;
  let target: string;
  let readOnly = false;
  if (typeof v === 'string') {
    const parts = v.split(':');
    // One part is an anonymous volume: no source, and its target is checked like any other.
    if (parts.length === 1) target = parts[0];
    else [source, target] = parts;
    readOnly = parts[2]?.split(',').includes('ro') ?? false;
  } else {
    source = v.source;
    target = v.target;
    readOnly = v.read_only ?? false;
  }
  if (!target?.startsWith('/')) return { error: `volume target "${target}" must be an absolute path` };
  if (!source) return { type: 'volume', source: path.join(workDir, 'volumes', anonName(target)), target, readOnly };
  const isPath = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
  if (isPath) {
    const resolved = source.startsWith('~') ? path.join(process.env.HOME ?? '/root', source.slice(1)) : path.resolve(composeDir, source);
    return { type: 'bind', source: resolved, target, readOnly };
  }
  return { type: 'volume', source: path.join(workDir, 'volumes', source), target, readOnly };
}

function anonName(target: string): string {
  return `anon${target.replace(/[^a-zA-Z0-9]+/g, '-')}`;
}

/** A Compose `command:` string is split like a shell would for simple quoting; a list is kept. */
export function normaliseCommand(cmd: ComposeService['command']): string[] | undefined {
  if (cmd === undefined) return undefined;
  if (Array.isArray(cmd)) return cmd;
  // A word is quoted and unquoted runs with no space between (`--label="a b"` is one word); a quote with no
  // partner is kept as text.
  const word = /(?:"(?:\\.|[^"\\])*"|'[^']*'|\\.|[^\s"'\\]|["'\\])+/g;
  const part = /"((?:\\.|[^"\\])*)"|'([^']*)'|\\(.)/g;
  const out: string[] = [];
  for (const m of cmd.matchAll(word)) {
    out.push(m[0].replace(part, (_, dq?: string, sq?: string, esc?: string) => (dq !== undefined ? dq.replace(/\\(.)/g, '$1') : (sq ?? esc ?? ''))));
  }
  return out;
}

/**
 * Arguments that name a path inside the container (`--config.file=/etc/prometheus/prometheus.yml`) point at the
 * mounted host path instead, so the native program reads the same file the container would.
 */
export function mapContainerPath(arg: string, mounts: VolumeMount[]): string {
  const sorted = [...mounts].sort((a, b) => b.target.length - a.target.length);
  for (const m of sorted) {
    const re = new RegExp(`(^|=)${escapeRe(m.target)}(?=/|$)`);
    // A function, so a `$` in the host path is copied, not read as a replacement pattern.
    if (re.test(arg)) return arg.replace(re, (_, before: string) => `${before}${m.source}`);
  }
  return arg;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `postgres:15-alpine` → `postgres`; `docker.io/library/redis:7` → `redis`; `prom/prometheus:latest` → `prom/prometheus`. */
export function imageRepo(image: string): string {
  let name = image.split('@')[0];
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  if (colon !== -1) name = name.slice(0, colon);
  const parts = name.split('/');
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) parts.shift();
  if (parts[0] === 'library') parts.shift();
  return parts.join('/');
}
