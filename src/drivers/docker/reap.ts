/**
 * The reaper (as testcontainers does it): containers and volumes labelled with a run id whose run
 * is no longer alive (killed with SIGKILL, machine crash) are removed by the next run at its start.
 */
import type Docker from 'dockerode';
import { LABEL_RUN } from './container-options.ts';
import { removeRun } from './docker-driver.ts';
import { connectEngine } from './engine.ts';

export interface ReapResult {
  runs: string[];
  containers: number;
  volumes: number;
}

export async function reapDockerRuns(isAlive: (runId: string) => boolean, docker: Docker = connectEngine()): Promise<ReapResult> {
  const runIds = new Set<string>();
  const containers = await docker.listContainers({ all: true, filters: { label: [LABEL_RUN] } });
  for (const c of containers) runIds.add(c.Labels[LABEL_RUN]);
  const { Volumes } = await docker.listVolumes({ filters: { label: [LABEL_RUN] } });
  for (const v of Volumes ?? []) if (v.Labels?.[LABEL_RUN]) runIds.add(v.Labels[LABEL_RUN]);
  const result: ReapResult = { runs: [], containers: 0, volumes: 0 };
  for (const runId of runIds) {
    if (!runId || isAlive(runId)) continue;
    const r = await removeRun(docker, runId);
    result.runs.push(runId);
    result.containers += r.containers;
    result.volumes += r.volumes;
  }
  return result;
}
