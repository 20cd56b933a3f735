import { afterEach, describe, expect, it, vi } from 'vitest';
import { debug, debugEnabled, swallow } from './debug.ts';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('debug lines', () => {
  it('are on with SIMULATE_DEBUG=1 and off by default, 0 or false', () => {
    expect(debugEnabled({ SIMULATE_DEBUG: '1' })).toBe(true);
    expect([debugEnabled({}), debugEnabled({ SIMULATE_DEBUG: '0' }), debugEnabled({ SIMULATE_DEBUG: 'false' })]).toEqual([false, false, false]);
  });

  it('swallow() gives the fallback and says what failed on stderr only when asked', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    vi.stubEnv('SIMULATE_DEBUG', '');
    expect(swallow('docker', 'remove container', 7)(new Error('404 no such container'))).toBe(7);
    expect(write).not.toHaveBeenCalled();
    vi.stubEnv('SIMULATE_DEBUG', '1');
    expect(swallow('docker', 'remove container')(new Error('404 no such container'))).toBeUndefined();
    debug('run', 'plain line');
    expect(write.mock.calls.map((c) => c[0])).toEqual(['simulate:debug docker: remove container: 404 no such container\n', 'simulate:debug run: plain line\n']);
  });
});
