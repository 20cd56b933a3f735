import { describe, expect, it } from 'vitest';
import { Backoff, shouldRestart } from './restart-policy.ts';

describe('restart policy', () => {
  it('follows Compose semantics', () => {
    expect(shouldRestart('unless-stopped', 137, false)).toBe(true);
    expect(shouldRestart('always', 0, false)).toBe(true);
    expect(shouldRestart('on-failure', 0, false)).toBe(false);
    expect(shouldRestart('on-failure', 1, false)).toBe(true);
    expect(shouldRestart('no', 137, false)).toBe(false);
    expect(shouldRestart('always', 137, true)).toBe(false);
  });

  it('doubles the back-off from 100 ms, caps it at a minute, and resets after 10 s of running', () => {
    const b = new Backoff();
    const waits = Array.from({ length: 12 }, () => b.next(50));
    expect(waits.slice(0, 4)).toEqual([100, 200, 400, 800]);
    expect(Math.max(...waits)).toBe(60_000);
    expect(b.next(10_000)).toBe(100);
  });
});
