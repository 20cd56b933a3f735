/**
 * The reaper (as testcontainers does it): containers and volumes labelled with a run id whose run
 * is no longer alive (killed with SIGKILL, machine crash) are removed by the next run at its start,
 * or by `simulate down`. On an engine reached with --docker-host, runs started from another machine
 * (their `simulate.owner` label names another host) are left alone: their owner's liveness is not
 * visible from here.
 */
import type Docker from 'dockerode';
import { LABEL_OWNER, LABEL_RUN, OWNER } from './container-options.ts';
import { removeRun } from './docker-driver.ts';
import { connectEngine } from './engine.ts';

export interface ReapResult {
  runs: string[];
  containers: number;
  volumes: number;
  /** Runs of another machine found on the engine and left alone. */
  foreign: string[];
}

export async function reapDockerRuns(isAlive: (runId: string) => boolean, docker: Docker = connectEngine()): Promise<ReapResult> {
  const runIds = new Set<string>();
  const foreign = new Set<string>();
  const note = (runId: string | undefined, labels: Record<string, string> | undefined) => {
    if (!runId) return;
    const owner = labels?.[LABEL_OWNER];
    // No owner label: a run from before the label existed, on this machine's engine: judged as ours.
    if (owner && owner !== OWNER) foreign.add(runId);
    else runIds.add(runId);
  };
  const containers = await docker.listContainers({ all: true, filters: { label: [LABEL_RUN] } });
  for (const c of containers) note(c.Labels[LABEL_RUN], c.Labels);
  const { Volumes } = await docker.listVolumes({ filters: { label: [LABEL_RUN] } });
  for (const v of Volumes ?? []) note(v.Labels?.[LABEL_RUN], v.Labels ?? undefined);
  const result: ReapResult = { runs: [], containers: 0, volumes: 0, foreign: [...foreign].filter((id) => !runIds.has(id)) };
  for (const runId of runIds) {
    if (!runId || isAlive(runId)) continue;
    const r = await removeRun(docker, runId);
    result.runs.push(runId);
    result.containers += r.containers;
    result.volumes += r.volumes;
  }
  return result;
}
