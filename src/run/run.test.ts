/**
 * A whole Run without root and without real services: a fake cgroup v1 root filled with memory files
 * recorded on a real kernel (test/fixtures/cgroup-v1-oom), a stub driver whose one service is a local
 * HTTP server, the real monitor, load engine, verdict and files. The stub "kills" its service by
 * replaying the recorded files of a real OOM kill; the monitor must find it there.
 */
import { getEventListeners } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeCgroupRoot, replayFiles, type FakeCgroupRoot } from '../../test/helpers/fake-cgroup-root.ts';
import { startLocalServer, type LocalServer } from '../../test/helpers/local-test-server.ts';
import { testService, testStack } from '../../test/helpers/stack-model.ts';
import type { Driver, DriverContext, ServiceAction, ServiceHandle } from '../drivers/driver.ts';
import { EXIT } from '../errors.ts';
import { parseScenario } from '../load/scenario.ts';
import type { Reporter, RunEvent, RunState } from '../model/index.ts';
import type { Stack } from '../profile/stack.ts';
import { liveChecks } from '../report/reporters/live-checks.ts';
import { Run, newRunId, type RunSpec } from './run.ts';

const MiB = 1024 * 1024;

/** One service, the app: "started" by making its cgroup (with the recorded files), killed by replaying a recorded OOM kill. */
class StubDriver implements Driver {
  readonly name = 'process' as const;
  private handle?: ServiceHandle;
  private ctx?: DriverContext;
  downs = 0;

  async up(stack: Stack, ctx: DriverContext): Promise<ServiceHandle[]> {
    this.ctx = ctx;
    const spec = stack.services[0];
    const cgroup = await ctx.parent.child(spec.name);
    replayFiles(cgroup.dir, 'before', 'app');
    ctx.emit({ kind: 'service-start', service: spec.name, pid: process.pid, detail: 'stub' });
    this.handle = { name: spec.name, spec, cgroup, oomKillsReported: 0 };
    ctx.emit({ kind: 'service-ready', service: spec.name, detail: 'stub ready' });
    return [this.handle];
  }

  /** The kernel's side of the kill, as recorded: the victim's counters, and the parent's usage after it. */
  async oomKill(): Promise<void> {
    const h = this.handle!;
    replayFiles(h.cgroup.dir, 'after', 'app');
    replayFiles(this.ctx!.parent.dir, 'after');
    const stats = await h.cgroup.stats();
    this.ctx!.emit({ kind: 'service-exit', service: h.name, oomKilled: stats.oomKills > 0, exitCode: 137, detail: 'killed by SIGKILL' });
    this.ctx!.sampleNow?.();
  }

  async down(): Promise<void> {
    this.downs++;
  }

  handles(): ServiceHandle[] {
    return this.handle ? [this.handle] : [];
  }

  async inject(service: string, action: ServiceAction): Promise<string> {
    return `stub: ${action} ${service} (nothing to act on)`;
  }
}

let fake: FakeCgroupRoot;
let server: LocalServer;
let out: string;

beforeEach(async () => {
  fake = await fakeCgroupRoot();
  server = await startLocalServer((req, res) => {
    // A bad warm-up: every request of the first stage fails (the app's cache is cold and it errors).
    res.statusCode = warm ? 200 : 503;
    res.end('ok');
  });
  out = mkdtempSync(path.join(tmpdir(), 'run-test-'));
  warm = false;
});
afterEach(async () => {
  await server.close();
  fake.dispose();
  rmSync(out, { recursive: true, force: true });
});
let warm = false;

function spec(over: Partial<RunSpec> & { reporter: Reporter; driverCapMiB?: number }): RunSpec {
  const runId = newRunId();
  const stack: Stack = {
    ...testStack([testService('app')]),
    capBytes: 64 * MiB,
    appUrl: server.url.replace(/\/$/, ''),
    targets: { avgLatencyMs: 500, minRps: 40, p99Ms: 2000, maxOomKills: 0, minFreeBytes: 8 * MiB, minCacheHitRate: 0.5, maxErrorRate: 0.05 },
  };
  return {
    runId,
    runDir: path.join(out, runId),
    workDir: path.join(out, 'work', runId),
    stack,
    scenario: parseScenario(
      {
        name: 'warm-then-steady',
        requests: [{ path: '/' }],
        stages: [
          { name: 'warm-up', duration: 1, rate: 50, exclude: true },
          { name: 'steady', duration: 2, rate: 50 },
        ],
      },
      'run.test.ts',
    ),
    model: 'open',
    sampleIntervalMs: 100,
    signal: new AbortController().signal,
    ...over,
  };
}

describe('a whole Run on a fake cgroup root with a stub driver', () => {
  it('starts, loads a local server, sees a recorded OOM kill, gives the verdict and tears down', async () => {
    const driver = new StubDriver();
    const events: RunEvent[] = [];
    let lastTick: RunState | undefined;
    const reporter: Reporter = {
      onEvent: (e) => {
        events.push(e);
        // The app warms up with the warm-up stage; the kill comes in the judged stage.
        if (e.kind === 'stage-start' && e.detail.includes('steady')) {
          warm = true;
          void driver.oomKill();
        }
      },
      onTick: (s) => {
        lastTick = structuredClone(s);
      },
    };
    const s = spec({ reporter });
    const result = await new Run(s, { cgroups: fake.cgroups, driver, checkPorts: async () => undefined }).execute();

    // The kill: from the victim's recorded counter, with its recorded working set, on the timeline and in the verdict.
    const kills = events.filter((e) => e.kind === 'oom-kill');
    expect(kills).toHaveLength(1);
    expect(kills[0]).toMatchObject({ service: 'app' });
    expect(kills[0].workingSetBytes).toBeGreaterThan(20 * MiB);
    expect(result.state.services[0]).toMatchObject({ oomKills: 1, status: 'stopped' });
    expect(events.some((e) => e.kind === 'target-missed' && e.detail.includes('OOM kill'))).toBe(true);

    const v = result.state.verdict!;
    expect(v.oomKills).toEqual([expect.objectContaining({ service: 'app', workingSetBytes: kills[0].workingSetBytes })]);
    const byName = Object.fromEntries(v.targets.map((t) => [t.name, t]));
    expect(byName.oom_kills).toMatchObject({ pass: false, measured: 1 });
    // The warm-up failed every request; the judged stage none: the error rate is judged on the latter only.
    expect(byName.error_rate).toMatchObject({ pass: true, measured: 0 });
    expect(byName.free_memory.pass).toBe(true);
    expect(byName.throughput.measured).toBeGreaterThan(40);
    expect(result.exitCode).toBe(EXIT.targetsMissed);

    // The live screen's checks agreed with the verdict at the last tick of the judged stage.
    const live = liveChecks(lastTick!);
    for (const name of ['error_rate', 'oom_kills', 'free_memory']) expect([name, live[name]?.pass]).toEqual([name, byName[name].pass]);

    // Files of the run, and nothing left behind: the driver was taken down, the cgroup and the work dir removed.
    const report = JSON.parse(readFileSync(path.join(result.runDir, 'report.json'), 'utf8')) as { exitCode: number };
    expect(report.exitCode).toBe(EXIT.targetsMissed);
    expect(readFileSync(path.join(result.runDir, 'events.csv'), 'utf8')).toContain('oom-kill');
    expect(driver.downs).toBe(1);
    expect(fake.leftovers()).toEqual([]);
    expect(existsSync(s.workDir)).toBe(false);
  }, 30_000);

  it('can be run again and again with the same parts (one Run per step)', async () => {
    const driver = new StubDriver();
    warm = true;
    // One signal for all of them, as a capacity review's: each Run takes its abort listener off when it ends.
    const shared = new AbortController().signal;
    for (let i = 0; i < 2; i++) {
      const short = parseScenario({ requests: [{ path: '/' }], stages: [{ name: 'steady', duration: 1, rate: 50 }] }, 'run.test.ts');
      const r = await new Run(spec({ reporter: {}, scenario: short, signal: shared }), { cgroups: fake.cgroups, driver, checkPorts: async () => undefined }).execute();
      expect(r.exitCode).toBe(EXIT.ok);
      expect(r.state.verdict?.targets.find((t) => t.name === 'oom_kills')?.pass).toBe(true);
      expect(getEventListeners(shared, 'abort')).toHaveLength(0);
    }
    expect(fake.leftovers()).toEqual([]);
  }, 30_000);

  it('stops on the signal with exit 130 and still tears down', async () => {
    const driver = new StubDriver();
    const ac = new AbortController();
    const r = await new Run(spec({ reporter: { onEvent: (e) => e.kind === 'stage-start' && ac.abort() }, signal: ac.signal }), {
      cgroups: fake.cgroups,
      driver,
      checkPorts: async () => undefined,
    }).execute();
    expect(r.exitCode).toBe(EXIT.interrupted);
    expect(r.state.verdict?.interrupted).toBe(true);
    expect(driver.downs).toBe(1);
    expect(fake.leftovers()).toEqual([]);
  }, 30_000);

  it('runs load alone with no cgroups and no driver (`--target`): no memory targets, no cgroup made', async () => {
    warm = true;
    const s = spec({ reporter: {}, meta: { target: server.url }, scenario: parseScenario({ requests: [{ path: '/' }], stages: [{ name: 'steady', duration: 1, rate: 50 }] }, 'run.test.ts') });
    const r = await new Run({ ...s, stack: { ...s.stack, capBytes: 0, services: [] } }).execute();
    expect(r.exitCode).toBe(EXIT.ok);
    expect(r.state.verdict?.targets.map((t) => t.name)).toEqual(['avg_latency', 'throughput', 'p99_latency', 'error_rate']);
    expect(JSON.parse(readFileSync(path.join(r.runDir, 'run.json'), 'utf8'))).toMatchObject({ target: server.url });
    expect(existsSync(path.join(fake.root, 'memory', 'simulate'))).toBe(false);
  }, 30_000);
});
