/**
 * The suite that runs inside the cgroup v2 guest (test/v2-guest/run-in-guest.sh). Its files end in
 * `.guest.ts`, so the host's suite never picks them up; the host runs them through
 * test/cgroup-v2-guest.e2e.test.ts. Under software emulation everything is slower: long timeouts.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The checkout is mounted read-only in the guest.
  cacheDir: '/tmp/vitest-cache',
  test: {
    include: ['test/v2-guest/**/*.guest.ts'],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 240_000,
    reporters: ['verbose'],
  },
});
