import { describe, expect, it } from 'vitest';
import type { ServiceSpec, Stack } from '../profile/stack.ts';
import { rerouteToProxy } from './proxy-routes.ts';

function svc(name: string, environment: Record<string, string>, port?: number): ServiceSpec {
  return {
    name, kind: 'real', dependsOn: [], restart: 'no', environment, volumes: [],
    ports: port ? [{ host: port, container: port, hostIp: '127.0.0.1' }] : [],
    launch: { argv: ['x'], env: { ...environment }, init: [], afterReady: [], dataDirs: [], ready: { kind: 'none' }, readyTimeoutMs: 1 },
  };
}

describe('rerouteToProxy', () => {
  it('points the other services at the proxy, in Compose environment and launch env', () => {
    const stack = { services: [
      svc('redis', { REDIS_PORT_SELF: '16379' }, 16379),
      svc('app', { REDIS_HOST: '127.0.0.1', REDIS_PORT: '16379', DATABASE_URL: 'postgresql://a:b@127.0.0.1:15432/app', OTHER: '163790' }),
    ] } as unknown as Stack;
    const r = rerouteToProxy(stack, 'redis', 16379, 20001);
    expect(r.changed).toEqual(['app REDIS_PORT']);
    const app = stack.services[1]!;
    expect(app.environment.REDIS_PORT).toBe('20001');
    expect(app.launch!.env.REDIS_PORT).toBe('20001');
    expect(app.environment.OTHER).toBe('163790');
    // The service itself keeps its own port.
    expect(stack.services[0]!.environment.REDIS_PORT_SELF).toBe('16379');
    const pg = rerouteToProxy(stack, 'postgres', 15432, 20002);
    expect(pg.changed).toEqual(['app DATABASE_URL']);
    expect(app.launch!.env.DATABASE_URL).toBe('postgresql://a:b@127.0.0.1:20002/app');
  });
});
