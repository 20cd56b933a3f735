/**
 * Debug lines for failures we deliberately carry on past (a cgroup already gone at teardown, an optional
 * read that did not answer). Quiet unless SIMULATE_DEBUG=1, then one line each on stderr, like
 * testcontainers' debug channel.
 */
export function debugEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.SIMULATE_DEBUG;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

export function debug(area: string, message: string, env: NodeJS.ProcessEnv = process.env): void {
  if (debugEnabled(env)) process.stderr.write(`simulate:debug ${area}: ${message}\n`);
}

/**
 * A `.catch` handler for a failure the caller deliberately carries on past: says what failed under
 * SIMULATE_DEBUG=1 and gives `fallback`. `what` names the operation, e.g. `remove container`.
 */
export function swallow<T = undefined>(area: string, what: string, fallback?: T): (err: unknown) => T {
  return (err: unknown) => {
    debug(area, `${what}: ${err instanceof Error ? err.message : String(err)}`);
    return fallback as T;
  };
}
