import { describe, expect, it } from 'vitest';
import { capScript, uncapScript } from './remote-cap.ts';

describe('the cap helper\'s scripts', () => {
  it('v1: makes the memory cgroup, writes the limit (and memsw when the kernel has it), prints it back', () => {
    const s = capScript('1', '/simulate/r1', 4294967296, 0).split('\n');
    expect(s).toContain("mkdir -p '/host-cgroup/memory/simulate/r1'");
    expect(s).toContain("echo 4294967296 > '/host-cgroup/memory/simulate/r1/memory.limit_in_bytes'");
    expect(s).toContain("echo 4294967296 > '/host-cgroup/memory/simulate/r1/memory.memsw.limit_in_bytes' 2>/dev/null || true");
    expect(s.at(-1)).toBe("cat '/host-cgroup/memory/simulate/r1/memory.limit_in_bytes'");
  });

  it('v2: hands the memory controller down every level before writing memory.max', () => {
    const s = capScript('2', '/simulate/r1', 1073741824, 0).split('\n');
    const enable = s.filter((l) => l.includes('subtree_control'));
    expect(enable).toEqual([
      "echo +memory > '/host-cgroup/cgroup.subtree_control' 2>/dev/null || true",
      "echo +memory > '/host-cgroup/simulate/cgroup.subtree_control' 2>/dev/null || true",
      "echo +memory > '/host-cgroup/simulate/r1/cgroup.subtree_control' 2>/dev/null || true",
    ]);
    expect(s.indexOf("mkdir -p '/host-cgroup/simulate/r1'")).toBeLessThan(s.indexOf(enable[0]!));
    expect(s).toContain("echo 1073741824 > '/host-cgroup/simulate/r1/memory.max'");
  });

  it('removes the run\'s cgroup in every v1 hierarchy, then the shared parent when empty', () => {
    const s = uncapScript('1', '/simulate/r1');
    expect(s).toContain('for d in /host-cgroup/*/simulate/r1; do');
    expect(s).toContain('for d in /host-cgroup/*/simulate; do rmdir "$d" 2>/dev/null; done');
  });
});
