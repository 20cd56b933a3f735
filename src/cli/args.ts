/**
 * Command-line arguments: parsed strictly (an unknown flag is an error, exit 2), every value checked and
 * named in the one line that reports it.
 */
import { parseArgs } from 'node:util';
import { InputError } from '../errors.ts';
import { parseFaultFlags } from '../faults/fault-spec.ts';

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

export function parseCli(argv: string[]) {
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
    png: v.png,
    html: v.html,
    faults: parseFaultFlags(v.fault ?? []),
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

export const HELP = `simulate: bring a stack up inside one memory-capped cgroup, load it, and say whether it meets its targets.

Usage
  simulate --profile <name|file> [options]     run the profile's scenario: up, load, verdict, down
  simulate up --profile <name|file> [--json]   start the stack and leave it running
  simulate down [RUN_ID]                       stop a stack left by \`up\` (no id: all of them)
  simulate --target <URL> --rate <R> --duration <S>
                                               load a service that is already running (no stack)
  simulate compare <profile|run-dir> <profile|run-dir>...   [--repeat N]
  simulate compare --profile <name> --variant NAME="--set SERVICE.PATH=VALUE ..." ...
                                               run variants one after another under the same cap,
                                               scenario and data; print and write the table of deltas
  simulate compare --claims [NAME] [--quick]   the seed's claims (Redis, cursor paging, indexes, eager
                                               loading, Prometheus, Grafana) as repeated A/B runs
  simulate capacity --profile <name> [--caps 2g,4g,8g] [--quick] [--cost 4g=400]
                                               highest rate each tier sustains, smallest passing cap, cost
  simulate capacity --target <URL> [--max-avg MS] [--max-p99 MS] [--max-errors 1%]
                                               highest rate a running service sustains (no stack)
  simulate doctor                              what this machine can run (cgroups, swap, programs, Docker)
  simulate setup [--driver docker] [--profile P --data SIZE]
                                               check prerequisites; with docker, build the local images;
                                               with --data, build the kept dataset ahead
  simulate report DIR [DIR…] [--png DIR] [--html FILE]
                                               rebuild report.html of a run, capacity review or comparison;
                                               with several runs, overlay them and write a table of deltas

Profiles: docker/<name>.yml (4gb, full-elk) or your own Compose file.

Options
  --profile, -p  NAME|FILE   profile to run
  --driver       auto|process|docker   how services run (default auto: docker if an engine and images exist)
  --cap          SIZE        memory cap of the whole stack (default from the profile, e.g. 4g, 3.5GiB, 512m)
  --swap         SIZE        swap the stack may use inside the cap (default 0: none)
  --cpus         N           CPU limit of the stack in cores (default from the profile)
  --data         SIZE|none   seed the database to SIZE (pg_database_size; default from the profile:
                             3g for 4gb); built once, kept under /var/tmp/simulate/datasets, copied cold
  --variant      NAME="ARGS" with compare: a variant of --profile (ARGS: --set ..., repeatable)
  --repeat       N           with compare: runs per variant (default 1; --claims 3, --quick 2)
  --claims                   with compare: run the seed's claims (all, or the one named)
  --quick                    with compare: 10 s warm-up, 15 s judged, 2 of each (a quick look)
  --duration, -d SECONDS     length of the load (stages scaled to fit); with --no-load, how long to watch
  --scenario, -s NAME|FILE   scenario (scenarios/<name>.yaml); default from the profile
  --model        open|closed open: fixed arrival rate, latency from the scheduled send (default);
                             closed: autocannon, for saturation
  --set          SERVICE.PATH=VALUE   change one field of the profile for this run (repeatable), e.g.
                             --set app.environment.CACHE_ENABLED=false, --set grafana.x-simulate.enabled=false,
                             --set x-simulate.cap=3g; validated like the profile; run.json records it
  --no-load                  bring the stack up and watch memory only
  --out          DIR         results folder (default results); each run writes <DIR>/<run-id>/
  --csv          FILE        also write the summary CSV to FILE
  --no-tui                   plain lines instead of the live screen
  --json                     one JSON object per line on stdout
  --interval     MS          memory sampling interval (default 1000)
  --target       URL         load this URL instead of a stack (loopback only unless --allow-remote)
  --rate         R           with --target: requests per second
  --allow-remote             let --target name a non-loopback address
  --png          DIR         (report) also write each chart as a PNG into DIR (needs Debian's chromium)
  --html         FILE        (report) where to write the page (default: RUN_DIR/report.html for one run,
                             <--out>/report-<time>.html for several)
  --fault        SPEC        inject a fault during the load (repeatable): KIND ARGS@START[+DURATION], in
                             seconds after the load (or its until-steady warm-up) starts, e.g.
                             "kill postgres@20s", "stop app@20s+10s", "restart redis@30s",
                             "pause redis@30s+10s", "hog 3g@20s+15s", "latency redis 100ms@40s+20s",
                             "loss redis 5%@40s+20s" (user-space proxy: this kernel has no netem),
                             "disk-full redis@30s+10s". Scenarios can list them under \`faults:\`.

Capacity (simulate capacity)
  --caps         SIZES       caps to review, comma-separated (default: the 2gb, 4gb and 8gb tiers' caps)
  --quick                    with capacity: short steps (about 5-10 minutes for two caps, not about 20 for three)
  --cost         CAP=AMOUNT  monthly cost of a cap, e.g. --cost 4g=400 (default: the tier's x-simulate.cost)
  --max-avg      MS          average latency limit (default: the profile's, or the seed's 60 ms)
  --max-p99      MS          p99 latency limit (default: the profile's, or the seed's 1000 ms)
  --max-errors   SHARE       failed requests allowed (default: the profile's, or the seed's 1%)
  --start-rate   R           first rate of the search (default: the target rate, or 10 with --target)
  --step-time    W,M,C       seconds of each step's warm-up, measured window and confirmation

Exit codes: 0 targets met, 1 targets missed, 2 bad usage or input, 3 environment (cgroups, engine,
ports, programs), 130 interrupted, 70 a bug in simulate.`;
