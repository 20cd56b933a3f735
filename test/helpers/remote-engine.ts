/**
 * The second Docker engine, reached only over ssh (test/tools/remote-engine.sh): up for a test file,
 * down after it, and what a check needs to see that nothing was left there. One test file uses it at a
 * time (the e2e files run under the heavy lock).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const SCRIPT = path.resolve(import.meta.dirname, '..', 'tools', 'remote-engine.sh');

export interface RemoteEngine {
  dockerHost: string;
  sshKey: string;
  /** The engine's socket on this machine's file system: for the test's own look at what is there, never for the tool. */
  socket: string;
  addr: string;
}

/** Why the test bed cannot be made here, or undefined when it can. */
export function remoteEngineUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespace, a second dockerd)';
  for (const bin of ['/usr/sbin/sshd', '/usr/bin/ssh', '/usr/sbin/dockerd', '/usr/bin/nsenter']) {
    if (!existsSync(bin)) return `${bin} missing: apt-get install -y openssh-server openssh-client docker.io util-linux`;
  }
  return undefined;
}

export function remoteEngineUp(): RemoteEngine {
  const out = execFileSync('bash', [SCRIPT, 'up'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 120_000 });
  const env = Object.fromEntries(out.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));
  return { dockerHost: env.DOCKER_HOST!, sshKey: env.SSH_KEY!, socket: env.REMOTE_SOCKET!, addr: env.REMOTE_ADDR! };
}

/** Kills sshd and its sessions there: open connections drop, new ones are refused until remoteEngineUp(). */
export function remoteEngineDrop(): void {
  execFileSync('bash', [SCRIPT, 'drop'], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 30_000 });
}

export function remoteEngineDown(): void {
  spawnSync('bash', [SCRIPT, 'down'], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 120_000 });
}

/** What the test bed left on this machine: its netns, veth, daemons' pid files, state dirs, mounts. */
export function testBedLeftovers(): string[] {
  const left: string[] = [];
  if (existsSync('/run/netns/simulate-remote')) left.push('netns simulate-remote');
  if (spawnSync('ip', ['link', 'show', 'sim-remote-h'], { stdio: 'ignore' }).status === 0) left.push('veth sim-remote-h');
  for (const p of ['/run/simulate-remote-engine', '/var/lib/simulate-remote-engine']) if (existsSync(p)) left.push(p);
  const mounts = execFileSync('cat', ['/proc/self/mounts'], { encoding: 'utf8' });
  for (const l of mounts.split('\n')) if (/simulate-remote-engine/.test(l)) left.push(`mount ${l.split(' ')[1]}`);
  return left;
}
