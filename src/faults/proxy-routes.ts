/**
 * Putting the fault proxy in front of a service: every other service that names the service's host port in
 * its environment (`REDIS_PORT=16379`, `DATABASE_URL=postgresql://…@127.0.0.1:15432/app`) is given the
 * proxy's port instead, before the stack starts. Both drivers run services with host networking, so the
 * proxy on 127.0.0.1 is reachable from processes and containers alike.
 */
import type { Stack } from '../profile/stack.ts';

export interface Reroute {
  /** The service the traffic goes to. */
  service: string;
  /** Its published host port. */
  port: number;
  /** `app REDIS_PORT` for each variable changed. */
  changed: string[];
}

export function servicePort(stack: Stack, service: string): number | undefined {
  return stack.services.find((s) => s.name === service)?.ports[0]?.host;
}

/** Rewrite the environment of every other service from `port` to `proxyPort` (in place). */
export function rerouteToProxy(stack: Stack, service: string, port: number, proxyPort: number): Reroute {
  const changed = new Set<string>();
  const hostPort = new RegExp(String.raw`(127\.0\.0\.1|localhost|\[::1\]):${port}(?!\d)`, 'g');
  for (const s of stack.services) {
    if (s.name === service) continue;
    for (const env of [s.environment, s.launch?.env]) {
      if (!env) continue;
      for (const [k, v] of Object.entries(env)) {
        const next = v === String(port) ? String(proxyPort) : v.replace(hostPort, `$1:${proxyPort}`);
        if (next !== v) {
          env[k] = next;
          changed.add(`${s.name} ${k}`);
        }
      }
    }
  }
  return { service, port, changed: [...changed] };
}
