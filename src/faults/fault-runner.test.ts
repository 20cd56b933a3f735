import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MemoryCgroup } from '../cgroups/cgroup.ts';
import type { Driver, ServiceAction } from '../drivers/driver.ts';
import type { RunEvent } from '../model/index.ts';
import type { Stack } from '../profile/stack.ts';
import { FaultRunner, prepareProxies } from './fault-runner.ts';
import { parseFaultText } from './fault-spec.ts';
import { MemoryHog } from './memory-hog.ts';

function fakeDriver(log: string[]): Driver {
  return {
    name: 'process',
    up: async () => [],
    down: async () => undefined,
    handles: () => [],
    inject: async (service: string, action: ServiceAction) => {
      log.push(`${action} ${service}`);
      if (service === 'ghost') throw new Error('ghost is not running in this run');
      return `${action} done`;
    },
  };
}

const noProxies = { byService: new Map(), close: async () => undefined };

describe('FaultRunner', () => {
  it('starts each fault at its second, undoes lasting ones at their end, and says so on the timeline', async () => {
    const calls: string[] = [];
    const events: Array<Pick<RunEvent, 'kind' | 'service' | 'detail'>> = [];
    const runner = new FaultRunner({
      faults: ['kill postgres@0.1s', 'pause redis@0.2s+0.2s', 'kill ghost@0.1s'].map(parseFaultText),
      driver: fakeDriver(calls),
      parent: {} as MemoryCgroup,
      runDir: '/nonexistent',
      proxies: noProxies,
      emit: (e) => events.push({ kind: e.kind, service: e.service, detail: e.detail }),
    });
    runner.start(Date.now());
    await new Promise((r) => setTimeout(r, 600));
    const windows = await runner.finish();
    expect(calls).toEqual(['kill postgres', 'kill ghost', 'pause redis', 'resume redis']);
    expect(events.map((e) => `${e.kind} ${e.service}`)).toEqual([
      'fault-start postgres', 'fault-end postgres', 'fault-start ghost', 'fault-start redis', 'fault-end redis',
    ]);
    expect(events[2]!.detail).toMatch(/could not be injected: ghost is not running/);
    const pause = windows.find((w) => w.text.startsWith('pause'))!;
    expect(pause.endAt - pause.startAt).toBeGreaterThanOrEqual(180);
    expect(windows.find((w) => w.text.startsWith('kill ghost'))!.error).toMatch(/not running/);
  });

  it('finish() undoes a fault still active when the load ends, and starts nothing more', async () => {
    const calls: string[] = [];
    const runner = new FaultRunner({ faults: ['pause redis@0s+60s', 'kill app@30s'].map(parseFaultText), driver: fakeDriver(calls), parent: {} as MemoryCgroup, runDir: '/x', proxies: noProxies, emit: () => undefined });
    runner.start(Date.now());
    await new Promise((r) => setTimeout(r, 100));
    await runner.finish();
    expect(calls).toEqual(['pause redis', 'resume redis']);
  });

  it('puts a proxy in front of a service for a latency fault and refuses one no traffic would pass through', async () => {
    const target = net.createServer((s) => s.on('data', (d) => s.write(d)));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    const port = (target.address() as net.AddressInfo).port;
    const svc = (name: string, env: Record<string, string>, p?: number) => ({ name, environment: env, ports: p ? [{ host: p, container: p, hostIp: '127.0.0.1' }] : [], launch: { env: { ...env } } });
    const stack = { services: [svc('redis', {}, port), svc('app', { REDIS_PORT: String(port) })] } as unknown as Stack;
    const info: string[] = [];
    const proxies = await prepareProxies(stack, [parseFaultText('latency redis 50ms@1s')], (e) => info.push(e.detail));
    try {
      const proxy = proxies.byService.get('redis')!;
      expect(stack.services[1]!.environment.REDIS_PORT).toBe(String(proxy.port));
      expect(info[0]).toMatch(new RegExp(`fault proxy 127.0.0.1:${proxy.port} -> 127.0.0.1:${port} \\(user space: this kernel has no netem\\); app REDIS_PORT`));
    } finally {
      await proxies.close();
    }
    const lonely = { services: [svc('redis', {}, port), svc('app', {})] } as unknown as Stack;
    await expect(prepareProxies(lonely, [parseFaultText('loss redis 5%@1s')], () => undefined)).rejects.toThrow(/no other service names redis's port/);
    target.close();
  });

  it("times a hog's hold from when its cgroup holds the size, not from its start", async () => {
    // A stand-in cgroup: its procs files are plain files (the hog's shell writes its pid there) and its
    // usage reaches the size only 600 ms after the hog starts, as a claim slowed by reclaim would.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simulate-hog-'));
    const bytes = 4 * 1024 * 1024;
    let born = 0;
    const hogCgroup = {
      path: '/simulate/x/fault-hog-1',
      procsFiles: () => [path.join(dir, 'cgroup.procs')],
      stats: async () => {
        const usage = born && Date.now() - born >= 600 ? bytes : 1024 * 1024;
        return { usage, peak: usage, oomKills: 0 };
      },
      destroy: async () => undefined,
    };
    const MiB = 1024 * 1024;
    const parent = {
      child: async () => ((born = Date.now()), hogCgroup),
      stats: async () => ({ usage: 300 * MiB, rss: 100 * MiB, activeFile: 50 * MiB, inactiveFile: 100 * MiB, limit: 256 * MiB }),
    } as unknown as MemoryCgroup;
    const events: Array<Pick<RunEvent, 'kind' | 'detail'> & { at: number }> = [];
    const runner = new FaultRunner({ faults: [parseFaultText('hog 4m@0s+0.3s')], driver: fakeDriver([]), parent, runDir: dir, proxies: noProxies, emit: (e) => events.push({ kind: e.kind, detail: e.detail, at: Date.now() }) });
    fs.mkdirSync(path.join(dir, 'logs'));
    try {
      runner.start(Date.now());
      await new Promise((r) => setTimeout(r, 1500));
      const [w] = await runner.finish();
      expect(events.map((e) => e.kind)).toEqual(['fault-start', 'info', 'fault-end']);
      expect(events[0]!.detail).toMatch(/stress-ng \(pid \d+\) claims 0\.00 GiB in \/simulate\/x\/fault-hog-1, inside the stack's cap; held 0\.3 s once claimed; the stack held 0\.15 GiB .* fits under the 0\.25 GiB cap \(102 MB to spare\)/);
      expect(events[1]!.detail).toMatch(/holds 0\.00 GiB \(its cgroup's usage\) 0\.[6-9] s after it started; the hold starts now/);
      expect(events[2]!.detail).toMatch(/stress-ng stopped, held at most 0\.00 GiB \(4 MB, its cgroup's peak\); not OOM-killed \(the stack's page cache as it let go: 150 MB\)/);
      expect(events[2]!.at - events[1]!.at).toBeGreaterThanOrEqual(280);
      expect(w!.endAt - w!.startAt).toBeGreaterThanOrEqual(880);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says how far a hog got when it did not hold its size', () => {
    const GiB = 1024 ** 3;
    expect(MemoryHog.claimLine({ reached: false, ended: true, heldBytes: 2.5 * GiB, afterMs: 7400 }, 3 * GiB)).toBe('ended 7.4 s after it started, having held at most 2.50 GiB of 3.00 GiB');
    expect(MemoryHog.claimLine({ reached: false, ended: false, heldBytes: 2.9 * GiB, afterMs: 30000 }, 3 * GiB)).toMatch(/^held 2\.90 GiB of 3\.00 GiB after 30\.0 s/);
  });
});
