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

// The fixtures are recorded from real runs (test/fixtures/run-states/README.md): the figures below are
// those runs' figures, as the screen must print them.
describe('dashboard snapshots', () => {
  it('starting: every service with its state, the stand-in marked, the missing one unavailable', () => {
    const { out } = frame('4gb-starting', { columns: 120, rows: 40 });
    expect(out).toContain('simulate 4gb');
    expect(out).toContain('cgroup v1');
    expect(out).toContain('cap 4.00 GB');
    expect(out).toContain('20261130-110613-b75b');
    // No load yet, so no time left is known: the header says only what it knows.
    expect(out).toMatch(/^starting · 0:02 elapsed\s*$/m);
    expect(out).toMatch(/postgres\s+ready\s+real\s+52 MB/);
    expect(out).toMatch(/app\s+starting\s+real\s+102 MB/);
    // Not launched yet: the driver starts services one by one, in depends_on order.
    expect(out).toMatch(/grafana\s+waiting\s+standin\s+0 B/);
    expect(out).toMatch(/alertmanager\s+waiting\s+real/);
    expect(out).not.toMatch(/\bstopped\b/);
    expect(out).toContain('Load not started yet');
    expect(out).toContain('safety 3.20 GB');
    expect(out).toContain('ready       redis pid 3657: ready (tcp 127.0.0.1:16379)');
  });

  it('starting: a service whose program is missing shows as unavailable', () => {
    // Everything is installed where the fixtures were recorded; this is the state the engine gives a
    // service it cannot launch (initialState: no launch -> kind and status `unavailable`, the reason kept).
    const s = loadRunState('4gb-starting');
    const services = s.services.map((x) =>
      x.name === 'alertmanager'
        ? { ...x, kind: 'unavailable' as const, status: 'unavailable' as const, reason: 'program /usr/bin/prometheus-alertmanager not found' }
        : x,
    );
    const out = render(<TuiApp state={{ ...s, services }} colors={false} columns={120} rows={40} />).lastFrame() ?? '';
    expect(out).toMatch(/alertmanager\s+unavailable/);
    expect(out).not.toMatch(/alertmanager\s+stopped/);
  });

  it('steady: load against its targets, stage, histories', () => {
    const { out } = frame('4gb-steady', { columns: 120, rows: 40 });
    expect(out).toMatch(/^running · stage 2\/2 steady · 0:33 elapsed · 0:13 left\s*$/m);
    expect(out).toContain('done 306 req/s (>= 300)');
    expect(out).toContain('avg 2.8 ms (<= 60 ms)');
    expect(out).toContain('p99 33 ms (< 1.00 s)');
    expect(out).toContain('p50 1.8 ms');
    expect(out).toContain('0 of 7,100 judged 0% (<= 1.0%)');
    expect(out).toMatch(/Errors 0\/s/);
    expect(out).toMatch(/req\/s [▁▂▃▄▅▆▇█]{10,}/);
    expect(out).toMatch(/history [▁▂▃▄▅▆▇█]{10,}/);
    // The bar against the cap appears at this width.
    expect(out).toContain('OF CAP');
    // Grafana's stand-in holds more than its budget.
    expect(out).toMatch(/grafana\s+ready\s+standin\s+129 MB\s+█+\s+100 MB/);
    expect(out).toContain('Stack 352 MB / 4.00 GB 8.6%');
  });

  it('OOM kill: the kill, the killed service, the count against its target, the peak', () => {
    const { out } = frame('full-elk-oom', { columns: 120, rows: 40 });
    // Killed, and already brought back by its restart policy (the process driver's back-off is 100 ms).
    expect(out).toMatch(/elasticsearch\s+restarting\s+standin\s+458 MB/);
    expect(out).toMatch(/^elasticsearch .* 1\s+1\s*$/m); // RST 1, OOM 1
    expect(out).toContain('OOM kill    elasticsearch pid 5401');
    expect(out).toContain('OOM kills 1 (max 0)');
    expect(out).toContain('peak 3.58 GB');
    expect(out).toMatch(/kibana\s+starting\s+standin/);
    expect(out).toContain('Load not started yet');
    for (const name of ['elasticsearch', 'logstash', 'kibana', 'grafana']) {
      expect(out).toMatch(new RegExp(`${name}\\s+\\S+\\s+standin`));
    }
  });

  it('after repeated kills: restarts and kills per service, the kills first in the event log', () => {
    const { out } = frame('full-elk-verdict', { columns: 120, rows: 40 });
    expect(out).toMatch(/^elasticsearch .* 8\s+9\s*$/m); // RST 8, OOM 9
    expect(out).toContain('OOM kills 9 (max 0)');
    expect(out).toContain('Events (15 of 50, notable first)');
    expect(out).toContain('OOM kill    elasticsearch pid 5401');
    expect(out).toContain('OOM kill    elasticsearch pid 6344');
    expect(out).toContain('PSI some 0.0% full 0.0%');
  });

  it('OOM kill at 80x24: the kill stays in the shortened event log', () => {
    const { out } = frame('full-elk-oom', { columns: 80, rows: 24 });
    expect(out).toContain('OOM kill    elasticsearch');
    expect(out).toContain('notable first');
  });

  it('verdict: FAIL per target with when it broke, kills, memory table, stand-ins; stays in <Static>', () => {
    const { out } = frame('full-elk-verdict', { columns: 100, rows: 30 }, { final: true });
    expect(out).toContain('Verdict: FAIL - 2 of 7 targets missed');
    expect(out).toMatch(/OOM kills\s+9\s+<= 0\s+FAIL\s+0:10\s+elasticsearch at 10s/);
    expect(out).toMatch(/memory left free \(cap −…\s+8 KB\s+>= 800 MB\s+FAIL\s+0:05/);
    expect(out).toMatch(/p99 latency\s+109 ms\s+< 1\.00 s\s+PASS\s+-/);
    expect(out).toMatch(/cache hit rate\s+71\.4%\s+>= 50\.0%\s+PASS/);
    expect(out).toContain('OOM kills (9):');
    expect(out).toContain('0:10  elasticsearch pid 5401 killed at 2.25 GB working set');
    expect(out).toContain('around it: ±3 s: p99 up to 260 ms, 0 errors/drops');
    expect(out).toMatch(/elasticsearch\s+standin\s+stopped\s+2\.25 GB\s+2\.00 GB/);
    expect(out).toContain('safety line 3.20 GB CROSSED');
    expect(out).toContain('elasticsearch, logstash, kibana, grafana');
    expect(out).toContain('open model');
  });

  it('verdict PASS', () => {
    const { out } = frame('4gb-verdict', { columns: 80, rows: 24 }, { final: true });
    expect(out).toContain('Verdict: PASS - all 7 targets met');
    expect(out).not.toContain('FAIL');
    expect(out).toMatch(/grafana\s+standin/);
    expect(out).toContain('safety line 3.20 GB not crossed');
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
