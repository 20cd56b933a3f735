/** What an engine check reports, and where it looks; no dockerode here, so light modules can use it. */
import type { DockerHost } from './docker-host.ts';

export interface EngineInfo {
  ok: boolean;
  /** Where we looked: --docker-host, DOCKER_HOST or the default socket. */
  endpoint: string;
  version?: string;
  apiVersion?: string;
  cgroupDriver?: string;
  cgroupVersion?: string;
  reason?: string;
  /** The engine's machine, as its /info says (for a remote engine: the server's, not ours). */
  machine?: { name?: string; kernel?: string; os?: string; memoryBytes?: number; cpus?: number };
}

let chosen: DockerHost | undefined;
const closers: Array<() => void> = [];

/** `--docker-host` / DOCKER_HOST, parsed by the CLI: every engine connection of this process goes there. */
export function chooseEngine(host: DockerHost | undefined): void {
  chosen = host;
}

export function chosenEngine(): DockerHost | undefined {
  return chosen;
}

export function engineEndpoint(): string {
  return chosen?.url ?? (process.env.DOCKER_HOST || 'unix:///var/run/docker.sock');
}

/** Something that holds the process open (an ssh connection) and must be closed when the command ends. */
export function onEnginesClose(close: () => void): void {
  closers.push(close);
}

export function closeEngines(): void {
  for (const c of closers.splice(0)) c();
}
