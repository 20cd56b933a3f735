/** Swap on the host for the tests that need it: a swap file when there is none (root), removed after. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export function hostHasSwap(): boolean {
  return fs.existsSync('/proc/swaps') && fs.readFileSync('/proc/swaps', 'utf8').trim().split('\n').length > 1;
}

/**
 * Make sure the host has swap. Returns how to undo what was done (nothing, when swap was already
 * there), or undefined when no swap file could be added (not root, a filesystem that refuses one).
 */
export function ensureSwap(file = '/var/tmp/simulate-test.swap', size = '3G'): (() => void) | undefined {
  if (hostHasSwap()) return () => {};
  try {
    execFileSync('fallocate', ['-l', size, file]);
    fs.chmodSync(file, 0o600);
    execFileSync('mkswap', [file], { stdio: 'ignore' });
    execFileSync('swapon', [file]);
    return () => {
      execFileSync('swapoff', [file]);
      fs.rmSync(file, { force: true });
    };
  } catch {
    fs.rmSync(file, { force: true });
    return undefined;
  }
}
