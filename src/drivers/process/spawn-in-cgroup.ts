/**
 * Start a command already inside its cgroup: a tiny shell writes its own pid into the cgroup's procs files,
 * then execs the program, so not one page is allocated outside the cap. A user switch (postgres refuses
 * root) uses setpriv, which execs too: the pid we hold is the service's own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { Command } from '../../profile/stack.ts';

const JOIN_AND_EXEC = 'for f in $SIMULATE_CGROUP_PROCS; do echo $$ > "$f" || exit 125; done; exec "$@"';

export function userPrefix(user: string | undefined): string[] {
  if (!user || user === 'root') return [];
  return ['setpriv', `--reuid=${user}`, `--regid=${user}`, '--init-groups', '--'];
}

export function spawnInCgroup(cmd: Command, procsFiles: string[], logFile: string): ChildProcess {
  const out = fs.openSync(logFile, 'a');
  try {
    return spawn('/bin/sh', ['-c', JOIN_AND_EXEC, 'simulate-join', ...userPrefix(cmd.user), ...cmd.argv], {
      cwd: cmd.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', ...cmd.env, SIMULATE_CGROUP_PROCS: procsFiles.join(' ') },
      stdio: ['ignore', out, out],
      // Its own process group: Ctrl-C in the terminal reaches us, not the services; we stop them in order.
      detached: true,
    });
  } finally {
    fs.closeSync(out);
  }
}

/** Run a one-shot command (initdb, CREATE DATABASE) in the cgroup; resolve with its exit code. */
export function runInCgroup(cmd: Command, procsFiles: string[], logFile: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawnInCgroup(cmd, procsFiles, logFile);
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
}

/** The last lines of a log, for an error message. */
export function tailOf(file: string, lines = 3): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd();
    return text.split('\n').slice(-lines).join(' | ').slice(0, 400);
  } catch {
    // No log (the service never started writing): the message goes without its tail.
    return '';
  }
}
