/** A small validated Stack for unit tests of what consumes one (run state, metrics), without a Compose file. */
import { SEED_TARGETS } from '../../src/profile/load-profile.ts';
import type { Launch, ServiceSpec, Stack } from '../../src/profile/stack.ts';

export const MB = 1024 * 1024;

const launch: Launch = { argv: ['/bin/true'], env: {}, init: [], afterReady: [], dataDirs: [], ready: { kind: 'none' }, readyTimeoutMs: 1000 };

export function testService(name: string, over: Partial<ServiceSpec> = {}): ServiceSpec {
  return { name, kind: 'real', dependsOn: [], restart: 'no', ports: [], environment: {}, volumes: [], launch, ...over };
}

/** A 4 GiB stack with the seed's targets and the given services. */
export function testStack(services: ServiceSpec[]): Stack {
  return {
    name: 'test',
    file: '/x/test.yml',
    dir: '/x',
    capBytes: 4096 * MB,
    swapBytes: 0,
    cpus: 0,
    targets: { ...SEED_TARGETS, minFreeBytes: 800 * MB },
    scenario: 'steady',
    appUrl: 'http://127.0.0.1:8000',
    safetyLineBytes: 3200 * MB,
    services,
  };
}
