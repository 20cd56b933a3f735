import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePsi, readPsi } from './psi.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../test/fixtures');

describe('parsePsi', () => {
  it('parses a v2 per-cgroup memory.pressure', async () => {
    const psi = await readPsi(path.join(FIXTURES, 'cgroup-v2/simulate/r-fixture/memory.pressure'));
    expect(psi).toEqual({
      // Recorded in the qemu guest (Debian 6.1 kernel) right after an OOM kill inside a 256 MiB cap.
      some: { avg10: 1.08, avg60: 0.19, avg300: 0.04, total: 121271 },
      full: { avg10: 1.08, avg60: 0.19, avg300: 0.04, total: 121271 },
    });
  });
  it('parses the system file recorded here (idle)', async () => {
    const psi = await readPsi(path.join(FIXTURES, 'psi-memory-idle.txt'));
    expect(psi?.some.avg10).toBe(0);
    expect(psi?.full).toBeDefined();
  });
  it('a file with only a some line (system cpu on older kernels)', () => {
    expect(parsePsi('some avg10=2.04 avg60=0.75 avg300=0.40 total=157656722\n')).toEqual({
      some: { avg10: 2.04, avg60: 0.75, avg300: 0.4, total: 157656722 },
    });
  });
  it('rejects text that is not PSI', () => {
    expect(() => parsePsi('hello')).toThrow(/not a PSI file/);
  });
});

describe('readPsi', () => {
  it('is undefined when the kernel has no such file', async () => {
    expect(await readPsi('/proc/pressure/does-not-exist')).toBeUndefined();
  });
  it('reads a file given as a parameter', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'psi-'));
    try {
      writeFileSync(path.join(dir, 'p'), 'some avg10=9.00 avg60=1.00 avg300=0.00 total=5\nfull avg10=1.00 avg60=0.00 avg300=0.00 total=2\n');
      expect((await readPsi(path.join(dir, 'p')))?.full?.total).toBe(2);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
  it.skipIf(!existsSync('/proc/pressure/memory'))('reads this machine\'s /proc/pressure/memory (skipped: kernel without PSI)', async () => {
    const psi = await readPsi();
    expect(psi?.some.total).toBeGreaterThanOrEqual(0);
  });
});
