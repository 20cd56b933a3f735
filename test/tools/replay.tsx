/**
 * Replays recorded RunState snapshots through the real reporters, at speed, to try the TUI and the
 * plain/JSON output in a terminal without running a stack:
 *   npx tsx test/tools/replay.tsx [full-elk|4gb] [--speed 10] [--no-tui] [--json]
 * It also shows how the engine wires a reporter: start, events, a tick a second, end, close;
 * `q`/Ctrl-C -> onQuit -> close -> exit 130.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunState } from '../../src/model/index.ts';
import { createReporter } from '../../src/cli/choose-reporter.ts';
import { loadRunState } from '../fixtures/run-states/load.ts';

const args = process.argv.slice(2);
const speedAt = args.indexOf('--speed');
const profile = args.find((a, i) => !a.startsWith('--') && i !== speedAt + 1) ?? 'full-elk';
const speed = speedAt >= 0 ? Number(args[speedAt + 1]) : 10;
const chain = profile === '4gb' ? ['4gb-starting', '4gb-steady', '4gb-verdict'] : ['full-elk-oom', 'full-elk-verdict'];
const snapshots = chain.map(loadRunState);

let quit = false;
const reporter = createReporter({
  tui: !args.includes('--no-tui'),
  json: args.includes('--json'),
  stdout: process.stdout,
  stderr: process.stderr,
  onQuit: () => {
    quit = true;
  },
});
process.on('SIGINT', () => {
  quit = true;
});

/** Snapshot `to` as it would have looked at second `t`: shorter histories, fewer events. */
function at(to: RunState, t: number): RunState {
  const behind = Math.max(0, Math.round(to.elapsedS - t));
  const cut = <T,>(xs: T[]) => xs.slice(0, Math.max(1, xs.length - behind));
  return {
    ...to,
    phase: to.phase === 'done' ? 'running' : to.phase,
    verdict: undefined,
    elapsedS: t,
    timeLeftS: to.timeLeftS !== undefined ? to.timeLeftS + behind : undefined,
    stack: { ...to.stack, history: cut(to.stack.history) },
    load: to.load && { ...to.load, rpsHistory: cut(to.load.rpsHistory), p99History: cut(to.load.p99History) },
    events: to.events.filter((e) => e.t <= t),
  };
}

let t = 0;
const seen = new Set<string>();
reporter.onStart?.(at(snapshots[0], 0));
for (const snap of snapshots) {
  for (; t <= snap.elapsedS && !quit; t++) {
    const s = at(snap, t);
    for (const e of s.events) {
      const key = `${e.t}|${e.kind}|${e.service ?? ''}|${e.detail}`;
      if (!seen.has(key)) {
        seen.add(key);
        reporter.onEvent?.(e, s);
      }
    }
    reporter.onTick?.(s);
    await sleep(1000 / speed);
  }
}
if (quit) {
  await reporter.close?.();
  process.stderr.write('simulate: interrupted\n');
  process.exit(130);
}
reporter.onEnd?.(snapshots[snapshots.length - 1]);
await reporter.close?.();
process.exit(snapshots[snapshots.length - 1].verdict?.pass ? 0 : 1);
