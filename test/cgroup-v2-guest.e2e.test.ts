/**
 * cgroup v2 for real, on a machine that has v1: test/v2-guest/run-in-guest.sh boots Debian's own kernel under
 * qemu (KVM where it works, else software emulation) with cgroup2 mounted as systemd mounts it, and runs
 * the guest suite (test/v2-guest/*.guest.ts) there. The same boot then runs the readings test against a copy
 * of the code with one wrong memory.stat field, and it must fail: the suite can tell a broken v2 reading.
 * (One boot, not two: under software emulation a boot costs about a minute.)
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..');
const RUNNER = path.join(REPO, 'test', 'v2-guest', 'run-in-guest.sh');

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (the guest image build and qemu 9p shares)';
  try {
    execFileSync('sh', ['-c', 'command -v qemu-system-x86_64'], { stdio: 'ignore' });
  } catch {
    return 'qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)';
  }
  if (!fs.readdirSync('/boot').some((f) => /^vmlinuz-.*-amd64$/.test(f))) return "no Debian kernel in /boot (apt-get install linux-image-amd64)";
  for (const tool of ['debootstrap', 'mkfs.ext4']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (apt-get install debootstrap e2fsprogs)`;
    }
  }
  return undefined;
}
const skip = skipReason();

/** Run the guest; resolve its exit code and everything it printed (also passed through to stderr). */
function runGuest(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [RUNNER, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (d: string) => {
      output += d;
      process.stderr.write(d);
    };
    // Decoded per stream: a chunk can end inside a multi-byte character (vitest's "×" is two bytes), and
    // decoding chunks one by one turned it into two U+FFFD, so the failure marker was not found (seen in CI).
    child.stdout.setEncoding('utf8').on('data', take);
    child.stderr.setEncoding('utf8').on('data', take);
    child.on('error', reject);
    // Without colour codes, so the summary lines can be matched.
    child.on('exit', (code) => resolve({ code, output: output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '') }));
  });
}

const GUEST_FILES = ['test/v2-guest/cgroup-v2.guest.ts', 'test/v2-guest/simulate-v2.guest.ts'];
const MUTATION = 'src/cgroups/memory-files.ts|s/inactiveFile: raw.inactive_file/inactiveFile: raw.active_file/';
const MUTATED_MARK = 'v2-guest: the mutated copy: ';

/** One boot for both tests: the guest suite on the checkout, then the readings test on the mutated copy. */
let guest: Promise<{ code: number | null; output: string; checkout: string; mutated: string }> | undefined;
function bootOnce() {
  guest ??= runGuest(['--then-mutate', MUTATION, 'test/v2-guest/cgroup-v2.guest.ts', '--', ...GUEST_FILES]).then((r) => {
    const at = r.output.indexOf(MUTATED_MARK);
    return { ...r, checkout: at === -1 ? r.output : r.output.slice(0, at), mutated: at === -1 ? '' : r.output.slice(at) };
  });
  return guest;
}

describe.skipIf(skip !== undefined)(`cgroup v2 in a qemu guest (${skip ?? "Debian's kernel"})`, () => {
  it('the v2 suite passes on a real v2 kernel', { timeout: 900_000 }, async () => {
    const { code, output, checkout } = await bootOnce();
    expect(output).toMatch(/guest booted under (kvm|tcg)/);
    expect(checkout).toMatch(/Test Files\s+2 passed \(2\)/);
    expect(checkout).toMatch(/Tests\s+9 passed \(9\)/);
    expect(code).toBe(0);
  });

  it('a wrong memory.stat field (active_file for inactive_file) makes the readings test fail', { timeout: 900_000 }, async () => {
    const { output, mutated } = await bootOnce();
    expect(output).toContain('mutated src/cgroups/memory-files.ts');
    expect(mutated, 'the guest ran the mutated copy').toContain(MUTATED_MARK);
    // Exactly the readings test fails (seen here: "expected 331776 to be greater than or equal to 54542336").
    expect(mutated).toMatch(/×.*working set = current − inactive_file/);
    expect(mutated).toMatch(/Tests\s+1 failed \| 5 passed \(6\)/);
    expect(mutated).toMatch(/v2-guest: mutated run exit 1\b/);
  });
});
