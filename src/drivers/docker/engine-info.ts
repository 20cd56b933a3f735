/** What an engine check reports, and where it looks; no dockerode here, so light modules can use it. */
export interface EngineInfo {
  ok: boolean;
  /** Where we looked: DOCKER_HOST or the default socket. */
  endpoint: string;
  version?: string;
  apiVersion?: string;
  cgroupDriver?: string;
  cgroupVersion?: string;
  reason?: string;
}

export function engineEndpoint(): string {
  return process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}
