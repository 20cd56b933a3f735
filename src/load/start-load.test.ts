import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.ts';
import { simpleScenario } from './scenario.ts';
import { checkBaseUrl, isLoopback, startLoad } from './start-load.ts';

describe('loopback only', () => {
  it('refuses a non-loopback base URL without allowRemote, with the flag as hint', () => {
    for (const url of ['http://10.0.0.1:8000/', 'http://example.com/', 'http://[2001:db8::1]/', 'http://127.0.0.1.example.com/']) {
      let error: unknown;
      try {
        startLoad(simpleScenario(url, 10, 1), { baseUrl: url });
      } catch (err) {
        error = err;
      }
      expect(error, url).toBeInstanceOf(InputError);
      expect((error as InputError).hint).toContain('--allow-remote');
    }
  });

  it('accepts loopback addresses, and others only with allowRemote', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '[::1]', '[::ffff:127.0.0.1]', 'api.localhost']) {
      expect(isLoopback(new URL(`http://${host}:8000/`).hostname), host).toBe(true);
    }
    expect(isLoopback('10.0.0.1')).toBe(false);
    expect(checkBaseUrl('http://10.0.0.1:8000/', true)).toBe('http://10.0.0.1:8000/');
    expect(() => checkBaseUrl('ftp://127.0.0.1/', false)).toThrow(InputError);
  });
});
