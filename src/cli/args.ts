/**
 * Command-line arguments: parsed strictly (an unknown flag is an error, exit 2), every value checked and
 * named in the one line that reports it.
 */
import { parseArgs } from 'node:util';
import { InputError } from '../errors.ts';
import type { FaultSpec } from '../faults/fault-spec.ts';
import { dockerHostFromCli } from '../drivers/docker/docker-host.ts';

/** `--fault` texts to specs. Injected (main.ts imports it only when a `--fault` is given): the fault specs load zod, which costs every start about 90 ms and 8 MB. */
export type FaultFlagParser = (values: string[]) => FaultSpec[];

export const OPTIONS = {
  profile: { type: 'string', short: 'p' },
  driver: { type: 'string', default: 'auto' },
  cap: { type: 'string' },
  swap: { type: 'string' },
  cpus: { type: 'string' },
  data: { type: 'string' },
  duration: { type: 'string', short: 'd' },
  out: { type: 'string', default: 'results' },
  scenario: { type: 'string', short: 's' },
  model: { type: 'string', default: 'open' },
  set: { type: 'string', multiple: true },
  variant: { type: 'string', multiple: true },
  repeat: { type: 'string' },
  claims: { type: 'boolean', default: false },
  quick: { type: 'boolean', default: false },
  'no-load': { type: 'boolean', default: false },
  'no-tui': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  csv: { type: 'string' },
  interval: { type: 'string', default: '1000' },
  target: { type: 'string' },
  rate: { type: 'string' },
  'allow-remote': { type: 'boolean', default: false },
  'docker-host': { type: 'string' },
  'ssh-key': { type: 'string' },
  'load-from': { type: 'string', default: 'here' },
  png: { type: 'string' },
  html: { type: 'string' },
  fault: { type: 'string', multiple: true },
  caps: { type: 'string' },
  cost: { type: 'string', multiple: true },
  'max-avg': { type: 'string' },
  'max-p99': { type: 'string' },
  'max-errors': { type: 'string' },
  'start-rate': { type: 'string' },
  'step-time': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', short: 'v', default: false },
} as const;

const SHORT_NAMES: Record<string, string> = Object.fromEntries(
  Object.entries(OPTIONS).flatMap(([long, o]) => ('short' in o ? [[o.short, long]] : [])),
);

export type Command = 'run' | 'up' | 'down' | 'doctor' | 'setup' | 'report' | 'compare' | 'capacity' | 'help';
const COMMANDS: Command[] = ['run', 'up', 'down', 'doctor', 'setup', 'report', 'compare', 'capacity', 'help'];

export function parseCli(argv: string[], parseFaultFlags?: FaultFlagParser) {
  let parsed;
  // `--duration -5` is a bad value, not a missing one: join it so the value check can name it.
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    // `-d -5` too: its short flag names the same option.
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : /^-[a-zA-Z]$/.test(argv[i]) ? SHORT_NAMES[argv[i].slice(1)] : undefined;
    const opt = name ? (OPTIONS as Record<string, { type: string }>)[name] : undefined;
    if (opt?.type === 'string' && /^-\d/.test(argv[i + 1] ?? '')) joined.push(`--${name}=${argv[++i]}`);
    else joined.push(argv[i]);
  }
  try {
    parsed = parseArgs({ args: joined, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new InputError((err as Error).message.replace(/\. To specify a positional.*$/s, ''), 'see `simulate --help`');
  }
  const [first, ...rest] = parsed.positionals;
  const command: Command = first === undefined ? 'run' : (first as Command);
  if (!COMMANDS.includes(command)) throw new InputError(`unknown command "${first}"`, `use one of: ${COMMANDS.join(', ')} (see simulate --help)`);
  const v = parsed.values;
  if (!['auto', 'process', 'docker'].includes(v.driver)) throw new InputError(`--driver: "${v.driver}" is not a driver`, 'use auto, process or docker');
  if (!['here', 'remote'].includes(v['load-from'])) throw new InputError(`--load-from: "${v['load-from']}" is not a place`, 'use here (this machine, through the network) or remote (on the Docker host, against its loopback)');
  const dockerHost = dockerHostFromCli(v['docker-host'], v['ssh-key']);
  if (dockerHost && dockerHost.kind !== 'unix' && v.driver === 'process') throw new InputError(`--driver process runs on this machine, not on ${dockerHost.url}`, 'use --driver docker (or leave --driver out) with --docker-host');
  if (!['open', 'closed'].includes(v.model)) throw new InputError(`--model: "${v.model}" is not a load model`, 'use open (fixed arrival rate) or closed (autocannon)');
  return {
    command,
    positionals: rest,
    profile: v.profile,
    driver: v.driver as 'auto' | 'process' | 'docker',
    cap: v.cap,
    swap: v.swap,
    cpus: v.cpus === undefined ? undefined : positiveNumber('--cpus', v.cpus),
    data: v.data,
    durationS: v.duration === undefined ? undefined : positiveNumber('--duration', v.duration, 'seconds'),
    out: v.out,
    scenario: v.scenario,
    model: v.model as 'open' | 'closed',
    overrides: v.set ?? [],
    variants: v.variant ?? [],
    repeat: v.repeat === undefined ? undefined : positiveInteger('--repeat', v.repeat),
    claims: v.claims,
    quick: v.quick,
    noLoad: v['no-load'],
    tui: !v['no-tui'],
    json: v.json,
    csv: v.csv,
    intervalMs: positiveNumber('--interval', v.interval, 'milliseconds'),
    target: v.target,
    rate: v.rate === undefined ? undefined : positiveNumber('--rate', v.rate, 'requests per second'),
    allowRemote: v['allow-remote'],
    dockerHost,
    loadFrom: v['load-from'] as 'here' | 'remote',
    png: v.png,
    html: v.html,
    faults: v.fault?.length ? faultsOf(v.fault, parseFaultFlags) : ([] as FaultSpec[]),
    caps: v.caps === undefined ? undefined : v.caps.split(',').map((c) => c.trim()).filter(Boolean),
    costs: v.cost ?? [],
    maxAvgMs: v['max-avg'] === undefined ? undefined : positiveNumber('--max-avg', v['max-avg'], 'milliseconds'),
    maxP99Ms: v['max-p99'] === undefined ? undefined : positiveNumber('--max-p99', v['max-p99'], 'milliseconds'),
    maxErrorRate: v['max-errors'] === undefined ? undefined : errorShare(v['max-errors']),
    startRate: v['start-rate'] === undefined ? undefined : positiveNumber('--start-rate', v['start-rate'], 'requests per second'),
    stepTime: v['step-time'] === undefined ? undefined : stepTime(v['step-time']),
    help: v.help || command === 'help',
    version: v.version,
  };
}

export type CliArgs = ReturnType<typeof parseCli>;

function positiveInteger(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${flag}: "${raw}" is not a whole number of runs (1 or more)`, `e.g. ${flag} 3`);
  return n;
}

/** `--max-errors 1%` or `--max-errors 0.01`: the share of requests that may fail. */
function errorShare(raw: string): number {
  const pct = raw.trim().endsWith('%');
  const n = Number(pct ? raw.trim().slice(0, -1) : raw);
  const share = pct ? n / 100 : n;
  if (raw.trim() === '' || !Number.isFinite(share) || share < 0 || share >= 1) {
    throw new InputError(`--max-errors: "${raw}" is not a share of requests`, 'e.g. --max-errors 1% (or 0.01)');
  }
  return share;
}

/** `--step-time 4,8,20`: warm-up, measured and confirmation seconds of each capacity step. */
function stepTime(raw: string): { warmupS: number; measureS: number; confirmS: number } {
  const parts = raw.split(',').map((x) => Number(x));
  if (parts.length !== 3 || parts.some((n) => !Number.isFinite(n) || n <= 0)) {
    throw new InputError(`--step-time: "${raw}" is not three positive numbers of seconds`, 'e.g. --step-time 4,8,20 (warm-up, measured window, confirmation)');
  }
  return { warmupS: parts[0]!, measureS: parts[1]!, confirmS: parts[2]! };
}

function positiveNumber(flag: string, raw: string, unit = ''): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InputError(`${flag}: "${raw}" is not a positive number${unit ? ` of ${unit}` : ''}`, `e.g. ${flag} ${flag === '--duration' ? '60' : flag === '--interval' ? '1000' : '2'}`);
  }
  return n;
}

export { HELP } from './help-text.ts';

function faultsOf(values: string[], parse: FaultFlagParser | undefined): FaultSpec[] {
  if (!parse) throw new Error('parseCli: --fault given but no fault parser passed (main.ts passes one when argv has --fault)');
  return parse(values);
}
