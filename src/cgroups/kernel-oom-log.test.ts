import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseKernelOomLines } from './kernel-oom-log.ts';

const recorded = readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/kernel-oom/dmesg-memcg-v1-6.18.txt'), 'utf8');

const recordedV2 = readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/kernel-oom/dmesg-memcg-v2-6.1.0-57-amd64.txt'), 'utf8');

describe('parseKernelOomLines', () => {
  it('reads the kill recorded on a cgroup v2 kernel (Debian 6.1, in the qemu guest)', () => {
    expect(parseKernelOomLines(recordedV2)).toEqual([
      {
        pid: 229,
        name: 'python3',
        memcg: '/simulate/r-v2suite',
        taskMemcg: '/simulate/r-v2suite/hog',
        constraint: 'CONSTRAINT_MEMCG',
        uid: 0,
        timestamp: 41.799596,
        anonRss: 192996 * 1024,
      },
    ]);
  });

  it('reads the kill recorded on this machine (kernel 6.18, cgroup v1)', () => {
    expect(parseKernelOomLines(recorded)).toEqual([
      {
        pid: 17389,
        name: 'python3',
        memcg: '/simulate/rec-oom',
        taskMemcg: '/simulate/rec-oom/hog',
        constraint: 'CONSTRAINT_MEMCG',
        uid: 0,
        timestamp: 362.584976,
        anonRss: 65280 * 1024,
      },
    ]);
  });

  it('pairs each Killed line with its own oom-kill line when kills follow each other', () => {
    const text = [
      '[ 10.000001] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/simulate/r-1,task_memcg=/simulate/r-1/elasticsearch,task=java,pid=501,uid=1000',
      '[ 10.000002] Memory cgroup out of memory: Killed process 501 (java) total-vm:4000000kB, anon-rss:1048576kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:4000kB oom_score_adj:0',
      '[ 12.5] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/simulate/r-1,task_memcg=/simulate/r-1/app,task=uvicorn worker,pid=777,uid=0',
      '[ 12.6] Memory cgroup out of memory: Killed process 777 (uvicorn worker) total-vm:1kB, anon-rss:2kB, file-rss:0kB',
    ].join('\n');
    const kills = parseKernelOomLines(text);
    expect(kills.map((k) => [k.pid, k.name, k.taskMemcg, k.uid])).toEqual([
      [501, 'java', '/simulate/r-1/elasticsearch', 1000],
      [777, 'uvicorn worker', '/simulate/r-1/app', 0],
    ]);
  });

  it('a system-wide OOM has no memcg; lines without timestamps still parse', () => {
    const text = [
      'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/user.slice,task=stress,pid=42,uid=0',
      'Out of memory: Killed process 42 (stress) total-vm:100kB, anon-rss:90kB, file-rss:0kB, shmem-rss:0kB, UID:0',
    ].join('\n');
    expect(parseKernelOomLines(text)).toEqual([
      { pid: 42, name: 'stress', taskMemcg: '/user.slice', constraint: 'CONSTRAINT_NONE', uid: 0, anonRss: 90 * 1024 },
    ]);
  });

  it('ignores the report lines around a kill, and text with no kill', () => {
    expect(parseKernelOomLines('[ 1.0] python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0\n[ 1.1] memory: usage 65536kB, limit 65536kB, failcnt 0')).toEqual([]);
  });
});
