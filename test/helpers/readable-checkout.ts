/**
 * A checkout the user `nobody` can read, for tests that run a probe as nobody. The clone may live where
 * only root may enter (a `mktemp -d` folder, /root): then nobody cannot read its files, nor tsx in its
 * node_modules. This gives the checkout itself when nobody can read it, else a copy in a world-readable
 * temp folder (node_modules hard-linked where the filesystem allows: no space, no time).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '..', '..');

/** Whether `user` can read `file` (asked as that user: permissions of every folder on the way count). */
export function userCanRead(user: string, file: string): boolean {
  return spawnSync('/usr/sbin/runuser', ['-u', user, '--', 'test', '-r', file]).status === 0;
}

export interface ReadableCheckout {
  root: string;
  /** Whether `root` is a copy (then removed by dispose). */
  copied: boolean;
  dispose(): void;
}

export function readableCheckout(user = 'nobody'): ReadableCheckout {
  if (userCanRead(user, path.join(REPO, 'node_modules', 'tsx', 'package.json')) && userCanRead(user, path.join(REPO, 'src', 'cli', 'bin.js'))) {
    return { root: REPO, copied: false, dispose: () => undefined };
  }
  const root = mkdtempSync(path.join(tmpdir(), 'simulate-readable-'));
  chmodSync(root, 0o755); // mkdtemp makes it 0700
  for (const entry of ['src', 'docker', 'scenarios', 'package.json', 'tsconfig.json']) cpSync(path.join(REPO, entry), path.join(root, entry), { recursive: true });
  try {
    execFileSync('cp', ['-al', path.join(REPO, 'node_modules'), path.join(root, 'node_modules')], { stdio: 'ignore' });
  } catch {
    // Another filesystem: hard links cannot cross it, so copy (about 160 MB, a second or two).
    rmSync(path.join(root, 'node_modules'), { recursive: true, force: true });
    execFileSync('cp', ['-a', path.join(REPO, 'node_modules'), path.join(root, 'node_modules')], { stdio: 'ignore' });
  }
  return { root, copied: true, dispose: () => rmSync(root, { recursive: true, force: true }) };
}
