/**
 * Was a container's `die` an OOM kill? Pure, from the facts the driver gathers at the `die` event, so each
 * case is a unit test on recorded container states.
 *
 * On cgroup v1 the engine hears of an OOM anywhere in the capped parent in every container below it: an
 * `oom` event, and State.OOMKilled, can belong to a sibling's kill. Exit 137 says only "SIGKILL", which a
 * fault injection or `docker kill` also sends. So the kernel's own log line naming this container's
 * process decides where the log is readable; without it, the engine's flag and its `oom` event must agree.
 */

/** An `oom` event at most this old counts as "just now" for the `die` that follows. */
export const OOM_EVENT_WINDOW_MS = 10_000;

export interface DieFacts {
  /** The exit code the `die` event carries (NaN when it carried none). */
  exitCode: number;
  /**
   * State.OOMKilled of the container as it died; undefined when it could not be read as it died (removed,
   * or already running again after a fast restart: the engine resets the flag on start).
   */
  stateOomKilled?: boolean;
  /** Milliseconds since this container's last `oom` event; undefined when it had none. */
  oomEventAgeMs?: number;
  /**
   * The kernel's log: true = a kill of this container's process is logged; false = the log was read and
   * holds none; undefined = the log could not be read (no root, no dmesg).
   */
  kernelLogged?: boolean;
}

export interface DieVerdict {
  oomKilled: boolean;
  /** Which evidence decided, for the event's detail. */
  evidence: 'kernel log' | 'engine flag and oom event' | 'oom event (flag reset by a restart)' | 'none';
}

export function classifyDie(f: DieFacts): DieVerdict {
  if (f.exitCode !== 137) return { oomKilled: false, evidence: 'none' };
  if (f.kernelLogged === true) return { oomKilled: true, evidence: 'kernel log' };
  if (f.kernelLogged === false) return { oomKilled: false, evidence: 'none' };
  const recent = f.oomEventAgeMs !== undefined && f.oomEventAgeMs >= 0 && f.oomEventAgeMs < OOM_EVENT_WINDOW_MS;
  if (!recent) return { oomKilled: false, evidence: 'none' };
  if (f.stateOomKilled === true) return { oomKilled: true, evidence: 'engine flag and oom event' };
  if (f.stateOomKilled === undefined) return { oomKilled: true, evidence: 'oom event (flag reset by a restart)' };
  return { oomKilled: false, evidence: 'none' };
}
