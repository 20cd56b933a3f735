/**
 * On an engine on another machine, this machine's folders do not exist: every bind mount a service's
 * launch names (the repo's docker/ folder, the Compose file's folder, the run's work dir) becomes a
 * per-run volume there, filled with that folder's content as it is here when the run starts (a tar
 * through the engine's archive API, over the same connection). Labelled with the run id, the volumes go
 * with the run's containers (removeRun, the reaper).
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import type Docker from 'dockerode';
import { execa } from 'execa';
import { EnvironmentError } from '../../errors.ts';
import { LABEL_OWNER, LABEL_ROLE, LABEL_RUN, LABEL_SERVICE, OWNER, type MountPlan } from './container-options.ts';

export interface RemoteMount extends MountPlan {
  /** The folder here whose content fills the volume (a former bind's source). */
  fillFrom?: string;
}

/** Pure: binds become per-run volumes at the same target; volumes stay. */
export function remoteMounts(plan: MountPlan[], runId: string): RemoteMount[] {
  return plan.map((m) => {
    if (m.type !== 'bind') return m;
    const name = `simulate-${runId}-dir-${createHash('sha256').update(m.target).digest('hex').slice(0, 10)}`;
    return { type: 'volume', source: name, target: m.target, readOnly: m.readOnly, fillFrom: m.source };
  });
}

/** Makes the volume (if new) and copies `dir` into it through a container that never starts. */
export async function fillVolume(docker: Docker, m: RemoteMount, image: string, runId: string, service: string): Promise<'made' | 'kept'> {
  try {
    await docker.getVolume(m.source).inspect();
    // Shared by two services (the docker/ folder): filled once, by the first.
    return 'kept';
  } catch {
    /* 404: new */
  }
  const labels = { [LABEL_RUN]: runId, [LABEL_SERVICE]: service, [LABEL_OWNER]: OWNER };
  await docker.createVolume({ Name: m.source, Labels: labels });
  if (!m.fillFrom || !existsSync(m.fillFrom)) return 'made';
  if (!statSync(m.fillFrom).isDirectory()) {
    throw new EnvironmentError(`${service}: mounts the file ${m.fillFrom}, which a remote engine cannot see`, 'mount its folder instead (a remote run copies folders into volumes)');
  }
  const filler = await docker.createContainer({ Image: image, Cmd: ['true'], Labels: { ...labels, [LABEL_ROLE]: 'oneshot' }, HostConfig: { Mounts: [{ Type: 'volume', Source: m.source, Target: '/fill' }] } });
  try {
    const tar = execa('tar', ['--numeric-owner', '-C', m.fillFrom, '-c', '.'], { buffer: false });
    await filler.putArchive(tar.stdout!, { path: '/fill' });
    await tar;
  } finally {
    await filler.remove({ force: true }).catch(() => undefined);
  }
  return 'made';
}
