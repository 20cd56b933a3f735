/**
 * Compose's restart policies, applied the way Docker's engine does: a restart waits a back-off that starts
 * at 100 ms and doubles after each restart (at most 1 minute), and goes back to 100 ms once the service has
 * run for 10 s. `unless-stopped` and `always` behave alike here: only the run itself stops a service.
 */
import type { RestartPolicy } from '../../profile/stack.ts';

export const BACKOFF_START_MS = 100;
export const BACKOFF_MAX_MS = 60_000;
export const RESET_AFTER_MS = 10_000;

export function shouldRestart(policy: RestartPolicy, exitCode: number | null, stopping: boolean): boolean {
  if (stopping) return false;
  switch (policy) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0;
    case 'no':
      return false;
  }
}

export class Backoff {
  private delay = BACKOFF_START_MS;

  /** The wait before the next start, given how long the last run lasted. */
  next(ranForMs: number): number {
    if (ranForMs >= RESET_AFTER_MS) this.delay = BACKOFF_START_MS;
    const wait = this.delay;
    this.delay = Math.min(this.delay * 2, BACKOFF_MAX_MS);
    return wait;
  }
}
