import React from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { loadRunState, runStateNames } from '../../test/fixtures/run-states/load.ts';
import { TuiApp } from './TuiApp.tsx';
import { dashboardLines } from './Dashboard.tsx';
import { lineText } from './segments.ts';
import { displayWidth } from '../report/format.ts';
import { ensureColorLevel } from './tui-reporter.tsx';

afterEach(() => cleanup());

function frame(name: string, size: { columns: number; rows: number }, extra: Partial<React.ComponentProps<typeof TuiApp>> = {}) {
  const state = loadRunState(name);
  const app = render(<TuiApp state={state} colors={false} columns={size.columns} rows={size.rows} {...extra} />);
  const out = app.lastFrame() ?? '';
  return { out, app, state };
}

describe('dashboard snapshots', () => {
  it('starting: every service with its state, the stand-in marked, the missing one unavailable', () => {
    const { out } = frame('4gb-starting', { columns: 120, rows: 40 });
    expect(out).toContain('simulate 4gb');
    expect(out).toContain('cgroup v1');
    expect(out).toContain('cap 4.00 GB');
    expect(out).toContain('r-20251125-193000-4gb');
    expect(out).toContain('starting');
    expect(out).toMatch(/grafana\s+starting\s+standin/);
    expect(out).toMatch(/postgres\s+ready\s+real\s+62 MB/);
    expect(out).toMatch(/alertmanager\s+unavailable/);
    expect(out).toContain('Load not started yet');
    expect(out).toContain('4:54 left');
    expect(out).toContain('safety 3.20 GB');
  });

  it('steady: load against its targets, stage, histories', () => {
    const { out } = frame('4gb-steady', { columns: 120, rows: 40 });
    expect(out).toContain('stage 2/3 steady 300 req/s');
    expect(out).toContain('done 300 req/s (>= 297)');
    expect(out).toContain('avg 12 ms (<= 60 ms)');
    expect(out).toContain('p99 48 ms (< 1.00 s)');
    expect(out).toContain('p50 7.9 ms');
    expect(out).toMatch(/Errors 0\/s/);
    expect(out).toMatch(/req\/s [▁▂▃▄▅▆▇█]{10,}/);
    expect(out).toMatch(/history [▁▂▃▄▅▆▇█]{10,}/);
    // The bar against the cap appears at this width.
    expect(out).toContain('OF CAP');
    expect(out).toMatch(/grafana\s+ready\s+standin\s+119 MB/);
  });

  it('OOM kill: the kill, the restart, missed targets, the service restarting', () => {
    const { out } = frame('full-elk-oom', { columns: 120, rows: 40 });
    expect(out).toMatch(/elasticsearch\s+restarting\s+standin/);
    expect(out).toContain('OOM kill    elasticsearch pid 52183');
    expect(out).toContain('restart     elasticsearch pid 53388');
    expect(out).toContain('missed      p99 8.21 s');
    expect(out).toContain('PSI some 18.4%');
    expect(out).toContain('OOM kills 1 (max 0)');
    expect(out).toContain('dropped 12');
    expect(out).toContain('p99 2.41 s (< 1.00 s)');
    for (const name of ['elasticsearch', 'logstash', 'kibana', 'grafana']) {
      expect(out).toMatch(new RegExp(`${name}\\s+\\S+\\s+standin`));
    }
  });

  it('OOM kill at 80x24: the kill stays in the shortened event log', () => {
    const { out } = frame('full-elk-oom', { columns: 80, rows: 24 });
    expect(out).toContain('OOM kill    elasticsearch');
    expect(out).toContain('notable first');
  });

  it('verdict: FAIL per target with when it broke, kills, memory table, stand-ins; stays in <Static>', () => {
    const { out } = frame('full-elk-verdict', { columns: 100, rows: 30 }, { final: true });
    expect(out).toContain('Verdict: FAIL - 5 of 7 targets missed');
    expect(out).toMatch(/p99 latency\s+2\.87 s\s+< 1\.00 s\s+FAIL\s+1:58/);
    expect(out).toMatch(/average latency\s+212 ms\s+<= 60 ms\s+FAIL\s+1:58/);
    expect(out).toMatch(/cache hit rate\s+63\.4%\s+>= 50\.0%\s+PASS/);
    expect(out).toContain('OOM kills (2):');
    expect(out).toContain('1:57  elasticsearch pid 52183 killed at 2.02 GB working set');
    expect(out).toMatch(/elasticsearch\s+standin\s+ready\s+2\.02 GB\s+2\.00 GB/);
    expect(out).toContain('safety line 3.20 GB CROSSED');
    expect(out).toContain('grafana, elasticsearch, logstash, kibana');
    expect(out).toContain('open model');
  });

  it('verdict PASS', () => {
    const { out } = frame('4gb-verdict', { columns: 80, rows: 24 }, { final: true });
    expect(out).toContain('Verdict: PASS - all 7 targets met');
    expect(out).not.toContain('FAIL');
    expect(out).toMatch(/grafana\s+standin/);
  });

  it('re-renders with a new snapshot (the engine feeds it over time)', () => {
    const { app } = frame('4gb-starting', { columns: 100, rows: 30 });
    app.rerender(<TuiApp state={loadRunState('full-elk-oom')} colors={false} columns={100} rows={30} />);
    expect(app.lastFrame()).toContain('simulate full-elk');
    expect(app.lastFrame()).toContain('OOM kill');
  });
});

describe('edges', () => {
  it('a bare state (no services, no samples, empty histories, no cap, no safety line) still draws', () => {
    const s = loadRunState('4gb-starting');
    const bare = {
      ...s,
      capBytes: Infinity,
      safetyLineBytes: 0,
      services: [],
      events: [],
      stack: { ...s.stack, history: [], limit: Infinity },
      load: { ...loadRunState('4gb-steady').load!, rpsHistory: [], p99History: [], totalRequests: 0 },
    };
    for (const final of [false, true]) {
      const app = render(<TuiApp state={bare} colors={false} columns={80} rows={24} final={final} />);
      const out = app.lastFrame() ?? '';
      expect(out).toContain('simulate 4gb');
      for (const l of out.split('\n')) expect(displayWidth(l)).toBeLessThanOrEqual(80);
    }
    const out = render(<TuiApp state={bare} colors={false} columns={80} rows={24} />).lastFrame() ?? '';
    expect(out).toContain('cap unlimited');
    expect(out).toContain('(no samples yet)');
    expect(out).toContain('Events none yet');
  });
});

describe('sizes', () => {
  const sizes = [
    { columns: 80, rows: 24 },
    { columns: 120, rows: 40 },
    { columns: 60, rows: 20 },
  ];
  for (const name of runStateNames()) {
    for (const size of sizes) {
      it(`${name} at ${size.columns}x${size.rows}: no line wider than the terminal, shorter than its height`, () => {
        const { out } = frame(name, size);
        const lines = out.split('\n');
        for (const l of lines) expect(displayWidth(l), l).toBeLessThanOrEqual(size.columns);
        expect(lines.length).toBeLessThan(size.rows);
        // Same check on the line model, independent of Ink's own clipping.
        for (const l of dashboardLines({ state: loadRunState(name), ...size })) {
          expect(displayWidth(lineText(l))).toBeLessThanOrEqual(size.columns);
        }
      });
    }
    it(`${name} final report at 80 columns: no line wider than 80`, () => {
      const { out } = frame(name, { columns: 80, rows: 24 }, { final: true });
      for (const l of out.split('\n')) expect(displayWidth(l), l).toBeLessThanOrEqual(80);
    });
  }
});

describe('colour', () => {
  it('uses colour when enabled and none with colors=false (NO_COLOR)', () => {
    ensureColorLevel(true); // tests run without a TTY; force Ink's chalk on to see the difference
    const withColor = frame('full-elk-oom', { columns: 100, rows: 30 }, { colors: true }).out;
    expect(withColor).toMatch(/\x1b\[3\dm/);
    const without = frame('full-elk-oom', { columns: 100, rows: 30 }, { colors: false }).out;
    expect(without).not.toContain('\x1b[');
  });
});

describe('keys', () => {
  it('q and Ctrl-C call onQuit when stdin has raw mode', () => {
    const onQuit = vi.fn();
    const { app } = frame('4gb-steady', { columns: 100, rows: 30 }, { onQuit });
    expect(app.lastFrame()).toContain('(q: stop)');
    app.stdin.write('x');
    expect(onQuit).not.toHaveBeenCalled();
    app.stdin.write('q');
    app.stdin.write('\x03');
    expect(onQuit).toHaveBeenCalledTimes(2);
  });
});
