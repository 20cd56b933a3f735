import { describe, expect, it } from 'vitest';
import type { RunState } from '../../run/events.ts';
import { loadRunState } from '../../../test/fixtures/run-states/load.ts';
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

/** Replays the steady 4gb fixture: its events at their seconds, a tick every second, then the end. */
function replay(statusIntervalS?: number) {
  const stdout = collector();
  const stderr = collector();
  const r = createPlainReporter({ stdout, stderr, statusIntervalS });
  const steady = loadRunState('4gb-steady');
  const at = (t: number): RunState => ({
    ...steady,
    elapsedS: t,
    phase: t < 10 ? 'starting' : 'running',
    stage: t < 10 ? undefined : t < 30 ? { ...steady.stage!, index: 0, name: 'warm-up', startedAtS: 10, excluded: true } : steady.stage,
  });
  r.onStart?.(at(0));
  const events = [...steady.events];
  for (let t = 0; t <= steady.elapsedS; t++) {
    while (events.length && events[0].t <= t) r.onEvent?.(events.shift()!, at(t));
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
    expect(lines[0]).toBe('simulate: run r-20251125-193000-4gb: profile 4gb, process driver, cap 4.00 GB, cgroup v1');
    expect(stderr).toContain(' 0:02  ready       redis: PONG after 0.1 s');
    expect(stderr).toContain(' 0:30  stage       steady 300 req/s for 240 s');
    const status = lines.filter((l) => / status {2}/.test(l));
    // t = 5, 10, ..., 95; none after the end (the run-end event and the tables say how it ended).
    expect(status).toHaveLength(19);
    expect(status[0]).toMatch(/^ 0:05 {2}status/);
    expect(status.at(-1)).toContain('stack 1.10 GB / 4.00 GB (27.4%)');
    expect(status.at(-1)).toContain('300 req/s of 300 req/s scheduled');
    expect(status.at(-1)).toContain('p99 48 ms');
    expect(status.at(-1)).toContain('errors 0/s (0 total)');
  });

  it('honours another status interval', () => {
    const { stderr } = replay(30);
    expect(stderr.split('\n').filter((l) => / status {2}/.test(l))).toHaveLength(3);
  });

  it('prints the verdict table and the memory table to stdout at the end, and only there', () => {
    const { stdout, stderr } = replay();
    expect(stderr).not.toContain('Verdict');
    expect(stdout).toContain('Verdict: PASS - all 7 targets met');
    expect(stdout).toMatch(/TARGET\s+MEASURED\s+LIMIT\s+RESULT\s+FIRST BROKE AT/);
    expect(stdout).toMatch(/p99 latency\s+52 ms\s+< 1\.00 s\s+PASS/);
    expect(stdout).toMatch(/SERVICE\s+KIND\s+STATUS\s+PEAK WS\s+BUDGET\s+RSS\s+SWAP\s+OOM\s+RESTARTS/);
    expect(stdout).toMatch(/grafana\s+standin\s+ready\s+119 MB\s+100 MB/);
    expect(stdout).toContain('Stack: peak working set 1.16 GB of cap 4.00 GB');
  });

  it('prints a stage change seen only in the state (no stage-start event), once', () => {
    const stderr = collector();
    const r = createPlainReporter({ stdout: collector(), stderr, statusIntervalS: 1000 });
    const s = loadRunState('4gb-steady');
    r.onStart?.({ ...s, stage: undefined });
    r.onTick?.(s);
    r.onTick?.({ ...s, elapsedS: s.elapsedS + 1 });
    const stageLines = stderr.text().split('\n').filter((l) => l.includes('  stage  '));
    expect(stageLines).toEqual([' 0:30  stage       stage 2/3 steady 300 req/s']);
  });

  it('does not repeat a stage the engine announced with stage-start', () => {
    const { stderr } = replay();
    const warmUp = stderr.split('\n').filter((l) => l.includes('  stage  ') && l.includes('warm-up'));
    expect(warmUp).toEqual([' 0:10  stage       warm-up: 0 -> 300 req/s over 20 s (not judged)']);
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
    expect(text).toMatch(/throughput\s+242 req\/s\s+>= 300 req\/s\s+FAIL\s+1:57/);
    expect(text).toContain('OOM kills (2):');
    expect(text).toContain('standin (a model of the service');
    expect(text).toMatch(/elasticsearch\s+standin\s+ready\s+2\.02 GB\s+2\.00 GB\s+198 MB\s+0 B\s+2\s+2/);
  });
});
