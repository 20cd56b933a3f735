import '../../test/helpers/ink-outside-ci.ts';
import { describe, expect, it } from 'vitest';
import { loadRunState } from '../../test/fixtures/run-states/load.ts';
import { TestOutput } from '../../test/helpers/test-terminal.ts';
import type { Reporter } from '../model/index.ts';
import { combineReporters } from '../report/combine-reporters.ts';
import { createReporter, isInteractive } from './choose-reporter.ts';

async function drive(opts: { tui: boolean; json: boolean; stderrTTY: boolean; env: NodeJS.ProcessEnv }) {
  const stdout = new TestOutput(false);
  const stderr = new TestOutput(opts.stderrTTY, 100, 30);
  const r = createReporter({ tui: opts.tui, json: opts.json, stdout: stdout.asWriteStream(), stderr: stderr.asWriteStream(), env: opts.env });
  r.onStart?.(loadRunState('4gb-starting'));
  r.onEnd?.(loadRunState('4gb-verdict'));
  await r.close?.();
  return { out: stdout.text(), err: stderr.text() };
}

// `stdin` is left as the test process's own (not a TTY under vitest), so the TUI adds no key handling here.
describe('createReporter picks', () => {
  it('the TUI on an interactive stderr', async () => {
    const { err, out } = await drive({ tui: true, json: false, stderrTTY: true, env: { NO_COLOR: '1' } });
    expect(err).toContain('SERVICE');
    expect(err).toMatch(/\x1b\[\d*[A-K]/); // the dashboard is redrawn in place
    expect(out).toContain('Verdict: PASS'); // stdout is not the terminal: results there too
  });

  it('plain lines in CI even on a TTY', async () => {
    const { err, out } = await drive({ tui: true, json: false, stderrTTY: true, env: { CI: 'true' } });
    expect(err.startsWith('simulate: run 20261130-110613-b75b: profile 4gb')).toBe(true);
    expect(err).not.toContain('\x1b');
    expect(out).toContain('Verdict: PASS');
  });

  it('plain lines with --no-tui, or when stderr is not a TTY', async () => {
    for (const o of [
      { tui: false, stderrTTY: true },
      { tui: true, stderrTTY: false },
    ]) {
      const { err, out } = await drive({ ...o, json: false, env: {} });
      expect(err).toContain('simulate: run ');
      expect(err + out).not.toContain('\x1b');
    }
  });

  it('JSON lines on stdout with --json', async () => {
    const { out, err } = await drive({ tui: false, json: true, stderrTTY: false, env: {} });
    const types = out.trimEnd().split('\n').map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types).toEqual(['start', 'end']);
    expect(err).toBe('');
  });

  it('JSON on stdout and the TUI on stderr when both apply; stdout stays pure JSON', async () => {
    const { out, err } = await drive({ tui: true, json: true, stderrTTY: true, env: { NO_COLOR: '1' } });
    for (const l of out.trimEnd().split('\n')) expect(() => JSON.parse(l)).not.toThrow();
    expect(err).toContain('Verdict: PASS');
  });
});

describe('helpers', () => {
  it('isInteractive follows Ink: a TTY and not CI', () => {
    expect(isInteractive({ isTTY: true }, {})).toBe(true);
    expect(isInteractive({ isTTY: true }, { CI: '1' })).toBe(false);
    expect(isInteractive({ isTTY: true }, { CI: 'false' })).toBe(true);
    expect(isInteractive({ isTTY: false }, {})).toBe(false);
    expect(isInteractive({}, {})).toBe(false);
  });

  it('combineReporters calls every reporter even when one throws, then rethrows', () => {
    const calls: string[] = [];
    const bad: Reporter = {
      onTick: () => {
        calls.push('bad');
        throw new Error('boom');
      },
    };
    const good: Reporter = { onTick: () => void calls.push('good') };
    const r = combineReporters(bad, good);
    expect(() => r.onTick?.(loadRunState('4gb-steady'))).toThrow('boom');
    expect(calls).toEqual(['bad', 'good']);
  });
});
