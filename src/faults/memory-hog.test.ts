import { describe, expect, it } from 'vitest';
import { fitLine, hogArgv } from './memory-hog.ts';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('fitLine: does SIZE fit beside what the stack holds for good?', () => {
  // The two docker runs measured here (4gb, 3 GB dataset, steady state): 20 PostgreSQL backends and 7.
  it('1.27 GiB held + 3 GiB > 4 GiB: the kernel must OOM-kill', () => {
    const line = fitLine(3 * GiB, { usage: 3474 * MiB, rss: 979 * MiB, activeFile: 393 * MiB, inactiveFile: 1777 * MiB, limit: 4 * GiB });
    expect(line).toMatch(/^the stack held 1\.27 GiB the kernel cannot take back without swap \(979 MB anonymous, 325 MB shared and kernel memory\) and 2170 MB of page cache: 3\.00 GiB \+ 1\.27 GiB = 4\.27 GiB > the 4\.00 GiB cap, so reclaiming page cache cannot make room: the kernel must OOM-kill$/);
  });
  it('0.98 GiB held + 3 GiB fits: only page cache is taken', () => {
    const line = fitLine(3 * GiB, { usage: 2791 * MiB, rss: 700 * MiB, activeFile: 700 * MiB, inactiveFile: 1086 * MiB, limit: 4 * GiB });
    expect(line).toMatch(/3\.00 GiB \+ 0\.98 GiB = 3\.98 GiB fits under the 4\.00 GiB cap \(19 MB to spare\) if the kernel takes the page cache back/);
  });
  it('no cap: says so', () => {
    expect(fitLine(GiB, { usage: GiB, rss: GiB, activeFile: 0, inactiveFile: 0, limit: Infinity })).toMatch(/; no cap$/);
  });
});

describe('hogArgv', () => {
  it('claims once and holds, the kernel choosing as for any process', () => {
    const argv = hogArgv(3 * GiB, 40);
    expect(argv.join(' ')).toBe('stress-ng --vm 1 --vm-bytes 3145728k --vm-keep --vm-hang 0 --vm-populate --vm-madvise normal --oomable --no-oom-adjust --timeout 40s --metrics-brief');
  });
});
