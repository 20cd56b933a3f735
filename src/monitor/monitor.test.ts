import { describe, expect, it } from 'vitest';
import type { MemoryCgroup, MemoryStats } from '../cgroups/cgroup.ts';
import type { ServiceHandle } from '../drivers/driver.ts';
import type { RunEvent } from '../model/index.ts';
import { testService } from '../../test/helpers/stack-model.ts';
import { Monitor } from './monitor.ts';

const stats = (oomKills: number): MemoryStats => ({ usage: 100, workingSet: 100, rss: 100, cache: 0, inactiveFile: 0, activeFile: 0, swap: 0, peak: 100, failcnt: 0, oomKills, limit: 1000 });

/** A cgroup whose counter reads `oomKills`, after `beforeResolve` ran (a restart landing mid-read). */
function cgroup(oomKills: () => number, beforeResolve: () => void = () => undefined): MemoryCgroup {
  return {
    path: '/simulate/r/app',
    dir: '/nonexistent',
    stats: async () => {
      const s = stats(oomKills());
      beforeResolve();
      return s;
    },
  } as unknown as MemoryCgroup;
}

function monitor(handle: ServiceHandle, events: RunEvent[]) {
  return new Monitor({
    parent: cgroup(() => 0),
    handles: () => [handle],
    emit: (e) => events.push({ at: 0, t: 0, ...e } as RunEvent),
    onSample: () => undefined,
    intervalMs: 1000,
  });
}

describe('Monitor OOM-kill counting', () => {
  it('turns a rise of the counter into one event per kill, once', async () => {
    let counter = 0;
    const h: ServiceHandle = { name: 'app', spec: testService('app'), cgroup: cgroup(() => counter), oomKillsReported: 0 };
    const events: RunEvent[] = [];
    const m = monitor(h, events);
    await m.sample();
    counter = 2;
    await m.sample();
    await m.sample();
    expect(events.filter((e) => e.kind === 'oom-kill').map((e) => e.workingSetBytes)).toEqual([100, 100]);
    expect(h.oomKillsReported).toBe(2);
  });

  it('does not count an old counter again when the service restarted during the read (fresh cgroup, counter 0)', async () => {
    const h: ServiceHandle = { name: 'app', spec: testService('app'), cgroup: undefined as never, oomKillsReported: 1, incarnation: 0 };
    // The read sees the old cgroup's counter (1); before it returns, the engine restarts the container.
    h.cgroup = cgroup(
      () => 1,
      () => {
        h.incarnation = 1;
        h.oomKillsReported = 0;
      },
    );
    const events: RunEvent[] = [];
    await monitor(h, events).sample();
    expect(events.filter((e) => e.kind === 'oom-kill')).toEqual([]);
  });
});
