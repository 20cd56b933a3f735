import { describe, expect, it } from 'vitest';
import type { Stack } from '../../profile/stack.ts';
import { remoteMounts } from './remote-mounts.ts';
import { viewFromHere } from './remote-run.ts';

const launch = { argv: ['x'], env: { DATABASE_URL: 'postgresql://app:pw@127.0.0.1:15432/app', OTHER: '127.0.0.1:15432' }, init: [], afterReady: [], dataDirs: [], ready: { kind: 'none' as const }, readyTimeoutMs: 1 };
const stack = {
  name: 's',
  appUrl: 'http://127.0.0.1:8000',
  metricsPort: 9464,
  services: [
    { name: 'postgres', ports: [{ host: 15432, container: 5432, hostIp: '127.0.0.1' }], environment: {}, launch: { ...launch, env: {} } },
    { name: 'app', ports: [{ host: 8000, container: 8000, hostIp: '127.0.0.1' }], environment: { DATABASE_URL: 'postgresql://app:pw@localhost:15432/app?x=1' }, launch },
  ],
} as unknown as Stack;

describe('viewFromHere', () => {
  it('points every port this process uses at its local forward, and leaves the stack itself alone', () => {
    const here = viewFromHere(stack, new Map([[8000, 40001], [15432, 40002]]));
    expect(here.appUrl).toBe('http://127.0.0.1:40001');
    expect(here.services[0]!.ports[0]).toEqual({ host: 40002, container: 5432, hostIp: '127.0.0.1' });
    expect(here.services[1]!.environment.DATABASE_URL).toBe('postgresql://app:pw@127.0.0.1:40002/app?x=1');
    expect(here.services[1]!.launch!.env.DATABASE_URL).toBe('postgresql://app:pw@127.0.0.1:40002/app');
    // Not a URL: left as it is.
    expect(here.services[1]!.launch!.env.OTHER).toBe('127.0.0.1:15432');
    // Our metrics endpoint is not reachable by the server's Prometheus: not served.
    expect(here.metricsPort).toBeUndefined();
    // The stack the server runs keeps its own ports.
    expect(stack.appUrl).toBe('http://127.0.0.1:8000');
    expect(stack.services[1]!.environment.DATABASE_URL).toContain('localhost:15432');
  });
});

describe('remoteMounts', () => {
  it('turns each bind into a per-run volume at the same path, filled from the folder here; volumes stay', () => {
    const m = remoteMounts(
      [
        { type: 'bind', source: '/repo/docker', target: '/repo/docker', readOnly: true },
        { type: 'volume', source: 'simulate-r1-pgdata-abc', target: '/w/pgdata', readOnly: false },
      ],
      'r1',
    );
    expect(m[0]).toMatchObject({ type: 'volume', target: '/repo/docker', readOnly: true, fillFrom: '/repo/docker' });
    expect(m[0]!.source).toMatch(/^simulate-r1-dir-[0-9a-f]{10}$/);
    expect(m[1]).toEqual({ type: 'volume', source: 'simulate-r1-pgdata-abc', target: '/w/pgdata', readOnly: false });
  });
});
