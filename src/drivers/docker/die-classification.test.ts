import { describe, expect, it } from 'vitest';
import { classifyDie, OOM_EVENT_WINDOW_MS } from './die-classification.ts';

// Container states as the engine gave them at `die` (FACTS.md: a 64 MB container that outgrows its limit
// gives `oom` then `die`, exit 137, State.OOMKilled=true).
describe('classifyDie', () => {
  it('an exit other than SIGKILL is never an OOM kill, whatever the flag says', () => {
    expect(classifyDie({ exitCode: 1, stateOomKilled: true, oomEventAgeMs: 5, kernelLogged: true }).oomKilled).toBe(false);
    expect(classifyDie({ exitCode: Number.NaN, stateOomKilled: true, oomEventAgeMs: 5 }).oomKilled).toBe(false);
  });

  it('the kernel log decides where it is readable', () => {
    expect(classifyDie({ exitCode: 137, kernelLogged: true })).toEqual({ oomKilled: true, evidence: 'kernel log' });
    // A sibling's OOM in the same parent: oom event and a stale flag here too, but the kernel killed someone else.
    expect(classifyDie({ exitCode: 137, stateOomKilled: true, oomEventAgeMs: 200, kernelLogged: false }).oomKilled).toBe(false);
  });

  it('without the log, the engine flag and a recent oom event must agree', () => {
    expect(classifyDie({ exitCode: 137, stateOomKilled: true, oomEventAgeMs: 300 })).toEqual({ oomKilled: true, evidence: 'engine flag and oom event' });
    // A SIGKILL (fault injection, docker kill) shortly after a sibling's OOM: the flag says no.
    expect(classifyDie({ exitCode: 137, stateOomKilled: false, oomEventAgeMs: 300 }).oomKilled).toBe(false);
    // The flag set long ago, no oom event around this death.
    expect(classifyDie({ exitCode: 137, stateOomKilled: true }).oomKilled).toBe(false);
    expect(classifyDie({ exitCode: 137, stateOomKilled: true, oomEventAgeMs: OOM_EVENT_WINDOW_MS }).oomKilled).toBe(false);
  });

  it('after a fast restart (flag unreadable as it died) a recent oom event decides, and says so', () => {
    expect(classifyDie({ exitCode: 137, oomEventAgeMs: 50 })).toEqual({ oomKilled: true, evidence: 'oom event (flag reset by a restart)' });
    expect(classifyDie({ exitCode: 137 }).oomKilled).toBe(false);
  });
});
