/**
 * Shared by the guest suite: where cgroup2 is, and recording the files the kernel showed as fixtures
 * (to $V2_GUEST_OUT/fixtures, which run-in-guest.sh --record copies out to test/fixtures/).
 */
import fs from 'node:fs';
import path from 'node:path';

export const SYS = '/sys/fs/cgroup';

/** The interface files our code reads (and a few for context); whichever of them the kernel has. */
const RECORDED = [
  'cgroup.controllers',
  'cgroup.subtree_control',
  'cgroup.procs',
  'cpu.max',
  'memory.current',
  'memory.events',
  'memory.events.local',
  'memory.high',
  'memory.max',
  'memory.peak',
  'memory.pressure',
  'memory.stat',
  'memory.swap.current',
  'memory.swap.events',
  'memory.swap.max',
];

function outDir(): string | undefined {
  return process.env.V2_GUEST_OUT ? path.join(process.env.V2_GUEST_OUT, 'fixtures') : undefined;
}

/** Copy one file (or write `text`) to fixtures/<rel>. */
export function recordFile(rel: string, from?: string, text?: string): void {
  const out = outDir();
  if (!out) return;
  const to = path.join(out, rel);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.writeFileSync(to, text ?? fs.readFileSync(from!, 'utf8'));
}

/** Copy a cgroup's interface files to fixtures/<rel>/. */
export function recordCgroup(rel: string, dir: string): void {
  for (const f of RECORDED) if (fs.existsSync(path.join(dir, f))) recordFile(path.join(rel, f), path.join(dir, f));
}
