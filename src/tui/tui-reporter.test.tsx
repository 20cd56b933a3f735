import '../../test/helpers/ink-outside-ci.ts';
import { describe, expect, it, vi } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadRunState } from '../../test/fixtures/run-states/load.ts';
import { createTuiReporter } from './tui-reporter.tsx';
import { TestInput, TestOutput } from '../../test/helpers/test-terminal.ts';

const strip = (s: string) => s.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '').replace(/\x1b\][^\x07]*\x07/g, '');

function setup(opts: { stdinTTY?: boolean; stdoutTTY?: boolean; onQuit?: () => void; env?: NodeJS.ProcessEnv } = {}) {
  const stderr = new TestOutput(true, 100, 30);
  const stdout = new TestOutput(opts.stdoutTTY ?? false);
  const stdin = new TestInput(opts.stdinTTY ?? true);
  const r = createTuiReporter({
    stderr: stderr.asWriteStream(),
    stdout: stdout.asWriteStream(),
    stdin: stdin.asReadStream(),
    env: opts.env ?? {},
    onQuit: opts.onQuit,
    patchConsole: false,
  });
  return { r, stderr, stdout, stdin };
}

describe('TUI reporter (real Ink on a test terminal)', () => {
  it('renders at most about four times a second, always the latest snapshot', async () => {
    const { r, stderr } = setup();
    const s = loadRunState('4gb-steady');
    r.onStart?.({ ...s, elapsedS: 60 });
    // A burst far faster than the throttle: only the last one may show.
    for (let t = 61; t <= 80; t++) r.onTick?.({ ...s, elapsedS: t });
    await sleep(700);
    const out = strip(stderr.text());
    expect(out).toContain('1:00 elapsed');
    expect(out).toContain('1:20 elapsed');
    for (let t = 61; t < 80; t++) expect(out).not.toContain(`1:${String(t - 60).padStart(2, '0')} elapsed`);
    await r.close?.();
  });

  it('draws on stderr, keeps the verdict on screen at the end, and puts results on a piped stdout', async () => {
    const { r, stderr, stdout } = setup();
    r.onStart?.(loadRunState('full-elk-oom'));
    r.onEnd?.(loadRunState('full-elk-verdict'));
    await r.close?.();
    const screen = strip(stderr.text());
    expect(screen).toContain('simulate full-elk');
    expect(screen).toContain('Verdict: FAIL - 2 of 7 targets missed');
    expect(screen).toContain('elasticsearch, logstash, kibana, grafana');
    // Written once, not repeated by the unmount.
    expect(screen.match(/Verdict: FAIL/g)).toHaveLength(1);
    const results = stdout.text();
    expect(results).toContain('Verdict: FAIL');
    expect(results).toMatch(/SERVICE\s+KIND\s+STATUS/);
    expect(results).not.toContain('\x1b');
  });

  it('does not repeat results on stdout when stdout is the terminal too', async () => {
    const { r, stdout } = setup({ stdoutTTY: true });
    r.onEnd?.(loadRunState('4gb-verdict'));
    await r.close?.();
    expect(stdout.text()).toBe('');
  });

  it('q calls onQuit where stdin has raw mode', async () => {
    const onQuit = vi.fn();
    const { r, stdin } = setup({ onQuit });
    r.onStart?.(loadRunState('4gb-steady'));
    await sleep(20);
    expect(stdin.rawModeCalls).toContain(true);
    stdin.press('q');
    await sleep(20);
    expect(onQuit).toHaveBeenCalledTimes(1);
    await r.close?.();
    // Raw mode is given back on unmount.
    expect(stdin.rawModeCalls.at(-1)).toBe(false);
  });

  it('no key handling without a TTY stdin', async () => {
    const onQuit = vi.fn();
    const { r, stdin, stderr } = setup({ onQuit, stdinTTY: false });
    r.onStart?.(loadRunState('4gb-steady'));
    await sleep(20);
    stdin.press('q');
    await sleep(20);
    expect(onQuit).not.toHaveBeenCalled();
    expect(stdin.rawModeCalls).toEqual([]);
    expect(strip(stderr.text())).not.toContain('q: stop');
    await r.close?.();
  });

  it('NO_COLOR: no colour codes, only cursor movement', async () => {
    const { r, stderr } = setup({ env: { NO_COLOR: '1' } });
    r.onStart?.(loadRunState('full-elk-oom'));
    r.onEnd?.(loadRunState('full-elk-verdict'));
    await r.close?.();
    expect(stderr.text()).not.toMatch(/\x1b\[[0-9;]*m/);
  });

  it('with colours on, a FAIL is coloured even when stdout is piped', async () => {
    const { r, stderr } = setup({ env: {} });
    r.onEnd?.(loadRunState('full-elk-verdict'));
    await r.close?.();
    expect(stderr.text()).toMatch(/\x1b\[31m[^\x1b]*FAIL/);
  });
});
