/**
 * `--set SERVICE.PATH=VALUE`: one field of the profile changed for one run, without copying the Compose
 * file. Overrides are applied to the parsed YAML before validation, so a value of the wrong type fails
 * exactly as it would in the file (one `path: message` line, exit 2) and nothing starts.
 *
 * SERVICE is a service of the profile, or `x-simulate` for the stack's own extension fields. VALUE is read
 * as YAML (`false` is a boolean, `3` a number, `[a, b]` a list, anything else a string), as it would be
 * in the file.
 */
import { parse as parseYaml } from 'yaml';
import { InputError } from '../errors.ts';
import { serviceExtSchema, serviceSchema, stackExtSchema } from './compose-schema.ts';

export interface Override {
  /** As the user wrote it: `app.environment.CACHE_ENABLED=false` (run.json keeps this). */
  raw: string;
  /** `app`, or `x-simulate` for the stack. */
  service: string;
  /** Keys below the service: `['environment', 'CACHE_ENABLED']`. */
  path: string[];
  value: unknown;
}

const STACK = 'x-simulate';

export function parseOverride(raw: string): Override {
  const eq = raw.indexOf('=');
  const lhs = eq === -1 ? '' : raw.slice(0, eq).trim();
  const parts = lhs.split('.');
  if (eq === -1 || parts.length < 2 || parts.some((p) => p === '')) {
    throw new InputError(`--set ${raw}: expected SERVICE.PATH=VALUE`, 'e.g. --set app.environment.CACHE_ENABLED=false');
  }
  // `x-simulate.cap=3g`: the stack's own fields; otherwise the first part is a service.
  const [service, ...path] = parts;
  const text = raw.slice(eq + 1);
  let value: unknown;
  try {
    value = text.trim() === '' ? '' : parseYaml(text);
  } catch {
    value = text; // not valid YAML on its own (e.g. `a: b: c`): taken as the string it is
  }
  return { raw, service: service!, path, value };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys the schema knows at a level; a key outside them must already be in the file to be set. */
function knownKeys(level: 'service' | 'service-ext' | 'stack'): Set<string> {
  const shape = level === 'service' ? serviceSchema.shape : level === 'service-ext' ? serviceExtSchema.shape : stackExtSchema.shape;
  return new Set(Object.keys(shape));
}

/**
 * Applies the overrides to the parsed Compose document in place. An unknown service, or a field that
 * neither Compose (as we read it) nor the file has, is an input error naming the override: a typo in
 * `--set` must not silently change nothing.
 */
export function applyOverrides(doc: unknown, overrides: Override[], where: string): void {
  if (!overrides.length) return;
  if (!isObject(doc) || !isObject(doc.services)) return; // the schema reports a file without services
  const services = doc.services as Json;
  for (const o of overrides) {
    let target: Json;
    let level: 'service' | 'stack';
    if (o.service === STACK) {
      if (!isObject(doc[STACK])) doc[STACK] = {};
      target = doc[STACK] as Json;
      level = 'stack';
    } else {
      if (!isObject(services[o.service])) {
        throw new InputError(
          `--set ${o.raw}: ${where} has no service "${o.service}"`,
          `use one of: ${Object.keys(services).join(', ')} (or x-simulate for the stack's fields)`,
        );
      }
      target = services[o.service] as Json;
      level = 'service';
    }
    const first = o.path[0]!;
    const known = knownKeys(level);
    if (!known.has(first) && !(first in target)) {
      throw new InputError(
        `--set ${o.raw}: unknown field "${first}" ${level === 'stack' ? 'in x-simulate' : `of service ${o.service}`}`,
        `fields read here: ${[...known].join(', ')}`,
      );
    }
    if (level === 'service' && first === 'x-simulate' && o.path.length > 1) {
      const ext = isObject(target['x-simulate']) ? (target['x-simulate'] as Json) : {};
      const key = o.path[1]!;
      const extKnown = knownKeys('service-ext');
      if (!extKnown.has(key) && !(key in ext)) {
        throw new InputError(`--set ${o.raw}: unknown field "x-simulate.${key}" of service ${o.service}`, `fields read here: ${[...extKnown].join(', ')}`);
      }
    }
    setPath(target, o.path, o.value);
  }
}

function setPath(target: Json, path: string[], value: unknown): void {
  let node = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    let next = node[key];
    // `environment:` in its list form (`- KEY=VALUE`) becomes a map so one key can be set.
    if (key === 'environment' && Array.isArray(next)) {
      next = Object.fromEntries(
        (next as string[]).map((item) => {
          const eq = String(item).indexOf('=');
          return eq === -1 ? [String(item), null] : [String(item).slice(0, eq), String(item).slice(eq + 1)];
        }),
      );
      node[key] = next;
    }
    if (!isObject(next)) {
      next = {};
      node[key] = next;
    }
    node = next as Json;
  }
  node[path.at(-1)!] = value;
}

/** The `--set` that wrote a field the schema rejected, to name it next to the problem. */
export function overrideFor(issuePath: (string | number | symbol)[], overrides: Override[]): Override | undefined {
  const p = issuePath.map(String);
  return overrides.find((o) => {
    const full = o.service === STACK ? [STACK, ...o.path] : ['services', o.service, ...o.path];
    const n = Math.min(full.length, p.length);
    return full.slice(0, n).join('.') === p.slice(0, n).join('.');
  });
}
