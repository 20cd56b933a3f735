/**
 * A well-known image (postgres, redis, prom/prometheus, prom/alertmanager) runs natively from its Compose
 * `command`, `environment`, `ports` and `volumes` alone, doing with them what the official image does.
 * The same Launch runs inside our locally built Debian images, which have the same binaries at the same paths.
 */
import type { Launch, PortMapping, VolumeMount } from '../stack.ts';

export interface AdapterInput {
  service: string;
  command?: string[];
  environment: Record<string, string>;
  ports: PortMapping[];
  volumes: VolumeMount[];
  /** The run's scratch directory for this service (data, sockets). */
  serviceDir: string;
}

export type Adapter = (input: AdapterInput) => Launch;

/** The loopback address and port a program must listen on for the container port it would use. */
export function listenOn(ports: PortMapping[], containerPort: number): { host: string; port: number } {
  const m = ports.find((p) => p.container === containerPort);
  return { host: m?.hostIp && m.hostIp !== '0.0.0.0' ? m.hostIp : '127.0.0.1', port: m?.host ?? containerPort };
}

/** Where a container path lives on the host: its volume's source, else a dir of ours. */
export function dirFor(volumes: VolumeMount[], target: string, fallback: string): string {
  return volumes.find((v) => v.target === target)?.source ?? fallback;
}
