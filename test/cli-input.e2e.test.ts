/**
 * Bad input and a missing environment: one line naming the problem and what to do, exit 2 (input) or
 * 3 (environment), and nothing of ours left running.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRoot, simulate } from './helpers/stack.ts';
import { assertNothingLeft } from './helpers/leftovers.ts';
import { readableCheckout } from './helpers/readable-checkout.ts';

// A run that fails at the port check has already opened its run folder: keep it out of results/.
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'simulate-cli-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^simulate: /);
  return lines[0];
}

describe('simulate with bad input exits 2 with one line', () => {
  it.each([
    [['--profile', 'nope'], /unknown profile "nope" — use one of: .*4gb/],
    [['--profile', 'test/fixtures/profiles/malformed.yml'], /malformed\.yml:4:1: malformed YAML/],
    [['--profile', 'test/fixtures/profiles/broken-types.yml'], /is not a valid profile — fix the fields listed below/],
    [['--profile', '4gb', '--cap', '4gx'], /--cap: "4gx" is not a size/],
    [['--profile', '4gb', '--duration', '-5'], /--duration: "-5" is not a positive number of seconds/],
    [['--profile', '4gb', '--driver', 'podman'], /--driver: "podman" is not a driver — use auto, process or docker/],
    [['--profile', '4gb', '--scenario', 'nosuch'], /no scenario named nosuch — known scenarios: .*steady-300/],
    [['--frobnicate'], /Unknown option '--frobnicate' — see `simulate --help`/],
    [[], /no profile given — pass --profile 4gb/],
    [['--target', 'http://10.1.2.3/', '--rate', '10'], /allow-remote/],
    // --set: checked against the profile before anything starts.
    [['--profile', '4gb', '--set', 'nosuch.environment.X=1'], /--set nosuch\.environment\.X=1: docker\/4gb\.yml has no service "nosuch" — use one of: postgres, redis, app/],
    [['--profile', '4gb', '--set', 'app.restart=[1, 2]'], /--set: services\.app\.restart: .* \(from --set app\.restart=\[1, 2\]\)/],
    [['--profile', '4gb', '--set', 'redis.x-simulate.budget=true'], /--set: services\.redis\.x-simulate\.budget: .*\(from --set redis\.x-simulate\.budget=true\)/],
    [['--profile', '4gb', '--set', 'app.enviroment.CACHE_ENABLED=false'], /unknown field "enviroment" of service app/],
    [['--profile', '4gb', '--set', 'app.environment'], /--set app\.environment: expected SERVICE\.PATH=VALUE/],
    // compare: every variant is checked before any run starts.
    [['compare', '4gb'], /compare needs at least two variants or run folders, got 1/],
    [['compare', '--profile', '4gb', '--variant', 'bad=--set nosuch.x=1'], /--set nosuch\.x=1: docker\/4gb\.yml has no service "nosuch"/],
    [['compare', '--profile', '4gb', '--variant', 'nocache=--cap 3g'], /--variant nocache: Unknown option '--cap'/],
    [['compare', '--claims', 'nosuch'], /--claims: no claim named "nosuch" — use one of: redis-memory/],
    [['compare', '4gb', 'full-elk', '--repeat', '0'], /--repeat: "0" is not a whole number of runs/],
  ])('%j', async (args, pattern) => {
    const r = await simulate(args as string[], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(pattern as RegExp);
    await assertNothingLeft();
  });

  it('a wrong type in a profile names its path', async () => {
    const r = await simulate(['--profile', 'test/fixtures/profiles/broken-types.yml'], { timeoutMs: 30_000 });
    expect(r.stderr).toContain('x-simulate.targets.p99_ms: Invalid input: expected number, received string');
  });
});

describe('simulate in a bad environment exits 3 with one line', () => {
  it.skipIf(!isRoot)('a port the stack needs is already in use (needs root)', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(16479, '127.0.0.1', r));
    try {
      const r = await simulate(['--profile', 'test/fixtures/profiles/pg-redis.yml', '--driver', 'process', '--no-load', '--duration', '5', '--no-tui', '--out', out], { timeoutMs: 60_000 });
      expect(r.code).toBe(3);
      // The holder is named (this test's own node process).
      expect(r.stderr).toMatch(/simulate: port 16479 \(cache\) is already in use on 127\.0\.0\.1 by node \(pid \d+\) — stop what listens there/);
      await assertNothingLeft();
    } finally {
      server.close();
    }
  });

  it.skipIf(!isRoot)('no permission for cgroups (run as nobody; needs root to switch user)', async () => {
    const { execFile } = await import('node:child_process');
    // nobody runs the command from a checkout it can read (the clone may sit in a 0700 folder).
    const checkout = readableCheckout();
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        'setpriv',
        ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', process.execPath, 'src/cli/bin.js', '--profile', '4gb', '--driver', 'process', '--no-tui'],
        { cwd: checkout.root, env: { ...process.env, HOME: '/tmp', SIMULATE_WORK_DIR: '/tmp/simulate-nobody' } },
        (err, _o, stderr) => resolve({ code: (err as { code?: number } | null)?.code ?? 0, stderr }),
      ),
    ).finally(() => checkout.dispose());
    expect(r.code).toBe(3);
    expect(oneLine(r.stderr)).toMatch(/cannot create cgroups in .*memory.* — run as root, or .*Delegate=yes/);
  });

  it('no Docker engine for --driver docker', async () => {
    const r = await simulate(['--profile', '4gb', '--driver', 'docker', '--no-tui'], { timeoutMs: 30_000, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(r.code).toBe(3);
    expect(oneLine(r.stderr)).toMatch(/cannot reach the Docker engine at .*nonexistent.* — start it \(dockerd --bridge=none\).*--driver process/);
    await assertNothingLeft();
  });
});

describe('help', () => {
  it('prints usage and exits 0', async () => {
    const r = await simulate(['--help'], { timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('simulate --profile <name|file>');
  });
});
