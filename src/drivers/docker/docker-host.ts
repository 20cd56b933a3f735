/**
 * `--docker-host URL` (or DOCKER_HOST): which Docker engine the docker driver, the reaper and
 * `simulate setup` talk to. Parsed once, up front, so a typo is one line and exit 2 before anything
 * starts. No dockerode here: the CLI parser and `simulate doctor` load this module cheaply.
 */
import { existsSync, readFileSync } from 'node:fs';
import { InputError } from '../../errors.ts';

export type DockerHost =
  | { kind: 'unix'; url: string; socketPath: string }
  | { kind: 'tcp'; url: string; host: string; port: number }
  | { kind: 'ssh'; url: string; user: string; host: string; port: number; keyFile?: string };

export const DEFAULT_SOCKET = '/var/run/docker.sock';

const EXAMPLES = 'e.g. --docker-host ssh://root@203.0.113.7 (or ssh://user@host:2222, tcp://host:2375, unix:///var/run/docker.sock)';

/** Parses a Docker host URL; `source` names where it came from (the flag or DOCKER_HOST) in the error. */
export function parseDockerHost(raw: string, opts: { source?: string; sshKey?: string } = {}): DockerHost {
  const source = opts.source ?? '--docker-host';
  const bad = (why: string) => new InputError(`${source}: "${raw}" ${why}`, EXAMPLES);
  const text = raw.trim();
  if (!text) throw bad('is empty');
  if (text.startsWith('unix://')) {
    const socketPath = text.slice('unix://'.length) || DEFAULT_SOCKET;
    if (!socketPath.startsWith('/')) throw bad('is not an absolute socket path');
    if (opts.sshKey) throw new InputError(`--ssh-key goes with an ssh:// Docker host, not ${text}`, EXAMPLES);
    return { kind: 'unix', url: `unix://${socketPath}`, socketPath };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (!scheme) throw bad('has no scheme (ssh://, tcp:// or unix://)');
  if (scheme !== 'ssh' && scheme !== 'tcp') throw bad(`has scheme ${scheme}://, which is not one of ssh://, tcp://, unix://`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('is not a URL');
  }
  if (!url.hostname) throw bad('names no host');
  if (url.pathname && url.pathname !== '/') throw bad(`has a path (${url.pathname}); a Docker host URL is only user@host:port`);
  if (url.password) throw bad('carries a password; use a key (--ssh-key FILE) or the ssh agent');
  const port = url.port ? Number(url.port) : scheme === 'ssh' ? 22 : 2375;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (scheme === 'tcp') {
    if (url.username) throw bad('has a user; only ssh:// URLs do');
    if (opts.sshKey) throw new InputError(`--ssh-key goes with an ssh:// Docker host, not ${text}`, EXAMPLES);
    return { kind: 'tcp', url: `tcp://${url.host}`, host, port };
  }
  const user = decodeURIComponent(url.username || '');
  if (!user) throw bad('names no user (ssh://USER@host)');
  if (opts.sshKey !== undefined) {
    if (!existsSync(opts.sshKey)) throw new InputError(`--ssh-key: ${opts.sshKey} does not exist`, 'pass the private key file you log in to the server with, or leave it out to use the ssh agent');
    if (!/PRIVATE KEY-----/.test(readFileSync(opts.sshKey, 'utf8').slice(0, 200))) {
      throw new InputError(`--ssh-key: ${opts.sshKey} is not a private key (no "PRIVATE KEY" header)`, 'pass the private key, not the .pub file');
    }
  }
  return { kind: 'ssh', url: `ssh://${url.username}@${url.host}`, user, host, port, ...(opts.sshKey ? { keyFile: opts.sshKey } : {}) };
}

/** The engine the command line asks for: --docker-host, else DOCKER_HOST, else the local socket. */
export function dockerHostFromCli(flag: string | undefined, sshKey: string | undefined, env: NodeJS.ProcessEnv = process.env): DockerHost | undefined {
  if (flag !== undefined) return parseDockerHost(flag, { sshKey });
  if (env.DOCKER_HOST) return parseDockerHost(env.DOCKER_HOST, { source: 'DOCKER_HOST', sshKey });
  if (sshKey !== undefined) throw new InputError('--ssh-key needs an ssh:// Docker host', 'add --docker-host ssh://user@host');
  return undefined;
}

/** Whether the engine is on another machine (its host paths, ports and cgroups are not ours). */
export function isRemote(host: DockerHost | undefined): boolean {
  return host !== undefined && host.kind !== 'unix';
}
