import { describe, expect, it } from 'vitest';
import { WatchLines } from './remote-host-watch.ts';

const ID = 'a3f9c0d2e4b6a3f9c0d2e4b6a3f9c0d2e4b6a3f9c0d2e4b6a3f9c0d2e4b6a3f9';

describe('the remote host watch output', () => {
  it('reads PSI lines, and kernel OOM lines in /dev/kmsg form, split across chunks', () => {
    const w = new WatchLines();
    w.push('p some avg10=1.50 avg60=0.20 avg300=0.00 total=12345 full avg10=0.75 avg60=0.10 avg300=0.00 total=6789 \n', 1000);
    expect(w.psi).toEqual({ some: { avg10: 1.5, avg60: 0.2, avg300: 0, total: 12345 }, full: { avg10: 0.75, avg60: 0.1, avg300: 0, total: 6789 } });
    expect(w.psiAt).toBe(1000);
    // The two lines the kernel writes for a memcg kill (recorded on 6.18, test/fixtures/kernel-oom), as /dev/kmsg gives them.
    w.push(`k 3,2201,362584950,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/simulate/r1,task_memcg=/simulate/r1/${ID},task=python3,pid=17389,uid=0\nk 3,2202,362584976,-;Memory cgroup out of memo`);
    w.push('ry: Killed process 17389 (python3) total-vm:218656kB, anon-rss:65280kB, file-rss:5404kB, shmem-rss:0kB, UID:0 pgtables:188kB oom_score_adj:0\n');
    const [kill] = w.kills();
    expect(kill).toMatchObject({ pid: 17389, name: 'python3', memcg: '/simulate/r1', taskMemcg: `/simulate/r1/${ID}`, anonRss: 65280 * 1024 });
    expect(kill!.timestamp).toBeCloseTo(362.584976, 5);
    expect(w.kernelUnread).toBeUndefined();
  });

  it('says why the kernel log is not read, and when the server has no PSI', () => {
    const w = new WatchLines();
    w.push('k cat: /dev/kmsg: Operation not permitted\nk kmsg: cannot read /dev/kmsg (exit 1)\np none\n');
    expect(w.kernelUnread).toBe('kmsg: cannot read /dev/kmsg (exit 1)');
    expect(w.psiMissing).toBe(true);
    expect(w.kills()).toEqual([]);
  });
});
