/**
 * The docker driver with the shipped profiles, against the real engine: every service a container whose
 * cgroup is under the capped parent, the same targets measured, kills reported by the engine's events and
 * confirmed by State.OOMKilled, restarts by the engine's policy, and nothing labelled left afterwards.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerAvailable, dockerImagesReady, setupDockerImages } from '../src/drivers/docker/index.ts';
import { loadProfile } from '../src/profile/load-profile.ts';
import { readCsv } from './helpers/csv.ts';
import { SHORT_SCENARIO } from './helpers/shared-runs.ts';
import { assertNothingLeft } from './helpers/leftovers.ts';
import { isRoot, simulate, upStack } from './helpers/stack.ts';

const engine = await dockerAvailable(undefined, 3000);
const skip = !isRoot ? 'needs root' : !engine.ok ? `needs a Docker engine (${engine.reason}); CI starts one with .ci/start-dockerd` : '';
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'simulate-docker-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

const lastRunDir = () =>
  fs
    .readdirSync(out)
    .map((d) => path.join(out, d))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
const labelled = () => execFileSync('docker', ['ps', '-aq', '--filter', 'label=simulate.run'], { encoding: 'utf8' }).trim();

describe.skipIf(!!skip)(`the profiles under --driver docker${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(async () => {
    // Builds the local images from Debian packages once (about two minutes), as `simulate setup --driver docker` does.
    if (!(await dockerImagesReady(loadProfile('full-elk'))).ok) await setupDockerImages(() => {});
  }, 900_000);

  it('4gb: every service a container under the 4 GiB parent, PostgreSQL started from the kept dataset; the targets measured; nothing left', async () => {
    const watch = (async () => {
      // While it runs: each container's cgroup parent is the run's capped cgroup.
      for (let i = 0; i < 300; i++) {
        const ids = execFileSync('docker', ['ps', '-q', '--filter', 'label=simulate.run'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
        if (ids.length >= 6) {
          const parents = ids.map((id) => execFileSync('docker', ['inspect', '-f', '{{.HostConfig.CgroupParent}}', id], { encoding: 'utf8' }).trim());
          const limit = fs.readFileSync(`/sys/fs/cgroup/memory${parents[0]}/memory.limit_in_bytes`, 'utf8').trim();
          return { parents, limit, ids };
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      return undefined;
    })();
    // Small data (the point is the path, not the size): the kept 64m dataset, copied cold into the postgres volume.
    // A fixed warm-up (SHORT_SCENARIO scaled to 25 s: 6 s at 360 req/s, 19 s judged), not 4gb's "until steady
    // state" (52 s of this 66 s run here): nothing below is about steady state (profiles.e2e's 4gb run checks
    // it). The judged cache hit rate still has to reach the 50 % target (seen here: 35 % one second into the
    // load, 55 % at 5 s, 69 % at 14 s; this run's judged 19 s: 59 %).
    const r = await simulate(['--profile', '4gb', '--driver', 'docker', '--data', '64m', '--scenario', SHORT_SCENARIO, '--duration', '25', '--out', out], { timeoutMs: 400_000 });
    const seen = await watch;
    expect(r.code, r.stderr.slice(-1500)).toBe(0);
    expect(seen, 'six containers seen while the run went').toBeDefined();
    expect(new Set(seen!.parents).size).toBe(1);
    expect(seen!.parents[0]).toMatch(/^\/simulate\/\d{8}-\d{6}-[0-9a-f]{4}$/);
    expect(seen!.limit).toBe(String(4 * 1024 ** 3));
    const report = JSON.parse(fs.readFileSync(path.join(lastRunDir(), 'report.json'), 'utf8'));
    expect(report.verdict.targets.map((t: { name: string }) => t.name)).toEqual(['avg_latency', 'throughput', 'p99_latency', 'error_rate', 'cache_hit_rate', 'growth', 'oom_kills', 'free_memory', 'lost_writes']);
    const runJson = JSON.parse(fs.readFileSync(path.join(lastRunDir(), 'run.json'), 'utf8'));
    expect(runJson.driver).toBe('docker');
    // The container's PostgreSQL ran on the copied dataset: run.json says what was copied and how cold it
    // was left, and the app found the data seeded already (it did not seed its small default instead).
    expect(runJson.dataset).toMatchObject({ key: expect.stringMatching(/^4gb-64m-/), rows: { messages: expect.any(Number) } });
    expect(runJson.dataset.copySeconds).toBeGreaterThan(0);
    expect(runJson.dataset.residentAfterCopy).toBeLessThan(0.05);
    expect(fs.readFileSync(path.join(lastRunDir(), 'logs', 'app.log'), 'utf8')).toMatch(/already seeded; skipping/);
    expect(runJson.database.sizeBytes).toBeGreaterThanOrEqual(runJson.dataset.databaseBytes * 0.9);
    expect(labelled()).toBe('');
    await assertNothingLeft();
  }, 420_000);

  it('up leaves the containers running after the command exits; down removes them', async () => {
    const stack = await upStack('test/fixtures/profiles/pg-redis.yml', { driver: 'docker' });
    try {
      const ids = execFileSync('docker', ['ps', '-q', '--filter', `label=simulate.run=${stack.runId}`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
      expect(ids).toHaveLength(2);
    } finally {
      await stack.down();
    }
    expect(labelled()).toBe('');
    await assertNothingLeft();
  }, 300_000);

  it('full-elk: OOM kills confirmed by the engine (exit 137, State.OOMKilled), restarts by its policy; nothing left', async () => {
    // The app's small seed and 20 s of load: the kills (the first a few seconds in) need neither data nor a steady state.
    const r = await simulate(['--profile', 'full-elk', '--driver', 'docker', '--data', 'none', '--scenario', SHORT_SCENARIO, '--out', out], { timeoutMs: 400_000 });
    expect(r.code, r.stderr.slice(-1500)).toBe(1);
    const events = readCsv(path.join(lastRunDir(), 'events.csv'));
    const kills = events.filter((e) => e.event === 'oom-kill');
    expect(kills.length).toBeGreaterThanOrEqual(1);
    // The engine's own word on each death: `die` with exit 137 and State.OOMKilled.
    const engineKills = events.filter((e) => e.event === 'service-exit' && /exited with code 137 \(OOM-killed\); restart policy unless-stopped/.test(e.detail));
    expect(engineKills.length).toBeGreaterThanOrEqual(1);
    for (const k of engineKills) expect(kills.some((x) => x.service === k.service)).toBe(true);
    const restarts = events.filter((e) => e.event === 'service-restart' && /restarted by the engine \(policy unless-stopped\)/.test(e.detail));
    expect(restarts.some((e) => engineKills.some((k) => k.service === e.service && Number(e.t_s) >= Number(k.t_s)))).toBe(true);
    expect(labelled()).toBe('');
    await assertNothingLeft();
  }, 420_000);
});
