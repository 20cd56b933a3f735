/**
 * The stand-ins hold the memory their model says, as the kernel counts it: each one runs inside a
 * memory cgroup of its own and the test reads the cgroup's counters (cgroup v1 memory.stat
 * `total_rss`), not what the stand-in says about itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ensureSwap, hostHasSwap } from './helpers/swap.ts';
import type { StandinModel } from '../src/profile/stack.ts';
import {
  STANDIN_ARGV,
  elasticsearchHeapBytes,
  elasticsearchModel,
  kibanaModel,
  logstashModel,
  standinEnv,
} from '../src/profile/standin-models.ts';

const MiB = 1024 * 1024;
const V1 = '/sys/fs/cgroup/memory';
const PARENT = `${V1}/simulate`;
const isRoot = process.getuid?.() === 0;
const hasV1Memory = existsSync(`${V1}/memory.limit_in_bytes`);
const canRun = isRoot && hasV1Memory;
// /proc/swaps lists a header line, then one line per active swap area.
// The swap test needs swap on the host: add a swap file when there is none (removed after the file's tests).
const undoSwap = isRoot ? ensureSwap('/var/tmp/simulate-standin-test.swap', '1G') : undefined;
afterAll(() => undoSwap?.());
const hasSwap = hostHasSwap();
const hasSwapAccounting = existsSync(`${V1}/memory.memsw.limit_in_bytes`);

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  base: string;
}

const cgroups: string[] = [];
const children: ChildProcess[] = [];
let createdParent = false;

async function makeCgroup(limitBytes?: number, swapBytes = 0): Promise<string> {
  if (!existsSync(PARENT)) {
    await mkdir(PARENT);
    createdParent = true;
  }
  const dir = `${PARENT}/standin-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await mkdir(dir);
  cgroups.push(dir);
  if (limitBytes !== undefined) {
    await writeFile(`${dir}/memory.limit_in_bytes`, String(limitBytes));
    // No swap on top of the cap unless asked, so the kernel kills rather than swaps (the file exists only with swap accounting).
    if (existsSync(`${dir}/memory.memsw.limit_in_bytes`)) await writeFile(`${dir}/memory.memsw.limit_in_bytes`, String(limitBytes + swapBytes));
  }
  return dir;
}

async function stat(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await readFile(`${dir}/memory.stat`, 'utf8')).split('\n')) {
    const [key, value] = line.split(' ');
    if (key && value) out[key] = Number(value);
  }
  return out;
}

async function oomKills(dir: string): Promise<number> {
  const text = await readFile(`${dir}/memory.oom_control`, 'utf8');
  return Number(/^oom_kill (\d+)/m.exec(text)?.[1] ?? 0);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Start the stand-in inside `dir`: the shell joins the cgroup, then execs python, so every page is charged there. */
async function startStandin(dir: string, model: StandinModel): Promise<Started> {
  const port = await freePort();
  const [python, program] = STANDIN_ARGV as [string, string];
  const child = spawn('sh', ['-c', `echo $$ > ${dir}/cgroup.procs && exec ${python} ${program}`], {
    env: { PATH: '/usr/bin:/bin', ...standinEnv(model, port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const base = `http://127.0.0.1:${port}`;
  let dead = false;
  void exited.then(() => (dead = true));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (dead) throw new Error(`stand-in exited before it was healthy:\n${output}`);
    if (Date.now() > deadline) throw new Error(`stand-in not healthy after 30 s:\n${output}`);
    try {
      const res = await fetch(base + model.health);
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not listening yet: it holds its baseline first
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => output, exited, base };
}

/** From /proc/<pid>/stat: major faults (field 12) and CPU time in clock ticks (utime 14 + stime 15). */
async function procStat(pid: number): Promise<{ majflt: number; cpuTicks: number }> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: field 3 is index 0.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
  return { majflt: fields[12 - 3]!, cpuTicks: fields[14 - 3]! + fields[15 - 3]! };
}

const NO_TOUCHING = { touchBytesPerS: 0, touchPerIngestedByte: 0, fullSweepS: 0 };

function ndjsonBulk(totalBytes: number, index = 'logs'): Uint8Array<ArrayBuffer> {
  const action = JSON.stringify({ index: { _index: index } });
  const message = 'x'.repeat(1000);
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < totalBytes; i++) {
    const doc = JSON.stringify({ '@timestamp': new Date(0).toISOString(), i, message });
    lines.push(action, doc);
    size += action.length + doc.length + 2;
  }
  return new TextEncoder().encode(lines.join('\n') + '\n');
}

function expectWithin(actual: number, expected: number, share: number, what: string): void {
  const diff = Math.abs(actual - expected) / expected;
  expect(diff, `${what}: ${(actual / MiB).toFixed(1)} MiB vs model ${(expected / MiB).toFixed(1)} MiB`).toBeLessThanOrEqual(share);
}

function smallModel(of: StandinModel['of'], extra: Partial<StandinModel> = {}): StandinModel {
  const base = of === 'elasticsearch' ? elasticsearchModel() : of === 'logstash' ? logstashModel() : kibanaModel();
  return {
    ...base,
    baselineBytes: 64 * MiB,
    growthPerByte: 1.0,
    ceilingBytes: 512 * MiB,
    ...extra,
    settings: { ...base.settings, autoHeap: 0, ceilingAction: 'hold', ...extra.settings },
  };
}

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  for (const dir of cgroups.splice(0).reverse()) {
    if (!existsSync(dir)) continue;
    // Kill anything still inside (the stand-in or a stray child), then wait until the cgroup empties.
    for (let i = 0; i < 50; i++) {
      const pids = (await readFile(`${dir}/cgroup.procs`, 'utf8')).split('\n').filter(Boolean).map(Number);
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await rmdir(dir);
  }
  if (createdParent) {
    createdParent = false;
    try {
      await rmdir(PARENT);
    } catch {
      // another run's cgroups are still in it: leave it to them
    }
  }
});

describe.skipIf(!canRun)('stand-in memory in a cgroup (needs root and the cgroup v1 memory controller)', () => {
  it('holds its baseline at start and grows by growthPerByte x ingested bytes, as the cgroup counts it', async () => {
    const dir = await makeCgroup();
    const model = smallModel('elasticsearch');
    const s = await startStandin(dir, model);

    const health = await fetch(`${s.base}/_cluster/health`);
    expect(health.headers.get('x-standin')).toBe('true');
    expect(await health.json()).toMatchObject({ status: 'green', standin: true });

    const atStart = (await stat(dir)).total_rss!;
    expectWithin(atStart, model.baselineBytes, 0.1, 'rss at start');

    const body = ndjsonBulk(50 * MiB);
    const res = await fetch(`${s.base}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-standin')).toBe('true');
    const result = (await res.json()) as { errors: boolean; items: unknown[] };
    expect(result.errors).toBe(false);
    expect(result.items.length).toBe(new TextDecoder().decode(body).split('\n').filter(Boolean).length / 2);

    const expected = model.baselineBytes + model.growthPerByte * body.length;
    const after = (await stat(dir)).total_rss!;
    expectWithin(after, expected, 0.1, 'rss after 50 MB ingested');
    // It grew by about what it ingested, not by some unrelated amount that happens to fit 10 %.
    expectWithin(after - atStart, model.growthPerByte * body.length, 0.15, 'growth');

    const count = (await (await fetch(`${s.base}/logs/_count`)).json()) as { count: number };
    expect(count.count).toBe(result.items.length);

    s.child.kill('SIGTERM');
    expect(await s.exited).toEqual({ code: 0, signal: null });
    expect(s.output()).toMatch(/standin\[elasticsearch\] exit code=0/);
  });

  it.each([{ capMiB: 1024 }, { capMiB: 4096 }])('Elasticsearch auto heap in a $capMiB MiB cap: half of (limit - 100 MiB), 40 per cent below 1 GiB, pre-touched', async ({ capMiB }) => {
    const cap = capMiB * MiB;
    const dir = await makeCgroup(cap);
    // The default model, computed for this cap, is what the stand-in must reach from the cgroup files alone.
    const model = elasticsearchModel({ capBytes: cap });
    expect(elasticsearchHeapBytes(1024 * MiB)).toBe(Math.floor((0.4 * 924 * MiB) / MiB) * MiB);
    expect(elasticsearchHeapBytes(4096 * MiB)).toBe(1998 * MiB);
    const s = await startStandin(dir, model);
    const memory = (await (await fetch(`${s.base}/_standin/memory`)).json()) as Record<string, number>;
    expect(memory.cgroup_limit_bytes).toBe(cap);
    expect(memory.heap_bytes).toBe(elasticsearchHeapBytes(cap));
    expectWithin((await stat(dir)).total_rss!, model.baselineBytes, 0.1, 'rss with auto heap');
  });

  it('ceiling action oom: keeps allocating past the ceiling until the kernel kills it in its cgroup', async () => {
    const cap = 96 * MiB;
    const dir = await makeCgroup(cap);
    const model = smallModel('elasticsearch', {
      baselineBytes: 64 * MiB,
      ceilingBytes: 80 * MiB,
      settings: { ceilingAction: 'oom' },
    });
    const s = await startStandin(dir, model);
    expectWithin((await stat(dir)).total_rss!, model.baselineBytes, 0.1, 'rss at start');
    expect(await oomKills(dir)).toBe(0);

    // 24 MB takes the model to 88 MiB, past the 80 MiB ceiling; the runaway then meets the 96 MiB cap.
    await fetch(`${s.base}/_bulk`, { method: 'POST', body: ndjsonBulk(24 * MiB) }).catch(() => undefined);
    const exit = await Promise.race([s.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000))]);
    expect(exit, s.output()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await oomKills(dir)).toBeGreaterThanOrEqual(1);
    expect(s.output()).toMatch(/ceiling action=oom/);
  });

  it('ceiling action exit: logs an OutOfMemoryError and exits 127, as Elasticsearch halts the JVM', async () => {
    const dir = await makeCgroup();
    const model = smallModel('elasticsearch', {
      baselineBytes: 32 * MiB,
      ceilingBytes: 40 * MiB,
      settings: { ceilingAction: 'exit', exitCode: 127 },
    });
    const s = await startStandin(dir, model);
    await fetch(`${s.base}/_bulk`, { method: 'POST', body: ndjsonBulk(16 * MiB) }).catch(() => undefined);
    expect(await s.exited).toEqual({ code: 127, signal: null });
    expect(s.output()).toMatch(/java\.lang\.OutOfMemoryError/);
    expect(await oomKills(dir)).toBe(0);
  });

  it('ceiling action hold: stops growing at the ceiling', async () => {
    const dir = await makeCgroup();
    const model = smallModel('elasticsearch', { baselineBytes: 64 * MiB, ceilingBytes: 80 * MiB });
    const s = await startStandin(dir, model);
    const res = await fetch(`${s.base}/_bulk`, { method: 'POST', body: ndjsonBulk(40 * MiB) });
    expect(res.status).toBe(200);
    expectWithin((await stat(dir)).total_rss!, model.ceilingBytes, 0.1, 'rss held at the ceiling');
  });

  it('touching (STANDIN_TOUCH_BYTES_PER_S) keeps the cgroup rss at the model and costs CPU time', async () => {
    const rate = 2048 * MiB;
    const touchedDir = await makeCgroup();
    const model = smallModel('elasticsearch', { settings: { activeFraction: 1, touchBytesPerS: rate, touchPerIngestedByte: 0, fullSweepS: 1 } });
    const touched = await startStandin(touchedDir, model);
    // The same stand-in without touching: what an idle one costs, so the difference is the touching.
    const idleDir = await makeCgroup();
    const idle = await startStandin(idleDir, smallModel('elasticsearch', { settings: NO_TOUCHING }));

    const before = [await procStat(touched.child.pid!), await procStat(idle.child.pid!)] as const;
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 4000));
    const after = [await procStat(touched.child.pid!), await procStat(idle.child.pid!)] as const;
    const seconds = (Date.now() - started) / 1000;

    expectWithin((await stat(touchedDir)).total_rss!, model.baselineBytes, 0.1, 'rss while touching');
    const memory = (await (await fetch(`${touched.base}/_standin/memory`)).json()) as Record<string, number | boolean>;
    expect(memory.touching).toBe(true);
    // The stand-in's own count: about rate x time (at least half of it; rounds are 50 ms apart).
    expect(memory.touched_bytes as number).toBeGreaterThan(0.5 * rate * seconds);
    // A full sweep a second reads every held page.
    expect(memory.full_sweeps as number).toBeGreaterThanOrEqual(3);
    expect(memory.swept_bytes as number).toBeGreaterThanOrEqual(3 * (memory.held_bytes as number));
    const touchedCpu = after[0].cpuTicks - before[0].cpuTicks;
    const idleCpu = after[1].cpuTicks - before[1].cpuTicks;
    expect(touchedCpu, `CPU ticks in ${seconds} s: touching ${touchedCpu}, idle ${idleCpu}`).toBeGreaterThanOrEqual(idleCpu + 3);
    const idleMemory = (await (await fetch(`${idle.base}/_standin/memory`)).json()) as Record<string, unknown>;
    expect(idleMemory.touching).toBe(false);
  });

  it.skipIf(!hasSwap || !hasSwapAccounting)(
    'under swap the touched pages come back: the cgroup swaps and the stand-in takes major faults (needs swap on the host and swap accounting)',
    async () => {
      const cap = 96 * MiB;
      const swap = 64 * MiB;
      // 128 MiB held in 96 MiB of memory: about a third of it must be in swap. Only the rolling writes
      // run here: adding a full sweep every 2 s on top of them sometimes (1 run in 6) made the kernel
      // give up reclaiming and OOM-kill the cgroup, which is the kernel's behaviour, not this test's subject.
      const touchedDir = await makeCgroup(cap, swap);
      const touched = await startStandin(
        touchedDir,
        smallModel('elasticsearch', { baselineBytes: 128 * MiB, settings: { activeFraction: 1, touchBytesPerS: 32 * MiB, touchPerIngestedByte: 0, fullSweepS: 0 } }),
      );
      // The same without touching: its swapped pages stay out, which is what the model used to do.
      const idleDir = await makeCgroup(cap, swap);
      const idle = await startStandin(idleDir, smallModel('elasticsearch', { baselineBytes: 128 * MiB, settings: NO_TOUCHING }));

      const before = [await procStat(touched.child.pid!), await procStat(idle.child.pid!)] as const;
      await new Promise((r) => setTimeout(r, 5000));
      for (const [s, dir] of [[touched, touchedDir], [idle, idleDir]] as const) {
        // Swapping is slow, not fatal: both are still running, and the kernel killed nothing.
        expect(s.child.exitCode === null && s.child.signalCode === null, `exited (oom kills ${await oomKills(dir)}):\n${s.output()}`).toBe(true);
        expect(await oomKills(dir)).toBe(0);
      }
      const after = [await procStat(touched.child.pid!), await procStat(idle.child.pid!)] as const;

      const touchedStat = await stat(touchedDir);
      expect(touchedStat.total_swap, 'the touched stand-in is partly in swap').toBeGreaterThan(0);
      expect((await stat(idleDir)).total_swap, 'the idle stand-in is partly in swap').toBeGreaterThan(0);
      const touchedFaults = after[0].majflt - before[0].majflt;
      const idleFaults = after[1].majflt - before[1].majflt;
      const detail = `major faults in 5 s: touching ${touchedFaults}, idle ${idleFaults}; swap ${(touchedStat.total_swap! / MiB).toFixed(1)} MiB`;
      expect(touchedFaults, detail).toBeGreaterThan(100);
      expect(touchedFaults, detail).toBeGreaterThan(5 * idleFaults);
    },
    60_000,
  );

  it('the log pipeline: Logstash forwards what it receives to Elasticsearch, Kibana polls Elasticsearch', async () => {
    const esDir = await makeCgroup();
    const es = await startStandin(esDir, smallModel('elasticsearch', { baselineBytes: 32 * MiB }));
    const lsDir = await makeCgroup();
    const ls = await startStandin(
      lsDir,
      smallModel('logstash', { baselineBytes: 32 * MiB, settings: { forwardUrl: `${es.base}/_bulk` } }),
    );
    const kbDir = await makeCgroup();
    const kb = await startStandin(
      kbDir,
      smallModel('kibana', { baselineBytes: 32 * MiB, settings: { pollUrl: `${es.base}/_cluster/health`, pollIntervalS: 0.2 } }),
    );

    const events = Array.from({ length: 100 }, (_, i) => JSON.stringify({ path: '/items', status: 200, i })).join('\n');
    const res = await fetch(`${ls.base}/`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: events });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-standin')).toBe('true');

    let count = 0;
    for (let i = 0; i < 50 && count < 100; i++) {
      count = ((await (await fetch(`${es.base}/logs/_count`)).json()) as { count: number }).count;
      if (count < 100) await new Promise((r) => setTimeout(r, 100));
    }
    expect(count).toBe(100);

    const status = await fetch(`${kb.base}/api/status`);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ status: { overall: { level: 'available' } }, standin: true });

    // Elasticsearch gone: Kibana says so within a few polls, with 503 as the real one does.
    es.child.kill('SIGKILL');
    await es.exited;
    let code = 200;
    for (let i = 0; i < 50 && code === 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const r = await fetch(`${kb.base}/api/status`);
      await r.arrayBuffer();
      code = r.status;
    }
    expect(code).toBe(503);
  });
});
