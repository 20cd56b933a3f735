import { describe, expect, it } from 'vitest';
import type { RunState, StageState } from '../../model/index.ts';
import { loadRunState } from '../../../test/fixtures/run-states/load.ts';
import { stackTotalLine } from './memory-table.ts';
import { createPlainReporter } from './plain-reporter.ts';
import type { TextSink } from './sink.ts';

function collector(): TextSink & { text: () => string } {
  const chunks: string[] = [];
  return {
    write(chunk: string, cb?: (err?: Error | null) => void) {
      chunks.push(chunk);
      cb?.();
      return true;
    },
    text: () => chunks.join(''),
  };
}

/**
 * Replays the steady 4gb fixture (recorded from a real run) as the engine fed it: its events at their
 * seconds, a tick every second, then the end. The stage enters the state when its stage-start event is
 * emitted, as in the engine (the warm-up's own figures are not in the fixture: the steady ones stand in).
 */
function replay(statusIntervalS?: number) {
  const stdout = collector();
  const stderr = collector();
  const r = createPlainReporter({ stdout, stderr, statusIntervalS });
  const steady = loadRunState('4gb-steady');
  let stage: StageState | undefined;
  const at = (t: number): RunState => ({ ...steady, elapsedS: t, phase: stage ? 'running' : 'starting', stage });
  r.onStart?.(at(0));
  const events = [...steady.events];
  for (let t = 0; t <= steady.elapsedS; t++) {
    while (events.length && events[0].t <= t) {
      const e = events.shift()!;
      if (e.kind === 'stage-start') {
        stage = /warm-up/.test(e.detail)
          ? { ...steady.stage!, index: 0, name: 'warm-up', startedAtS: e.t, durationS: steady.stage!.startedAtS - e.t, excluded: true }
          : steady.stage;
      }
      r.onEvent?.(e, at(t));
    }
    r.onTick?.(at(t));
  }
  r.onEnd?.(loadRunState('4gb-verdict'));
  return { r, stdout: stdout.text(), stderr: stderr.text() };
}

describe('plain reporter', () => {
  it('never writes an escape sequence, on either stream', () => {
    const { stdout, stderr } = replay();
    expect(stderr).not.toContain('\x1b');
    expect(stdout).not.toContain('\x1b');
  });

  it('writes a start line, a line per event, and a status line every 5 s of run time to stderr', () => {
    const { stderr } = replay();
    const lines = stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('simulate: run 20261130-110613-b75b: profile 4gb, process driver, cap 4.00 GB, cgroup v1');
    expect(lines).toContain(' 0:01  ready       redis pid 3657: ready (tcp 127.0.0.1:16379)');
    expect(lines).toContain(' 0:13  stage       stage 2/2 steady: 32 s');
    // One line per event: the fixture's 16 events, each once.
    expect(lines.filter((l) => /^ \d:\d\d {2}(?!status)/.test(l))).toHaveLength(16);
    const status = lines.filter((l) => / status {2}/.test(l));
    // t = 5, 10, ..., 30 of the 33 s replayed; none after the end (the run-end event and the tables say how it ended).
    expect(status.map((l) => l.slice(0, 5))).toEqual([' 0:05', ' 0:10', ' 0:15', ' 0:20', ' 0:25', ' 0:30']);
    expect(status[0]).toContain('  status  stage 1/2 warm-up (not judged)  ');
    expect(status.at(-1)).toBe(
      ' 0:30  status  stage 2/2 steady  stack 352 MB / 4.00 GB (8.6%)  306 req/s of 300 req/s scheduled  avg 2.8 ms  p99 33 ms  errors 0/s (0 total)  0:13 left',
    );
  });

  it('honours another status interval', () => {
    const { stderr } = replay(10);
    expect(stderr.split('\n').filter((l) => / status {2}/.test(l)).map((l) => l.slice(0, 5))).toEqual([' 0:10', ' 0:20', ' 0:30']);
  });

  it('prints the verdict table and the memory table to stdout at the end, and only there', () => {
    const { stdout, stderr } = replay();
    expect(stderr).not.toContain('Verdict');
    expect(stdout).toContain('Verdict: PASS - all 7 targets met');
    expect(stdout).toMatch(/TARGET\s+MEASURED\s+LIMIT\s+RESULT\s+FIRST BROKE AT/);
    expect(stdout).toMatch(/p99 latency\s+74 ms\s+< 1\.00 s\s+PASS/);
    expect(stdout).toMatch(/throughput \(completed\)\s+300 req\/s\s+>= 300 req\/s\s+PASS\s+-\s+responses completed per second by completion time over the judged stages \(offered 300 req\/s\)/);
    expect(stdout).toMatch(/SERVICE\s+KIND\s+STATUS\s+PEAK WS\s+BUDGET\s+RSS\s+SWAP\s+OOM\s+RESTARTS/);
    expect(stdout).toMatch(/grafana\s+standin\s+stopped\s+129 MB\s+100 MB\s+128 MB/);
    expect(stdout).toContain('Stack: peak working set 358 MB of cap 4.00 GB (8.7%); safety line 3.20 GB not crossed');
  });

  it('gives the stack\'s peak page cache apart from its working set when the run read one', () => {
    const s = loadRunState('4gb-steady');
    s.stack.peakPageCache = 2.5 * 1024 ** 3;
    expect(stackTotalLine(s)).toMatch(/^Stack: peak working set 352 MB of cap 4\.00 GB \(8\.6%\); page cache up to 2\.50 GB \(reclaimable\); safety line/);
  });

  it('prints a stage change seen only in the state (no stage-start event), once', () => {
    const stderr = collector();
    const r = createPlainReporter({ stdout: collector(), stderr, statusIntervalS: 1000 });
    const s = loadRunState('4gb-steady');
    r.onStart?.({ ...s, stage: undefined });
    r.onTick?.(s);
    r.onTick?.({ ...s, elapsedS: s.elapsedS + 1 });
    const stageLines = stderr.text().split('\n').filter((l) => l.includes('  stage  '));
    expect(stageLines).toEqual([' 0:13  stage       stage 2/2 steady']);
  });

  it('does not repeat a stage the engine announced with stage-start', () => {
    const { stderr } = replay();
    const stages = stderr.split('\n').filter((l) => l.includes('  stage  '));
    expect(stages).toEqual([' 0:05  stage       stage 1/2 warm-up: 8 s (excluded from the verdict)', ' 0:13  stage       stage 2/2 steady: 32 s']);
  });

  it('strips escape codes a service wrote into an event detail', () => {
    const stderr = collector();
    const r = createPlainReporter({ stdout: collector(), stderr });
    const s = loadRunState('full-elk-oom');
    r.onEvent?.({ at: 0, t: 3, kind: 'service-exit', service: 'kibana', detail: '\x1b[31mFATAL\x1b[0m heap\r\nout of memory' }, s);
    expect(stderr.text().split('\n')[0]).toBe(' 0:03  exit        kibana: FATAL heap out of memory');
    expect(stderr.text()).not.toContain('\x1b');
  });

  it('OOM kills and FAIL in the full-elk verdict', () => {
    const stdout = collector();
    const r = createPlainReporter({ stdout, stderr: collector() });
    r.onEnd?.(loadRunState('full-elk-verdict'));
    r.onEnd?.(loadRunState('full-elk-verdict')); // a second end prints nothing more
    const text = stdout.text();
    expect(text.match(/Verdict:/g)).toHaveLength(1);
    expect(text).toContain('Verdict: FAIL - 2 of 7 targets missed');
    expect(text).toMatch(/OOM kills\s+9\s+<= 0\s+FAIL\s+0:10\s+elasticsearch at 10s, elasticsearch at 11s/);
    expect(text).toMatch(/memory left free \(cap − peak\)\s+8 KB\s+>= 800 MB\s+FAIL\s+0:05/);
    expect(text).toMatch(/throughput \(completed\)\s+300 req\/s\s+>= 300 req\/s\s+PASS/);
    expect(text).toContain('OOM kills (9):');
    expect(text).toContain('  0:47  elasticsearch pid 6344 killed at 1.83 GB working set; around it: ±3 s: p99 up to 83 ms, 0 errors/drops');
    expect(text).toContain('standin (a model of the service');
    // Killed at its last reading: peak above its budget, nothing resident, 9 kills, 8 restarts.
    expect(text).toMatch(/elasticsearch\s+standin\s+stopped\s+2\.25 GB\s+2\.00 GB\s+0 B\s+0 B\s+9\s+8/);
  });
});
