/**
 * What a service's container looks like, as plain data (no engine calls), so it can be read and
 * tested: the launch's argv/env/user unchanged, every host path it names mounted at the same path,
 * under the run's capped parent cgroup, on the host network, labelled with the run id.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import type { Command, RestartPolicy, ServiceSpec, VolumeMount } from '../../profile/stack.ts';

export const LABEL_RUN = 'simulate.run';
export const LABEL_SERVICE = 'simulate.service';
/** `service` for the long-running container, `oneshot` for init / prep containers. */
export const LABEL_ROLE = 'simulate.role';
/**
 * The machine that started the run (its host name). On an engine several machines use (a server reached
 * with --docker-host), a reaper only judges runs whose owner it can see: its own machine's.
 */
export const LABEL_OWNER = 'simulate.owner';
export const OWNER = hostname();

export interface MountPlan {
  type: 'bind' | 'volume';
  /** Host path (bind) or volume name (volume). */
  source: string;
  /** Path inside the container: the same as the host path the launch uses. */
  target: string;
  readOnly: boolean;
}

/** Name of the per-run Docker volume backing a Compose named volume (two services sharing it share the volume). */
export function runVolumeName(runId: string, volumeSource: string): string {
  const hash = createHash('sha256').update(volumeSource).digest('hex').slice(0, 8);
  const base = path.basename(volumeSource).replace(/[^a-zA-Z0-9_.-]/g, '_') || 'vol';
  return `simulate-${runId}-${base}-${hash}`;
}

/**
 * The mounts of a service's containers. The launch names host paths (its data dirs under the run's
 * work dir, configs in the repo's docker/ folder or next to the Compose file), so each is mounted
 * at the same path. Compose named volumes become per-run Docker volumes at their (host) source path.
 */
export function planMounts(input: {
  runId: string;
  workDir: string;
  /** Read-only host folders the launch may read from (the repo's docker/ folder, the Compose file's dir). */
  readOnlyDirs: string[];
  volumes: VolumeMount[];
  /**
   * Named volumes' host dirs the run filled already (a kept dataset's cold copy): bind-mounted as they are,
   * so the container starts from that content (and reads it through the pages the copy left evicted).
   */
  filled?: string[];
}): MountPlan[] {
  const plan: MountPlan[] = [];
  const byTarget = new Map<string, MountPlan>();
  const add = (m: MountPlan) => {
    const prev = byTarget.get(m.target);
    if (prev) {
      // Same path twice (the Compose dir is the docker/ folder, ...): a writable or volume mount wins.
      if (prev.readOnly && !m.readOnly) Object.assign(prev, m);
      return;
    }
    byTarget.set(m.target, m);
    plan.push(m);
  };
  for (const v of input.volumes) {
    if (v.type === 'volume' && input.filled?.includes(v.source)) add({ type: 'bind', source: v.source, target: v.source, readOnly: v.readOnly });
    else if (v.type === 'volume') add({ type: 'volume', source: runVolumeName(input.runId, v.source), target: v.source, readOnly: v.readOnly });
    else add({ type: 'bind', source: v.source, target: v.source, readOnly: v.readOnly });
  }
  add({ type: 'bind', source: input.workDir, target: input.workDir, readOnly: false });
  for (const dir of input.readOnlyDirs) {
    // A read-only dir inside the work dir (or inside another one) is already there.
    if (isInside(dir, input.workDir)) continue;
    if (input.readOnlyDirs.some((o) => o !== dir && isInside(dir, o))) continue;
    add({ type: 'bind', source: dir, target: dir, readOnly: true });
  }
  // The engine mounts parents before children when it sorts, but keep the order readable.
  return plan.sort((a, b) => a.target.length - b.target.length);
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export function restartPolicy(policy: RestartPolicy): { Name: string; MaximumRetryCount?: number } {
  return { Name: policy === 'no' ? 'no' : policy };
}

export function envList(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

export function toMounts(plan: MountPlan[]): Docker.MountConfig {
  return plan.map((m) => ({ Type: m.type, Source: m.source, Target: m.target, ReadOnly: m.readOnly }));
}

export interface ContainerInput {
  runId: string;
  spec: ServiceSpec;
  command: Command;
  image: string;
  cgroupParent: string;
  mounts: MountPlan[];
  /** `service` (the long-running one, with restart policy and mem_limit) or `oneshot`. */
  role: 'service' | 'oneshot';
  name?: string;
}

export function containerOptions(input: ContainerInput): Docker.ContainerCreateOptions {
  const { spec, command } = input;
  const service = input.role === 'service';
  return {
    name: input.name,
    Image: input.image,
    // Imported images have no entrypoint; say so anyway, so the argv is exactly the launch's.
    Entrypoint: [],
    Cmd: command.argv,
    // Python buffers stdout when it is not a TTY; unbuffered, the service log shows what happened before a kill.
    Env: envList({ PYTHONUNBUFFERED: '1', ...command.env }),
    User: command.user ?? '',
    WorkingDir: command.cwd ?? '',
    Labels: { [LABEL_RUN]: input.runId, [LABEL_SERVICE]: spec.name, [LABEL_ROLE]: input.role, [LABEL_OWNER]: OWNER },
    AttachStdout: false,
    AttachStderr: false,
    HostConfig: {
      CgroupParent: input.cgroupParent,
      NetworkMode: 'host',
      RestartPolicy: service ? restartPolicy(spec.restart) : { Name: 'no' },
      // The Engine API wants an integer (testcontainers-node #734).
      ...(service && spec.memLimit ? { Memory: Math.floor(spec.memLimit) } : {}),
      Mounts: toMounts(input.mounts),
    },
  };
}

/**
 * `sh -c` wrapper for init / afterReady commands: skip when `unless` exists, touch `marker` after
 * success. Paths and argv are passed as positional arguments, so nothing needs shell quoting.
 */
export function guardedArgv(cmd: Command & { unless?: string; marker?: string }): string[] {
  if (!cmd.unless && !cmd.marker) return cmd.argv;
  const script = '[ -n "$1" ] && [ -e "$1" ] && exit 0; m="$2"; shift 2; "$@" || exit $?; [ -z "$m" ] || touch "$m"';
  return ['/bin/sh', '-c', script, 'sh', cmd.unless ?? '', cmd.marker ?? '', ...cmd.argv];
}
