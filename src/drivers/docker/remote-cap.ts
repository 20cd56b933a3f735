/**
 * `--cap` on a remote engine: the server's own cgroup files are not ours to write, so a short-lived
 * helper container does it there (root, not privileged unless it must be, see helper()), with the server's /sys/fs/cgroup mounted (cgroupfs driver;
 * v1 memory controller or v2 unified). The run's containers then get `CgroupParent` = that cgroup and are
 * held by its limit, as a local run's are. With the systemd cgroup driver the limit belongs on a slice
 * unit (moby #33876): a clear error says so.
 */
import type Docker from 'dockerode';
import { EnvironmentError } from '../../errors.ts';
import { LABEL_OWNER, LABEL_ROLE, LABEL_RUN, LABEL_SERVICE, OWNER } from './container-options.ts';
import { runOneShot } from './container-run.ts';

const MOUNT = '/host-cgroup';

/** The shell script that caps `path` (pure, so it can be read and tested). */
export function capScript(version: '1' | '2', path: string, bytes: number, swapBytes: number): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  if (version === '2') {
    // Made first, then every level from the root down hands the memory controller to its children
    // (cgroup.subtree_control): only then does memory.max exist there, and in the containers below.
    const parts = path.split('/').filter(Boolean);
    const levels = [MOUNT, ...parts.map((_, i) => `${MOUNT}/${parts.slice(0, i + 1).join('/')}`)];
    return [
      'set -e',
      `mkdir -p ${q(MOUNT + path)}`,
      ...levels.map((l) => `echo +memory > ${q(`${l}/cgroup.subtree_control`)} 2>/dev/null || true`),
      `echo ${bytes} > ${q(`${MOUNT}${path}/memory.max`)}`,
      `echo ${swapBytes} > ${q(`${MOUNT}${path}/memory.swap.max`)} 2>/dev/null || true`,
      `cat ${q(`${MOUNT}${path}/memory.max`)}`,
    ].join('\n');
  }
  const dir = `${MOUNT}/memory${path}`;
  return [
    'set -e',
    `mkdir -p ${q(dir)}`,
    `echo ${bytes} > ${q(`${dir}/memory.limit_in_bytes`)}`,
    // memsw exists only with swap accounting; without it, the cap still holds memory.
    `echo ${bytes + swapBytes} > ${q(`${dir}/memory.memsw.limit_in_bytes`)} 2>/dev/null || true`,
    `cat ${q(`${dir}/memory.limit_in_bytes`)}`,
  ].join('\n');
}

/** Removes `path` (and its parent, when empty) in every hierarchy: what the engine and the cap made. */
export function uncapScript(version: '1' | '2', path: string): string {
  const parent = path.split('/').slice(0, -1).join('/') || '/';
  const roots = version === '2' ? [MOUNT] : [`${MOUNT}/*`];
  return roots
    .flatMap((r) => [
      // Children the engine left (empty container cgroups) first, deepest first.
      `for d in ${r}${path}; do [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null; done`,
      parent === '/' ? '' : `for d in ${r}${parent}; do rmdir "$d" 2>/dev/null; done`,
    ])
    .filter(Boolean)
    .concat(['true'])
    .join('\n');
}

/**
 * A root container with the server's cgroup file system mounted read-write is enough to write cgroup
 * files (no capability is needed for that, only the mount): tried first. Some engines refuse privileged
 * containers outright (this machine's: "unable to apply caps"); where the plain one cannot write (an LSM
 * profile), a privileged one is tried next.
 */
async function helper(docker: Docker, image: string, runId: string, script: string): Promise<{ exitCode: number; output: string }> {
  const options = (privileged: boolean): Docker.ContainerCreateOptions => ({
    Image: image,
    Entrypoint: [],
    Cmd: ['/bin/sh', '-c', script],
    Labels: { [LABEL_RUN]: runId, [LABEL_SERVICE]: 'cap-helper', [LABEL_ROLE]: 'oneshot', [LABEL_OWNER]: OWNER },
    HostConfig: { Privileged: privileged, NetworkMode: 'none', Mounts: [{ Type: 'bind', Source: '/sys/fs/cgroup', Target: MOUNT, ReadOnly: false }] },
  });
  const plain = await runOneShot(docker, options(false)).catch((err: Error) => ({ exitCode: -1, output: err.message }));
  if (plain.exitCode === 0) return plain;
  const privileged = await runOneShot(docker, options(true)).catch((err: Error) => ({ exitCode: -1, output: err.message }));
  return privileged.exitCode === 0 ? privileged : { exitCode: privileged.exitCode, output: `${lastLine(plain.output)}; privileged: ${lastLine(privileged.output)}` };
}

function lastLine(text: string): string {
  return (text.trim().split('\n').pop() ?? '').slice(0, 200);
}

export async function capRemote(docker: Docker, opts: { image: string; runId: string; path: string; version: string | undefined; cgroupDriver: string | undefined; bytes: number; swapBytes: number; url: string }): Promise<void> {
  if (opts.cgroupDriver === 'systemd') {
    throw new EnvironmentError(
      `--cap on ${opts.url}: its Docker engine uses the systemd cgroup driver, where a cap belongs on a slice unit (MemoryMax=), which this version does not make`,
      'leave --cap out (the server\'s memory is then the cap), or run dockerd there with --exec-opt native.cgroupdriver=cgroupfs',
    );
  }
  const version = opts.version === '2' ? '2' : '1';
  const r = await helper(docker, opts.image, opts.runId, capScript(version, opts.path, opts.bytes, opts.swapBytes));
  if (r.exitCode !== 0 || Number(r.output.trim().split('\n').pop()) !== opts.bytes) {
    throw new EnvironmentError(`--cap on ${opts.url}: the helper container could not set the limit of ${opts.path} there (exit ${r.exitCode}: ${r.output.trim().split('\n').pop() ?? ''})`, 'the helper runs as root with /sys/fs/cgroup mounted read-write (then privileged); or leave --cap out (the server\'s memory is the cap)');
  }
}

export async function uncapRemote(docker: Docker, opts: { image: string; runId: string; path: string; version: string | undefined }): Promise<void> {
  await helper(docker, opts.image, opts.runId, uncapScript(opts.version === '2' ? '2' : '1', opts.path));
}
