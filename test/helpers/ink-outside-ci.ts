/**
 * Ink decides once, when it is first imported, whether it runs in CI (the is-in-ci package: CI,
 * CONTINUOUS_INTEGRATION or any CI_* variable), and in CI it never redraws. Tests of the live TUI on a
 * fake terminal must see what a person's terminal sees, so they import this first (before Ink): the
 * CI variables are removed from this test worker only. The reporter's own CI rule (no TUI in CI) is
 * tested with an explicit env, not this process's.
 */
for (const key of Object.keys(process.env)) {
  if (key === 'CI' || key === 'CONTINUOUS_INTEGRATION' || key.startsWith('CI_')) delete process.env[key];
}
