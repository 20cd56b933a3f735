/**
 * Fault specs: `--fault "KIND [ARGS]@START[+DURATION]"` on the command line, or a `faults:` list in a
 * scenario (the same strings, or objects with the same fields). START and DURATION are seconds after the
 * load starts (`20s`, `1m`, `1m30s`, or a bare number of seconds). Validated with zod; every problem is one
 * `path: message` line of an InputError (exit 2) before anything starts.
 */
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { parseSize } from '../profile/sizes.ts';

export const FAULT_KINDS = ['kill', 'stop', 'restart', 'pause', 'hog', 'latency', 'loss', 'disk-full'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Faults that last a while (and end by being undone); the others happen at one moment. */
export const LASTING: ReadonlySet<FaultKind> = new Set(['stop', 'pause', 'hog', 'latency', 'loss', 'disk-full']);
/** When a lasting fault names no duration. */
export const DEFAULT_DURATION_S = 10;

export interface FaultSpec {
  kind: FaultKind;
  /** The service it acts on (every kind but hog). */
  service?: string;
  /** hog: bytes to hold inside the stack's cap. */
  bytes?: number;
  /** latency: milliseconds added to each chunk sent to the service. */
  ms?: number;
  /** loss: share of chunks (0..1) that behave as a lost segment (see fault-proxy.ts). */
  loss?: number;
  /** Seconds after the load starts. */
  atS: number;
  /** Seconds it lasts (0 for kill and restart). */
  durationS: number;
  /** As written, for events and reports: `pause redis@30s+10s`. */
  text: string;
}

const DURATION = /^(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$/;

/** `20s`, `20`, `1m`, `1m30s` → seconds; undefined when not a duration. */
export function parseSeconds(raw: string): number | undefined {
  const m = DURATION.exec(raw.trim());
  if (!m || raw.trim() === '' || (m[1] === undefined && m[2] === undefined)) return undefined;
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
}

const seconds = z.union([z.number().min(0), z.string()]).transform((v, ctx) => {
  const s = typeof v === 'number' ? v : parseSeconds(v);
  if (s === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a time (use 20s, 1m or 1m30s)` });
    return z.NEVER;
  }
  return s;
});

/** The object form, as a scenario may write it. */
export const faultObjectSchema = z.strictObject({
  kind: z.enum(FAULT_KINDS),
  service: z.string().min(1).optional(),
  /** hog */
  size: z.union([z.string(), z.number()]).optional(),
  /** latency, e.g. 100 or "100ms" */
  latency: z.union([z.number(), z.string()]).optional(),
  /** loss, e.g. 5 or "5%" */
  loss: z.union([z.number(), z.string()]).optional(),
  at: seconds,
  duration: seconds.optional(),
});

export type FaultObject = z.input<typeof faultObjectSchema>;

/** One entry of a scenario's `faults:` list. */
export const faultEntrySchema = z.union([z.string().min(1), faultObjectSchema]);

/**
 * Parse one spec string. Throws an Error whose message is the problem (the caller adds where it was).
 * Grammar: `kill|stop|restart|pause|disk-full SERVICE`, `hog SIZE`, `latency SERVICE MS`, `loss SERVICE PCT`,
 * then `@START` and, for lasting kinds, an optional `+DURATION`.
 */
export function parseFaultText(text: string): FaultSpec {
  const at = text.lastIndexOf('@');
  if (at < 0) throw new Error('no start time: add @SECONDS, e.g. "kill postgres@20s"');
  const head = text.slice(0, at).trim().split(/\s+/).filter(Boolean);
  const [startRaw, durRaw, ...extra] = text.slice(at + 1).split('+');
  if (extra.length) throw new Error(`"${text.slice(at)}": one + only (@START+DURATION)`);
  const kind = head[0] as FaultKind;
  if (!FAULT_KINDS.includes(kind)) throw new Error(`"${head[0] ?? ''}" is not a fault kind (use ${FAULT_KINDS.join(', ')})`);
  const obj: FaultObject = { kind, at: startRaw ?? '' };
  if (durRaw !== undefined) obj.duration = durRaw;
  const args = head.slice(1);
  const want = (n: number, usage: string) => {
    if (args.length !== n) throw new Error(`${kind} takes ${usage}, e.g. "${example(kind)}"`);
  };
  switch (kind) {
    case 'hog':
      want(1, 'a size');
      obj.size = args[0];
      break;
    case 'latency':
      want(2, 'a service and milliseconds');
      [obj.service, obj.latency] = args as [string, string];
      break;
    case 'loss':
      want(2, 'a service and a percentage');
      [obj.service, obj.loss] = args as [string, string];
      break;
    default:
      want(1, 'a service');
      obj.service = args[0];
  }
  return fromObject(faultObjectSchema.parse(obj), text.trim());
}

function example(kind: FaultKind): string {
  switch (kind) {
    case 'hog': return 'hog 1g@20s+10s';
    case 'latency': return 'latency redis 100ms@40s+20s';
    case 'loss': return 'loss redis 5%@40s+20s';
    case 'kill': case 'restart': return `${kind} postgres@20s`;
    default: return `${kind} redis@30s+10s`;
  }
}

type ParsedObject = z.output<typeof faultObjectSchema>;

function fromObject(o: ParsedObject, text?: string): FaultSpec {
  const lasting = LASTING.has(o.kind);
  if (!lasting && o.duration !== undefined && o.duration > 0) throw new Error(`${o.kind} happens at one moment: drop the +duration`);
  if (lasting && o.duration !== undefined && o.duration <= 0) throw new Error('duration must be more than 0 s');
  const spec: FaultSpec = { kind: o.kind, atS: o.at, durationS: lasting ? (o.duration ?? DEFAULT_DURATION_S) : 0, text: '' };
  if (o.kind === 'hog') {
    if (o.service) throw new Error('hog takes a size, not a service');
    if (o.size === undefined) throw new Error('hog needs a size, e.g. "hog 1g@20s"');
    const size = parseSize(o.size);
    if ('error' in size) throw new Error(size.error);
    if (!(size.bytes > 0)) throw new Error('hog size must be more than 0');
    spec.bytes = size.bytes;
  } else {
    if (!o.service) throw new Error(`${o.kind} needs a service, e.g. "${example(o.kind)}"`);
    spec.service = o.service;
  }
  if (o.kind === 'latency') {
    const ms = o.latency === undefined ? NaN : typeof o.latency === 'number' ? o.latency : Number(/^(\d+(?:\.\d+)?)(?:ms)?$/.exec(o.latency.trim())?.[1]);
    if (!(ms > 0)) throw new Error(`latency needs milliseconds more than 0 (got "${o.latency ?? ''}"), e.g. 100ms`);
    spec.ms = ms;
  } else if (o.latency !== undefined) throw new Error(`latency is only for the latency kind`);
  if (o.kind === 'loss') {
    const pct = o.loss === undefined ? NaN : typeof o.loss === 'number' ? o.loss : Number(/^(\d+(?:\.\d+)?)%?$/.exec(o.loss.trim())?.[1]);
    if (!(pct > 0 && pct <= 100)) throw new Error(`loss needs a percentage in (0, 100] (got "${o.loss ?? ''}"), e.g. 5%`);
    spec.loss = pct / 100;
  } else if (o.loss !== undefined) throw new Error('loss is only for the loss kind');
  if (o.size !== undefined && o.kind !== 'hog') throw new Error('size is only for the hog kind');
  spec.text = text ?? describeFault(spec);
  return spec;
}

/** `latency redis 100ms@40s+20s`: the canonical text of a spec. */
export function describeFault(f: Omit<FaultSpec, 'text'>): string {
  const args =
    f.kind === 'hog' ? `${fmtBytes(f.bytes ?? 0)}` : f.kind === 'latency' ? `${f.service} ${f.ms}ms` : f.kind === 'loss' ? `${f.service} ${Math.round((f.loss ?? 0) * 1000) / 10}%` : `${f.service}`;
  return `${f.kind} ${args}@${f.atS}s${LASTING.has(f.kind) ? `+${f.durationS}s` : ''}`;
}

function fmtBytes(b: number): string {
  const g = b / 1024 ** 3;
  return Number.isInteger(g) ? `${g}g` : `${Math.round(b / 1024 ** 2)}m`;
}

/** Parse a scenario entry (string or object); throws the problem as an Error (or ZodError). */
export function parseFaultEntry(entry: z.input<typeof faultEntrySchema>): FaultSpec {
  return typeof entry === 'string' ? parseFaultText(entry) : fromObject(faultObjectSchema.parse(entry));
}

/** `--fault` values: all problems at once, one line each, as an InputError. */
export function parseFaultFlags(values: string[]): FaultSpec[] {
  const problems: string[] = [];
  const out: FaultSpec[] = [];
  for (const v of values) {
    try {
      out.push(parseFaultText(v));
    } catch (err) {
      problems.push(`--fault "${v}": ${messageOf(err)}`);
    }
  }
  if (problems.length) throw new InputError(problems.join('\n'), 'see `simulate --help` (e.g. --fault "kill postgres@20s")');
  return out;
}

export function messageOf(err: unknown): string {
  if (err instanceof z.ZodError) return err.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
  return (err as Error).message;
}

/**
 * Checks against the stack and the load, before anything starts: the service exists and can run, the fault
 * starts while the load runs, a network fault's service has a port to put the proxy in front of.
 */
export function checkFaults(
  faults: FaultSpec[],
  ctx: { services: Array<{ name: string; runnable: boolean; ports: number[] }>; loadS: number | undefined },
): void {
  const problems: string[] = [];
  for (const f of faults) {
    const say = (m: string) => problems.push(`fault "${f.text}": ${m}`);
    if (f.service !== undefined) {
      const s = ctx.services.find((x) => x.name === f.service);
      if (!s) {
        say(`no service named ${f.service} in the profile (services: ${ctx.services.map((x) => x.name).join(', ')})`);
        continue;
      }
      if (!s.runnable) say(`${f.service} is not run in this profile (unavailable)`);
      if ((f.kind === 'latency' || f.kind === 'loss') && s.ports.length === 0) say(`${f.service} publishes no port to put the fault proxy in front of`);
    }
    if (ctx.loadS !== undefined && f.atS >= ctx.loadS) say(`starts at ${f.atS} s, but the load lasts ${ctx.loadS} s`);
  }
  if (problems.length) throw new InputError(problems.join('\n'), 'fix the fault (times are seconds after the load starts, or after a warm-up that runs until steady state)');
}
