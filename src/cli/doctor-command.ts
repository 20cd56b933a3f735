/**
 * `simulate doctor`: what this machine can run, each line a check with what to do when it fails.
 * Exit 0 when the process driver can run the profiles, 3 otherwise.
 */
import fs from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { detectCgroups } from '../cgroups/index.ts';
import { findChromium } from '../report/html/png.ts';
import type { CliArgs } from './args.ts';
import { EXIT } from '../errors.ts';

const run = promisify(execFile);

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
  /** Needed by the process driver (a failure makes doctor exit 3); else informational. */
  required: boolean;
}

const PROGRAMS: Array<[string, string, string]> = [
  ['PostgreSQL 15', '/usr/lib/postgresql/15/bin/postgres', 'postgresql'],
  ['Redis', '/usr/bin/redis-server', 'redis-server'],
  ['Prometheus', '/usr/bin/prometheus', 'prometheus'],
  ['Alertmanager', '/usr/bin/prometheus-alertmanager', 'prometheus-alertmanager'],
  ['promtool', '/usr/bin/promtool', 'prometheus'],
  ['Python 3 (Debian)', '/usr/bin/python3', 'python3'],
  ['setpriv', '/usr/bin/setpriv', 'util-linux'],
];

const PYTHON_MODULES: Array<[string, string]> = [
  ['fastapi', 'python3-fastapi'],
  ['uvicorn', 'python3-uvicorn'],
  ['asyncpg', 'python3-asyncpg'],
  ['redis', 'python3-redis'],
  ['prometheus_client', 'python3-prometheus-client'],
];

export async function gatherChecks(): Promise<Check[]> {
  // The slow checks (host facts, a Python process, the engine's socket, the cgroup files) run at once.
  const [host, cgroups, python, engine] = await Promise.all([hostCheck(), cgroupCheck(), pythonCheck(), engineCheck()]);
  const checks: Check[] = [host, cgroups];
  const swaps = fs.readFileSync('/proc/swaps', 'utf8').trim().split('\n').slice(1);
  checks.push({
    name: 'swap',
    ok: swaps.length > 0,
    detail: swaps.length ? `${swaps.length} swap area(s): ${swaps.map((l) => l.split(/\s+/)[0]).join(', ')}` : 'none (the stack cannot swap; --swap needs some)',
    fix: swaps.length ? undefined : 'to try --swap: fallocate -l 4G /swapfile && chmod 600 /swapfile && mkswap /swapfile && swapon /swapfile',
    required: false,
  });
  checks.push({
    name: 'memory PSI',
    ok: fs.existsSync('/proc/pressure/memory'),
    detail: fs.existsSync('/proc/pressure/memory') ? '/proc/pressure/memory' : 'no /proc/pressure/memory (psi columns stay empty)',
    fix: 'boot with psi=1',
    required: false,
  });
  for (const [name, bin, pkg] of PROGRAMS) {
    const ok = fs.existsSync(bin);
    checks.push({ name, ok, detail: ok ? bin : `${bin} missing`, fix: `apt-get install -y ${pkg}`, required: true });
  }
  checks.push(python, engine);
  const chromium = findChromium();
  checks.push({
    name: 'Chromium (report --png)',
    ok: Boolean(chromium),
    detail: chromium ?? 'not installed: report.html works without it; `simulate report --png` and the report browser tests need it',
    fix: 'apt-get install -y chromium',
    required: false,
  });
  return checks;
}

/** What the machine is, as run.json and report.html record it (systeminformation). */
async function hostCheck(): Promise<Check> {
  try {
    // Loaded here, not at the top: systeminformation's import then overlaps the other checks' waits.
    const { describeHost, hostFacts } = await import('../monitor/host-facts.ts');
    return { name: 'host', ok: true, detail: describeHost(await hostFacts(process.cwd())), required: false };
  } catch (err) {
    return { name: 'host', ok: false, detail: `systeminformation failed: ${(err as Error).message}`, required: false };
  }
}

async function cgroupCheck(): Promise<Check> {
  try {
    const cg = await detectCgroups();
    return {
      name: 'cgroups',
      ok: cg.canWrite,
      detail: `v${cg.version}, memory at ${cg.memoryRoot}${cg.cpuRoot ? `, cpu at ${cg.cpuRoot}` : ', no cpu controller (--cpus unavailable)'}${cg.canWrite ? ', writable' : `: ${cg.reason}`}`,
      fix: cg.canWrite ? undefined : 'run as root, or under systemd-run --user --scope -p Delegate=yes',
      required: true,
    };
  } catch (err) {
    return { name: 'cgroups', ok: false, detail: (err as Error).message, required: true };
  }
}

/** One Python process finds every module (importing FastAPI alone takes longer than the rest of doctor). */
async function pythonCheck(): Promise<Check> {
  const mods = PYTHON_MODULES.map(([m]) => m);
  const script = `import importlib.util as u, json; print(json.dumps([m for m in ${JSON.stringify(mods)} if u.find_spec(m) is None]))`;
  const missing = await run('/usr/bin/python3', ['-c', script]).then(
    ({ stdout }) => (JSON.parse(stdout) as string[]).map((m) => PYTHON_MODULES.find(([x]) => x === m)![1]),
    () => PYTHON_MODULES.map(([, pkg]) => pkg),
  );
  return {
    name: 'app\'s Python packages',
    ok: missing.length === 0,
    detail: missing.length ? `missing: ${missing.join(', ')}` : mods.join(', '),
    fix: `apt-get install -y ${missing.join(' ')}`,
    required: true,
  };
}

async function engineCheck(): Promise<Check> {
  try {
    const { probeEngine } = await import('../drivers/docker/engine-probe.ts');
    const e = await probeEngine(2000);
    return {
      name: 'Docker engine',
      ok: e.ok,
      detail: e.ok
        ? `${e.version ?? '?'} at ${e.endpoint}, cgroup driver ${e.cgroupDriver ?? '?'}, cgroup v${e.cgroupVersion ?? '?'}`
        : `not reachable at ${e.endpoint}: ${e.reason}`,
      fix: 'apt-get install -y docker.io && dockerd --bridge=none & (or use --driver process)',
      required: false,
    };
  } catch (err) {
    return { name: 'Docker engine', ok: false, detail: (err as Error).message, required: false };
  }
}

export async function doctorCommand(args: CliArgs): Promise<number> {
  const checks = await gatherChecks();
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ checks })}\n`);
  } else {
    const w = Math.max(...checks.map((c) => c.name.length));
    for (const c of checks) {
      const mark = c.ok ? 'ok  ' : c.required ? 'FAIL' : 'note';
      process.stdout.write(`${mark}  ${c.name.padEnd(w)}  ${c.detail}${!c.ok && c.fix ? `\n      ${' '.repeat(w)}  → ${c.fix}` : ''}\n`);
    }
  }
  return checks.every((c) => c.ok || !c.required) ? EXIT.ok : EXIT.environment;
}
