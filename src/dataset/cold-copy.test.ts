/**
 * The kept dataset reaches the stack cold: after copyCold, the copied files' pages are not in the page
 * cache (checked with util-linux's fincore, which calls mincore(2), not with the vmtouch that evicted
 * them), so every page PostgreSQL reads is charged to the capped stack. A plain copy, by contrast,
 * leaves them resident: the check can fail.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyCold } from './cold-copy.ts';

const have = (cmd: string) => {
  try {
    execFileSync('which', [cmd], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const tools = have('vmtouch') && have('fincore');

/** Bytes of `file` in the page cache, as mincore(2) reports them. */
function resident(file: string): number {
  const [res] = execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', file], { encoding: 'utf8' }).trim().split(/\s+/);
  return Number(res);
}

const base = fs.mkdtempSync(path.join('/var/tmp', 'simulate-cold-copy-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe.skipIf(!tools)(`copying a kept dataset${tools ? '' : ' (skipped: needs vmtouch and fincore: apt-get install vmtouch util-linux)'}`, () => {
  const src = path.join(base, 'kept', 'pgdata', 'base', '16384');
  fs.mkdirSync(src, { recursive: true });
  for (const name of ['16385', '16385.1']) fs.writeFileSync(path.join(src, name), crypto.randomBytes(8 * 1024 * 1024));

  it('a plain copy leaves the data files resident (what the stack would get for free)', () => {
    const to = path.join(base, 'plain');
    execFileSync('cp', ['-a', path.join(base, 'kept') + '/.', to]);
    expect(resident(path.join(to, 'pgdata/base/16384/16385'))).toBeGreaterThan(4 * 1024 * 1024);
  });

  it('copyCold leaves none of a copied data file in the page cache, and says so itself', async () => {
    const to = path.join(base, 'run', 'volume');
    const r = await copyCold(path.join(base, 'kept'), to);
    for (const name of ['16385', '16385.1']) {
      const file = path.join(to, 'pgdata/base/16384', name);
      expect(fs.statSync(file).size).toBe(8 * 1024 * 1024);
      expect(resident(file), name).toBeLessThan(64 * 1024);
    }
    expect(r.residentAfter).toBeLessThan(0.01);
    expect(r.bytes).toBeGreaterThanOrEqual(16 * 1024 * 1024);
  });
});
