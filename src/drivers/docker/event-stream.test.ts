import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from './event-lines.ts';
import { ReopeningEvents } from './event-stream.ts';

const ev = (id: string, action: string, sec: number, nano = 0): EngineEvent => ({ Action: action, Actor: { ID: id }, time: sec, timeNano: sec * 1e9 + nano });
const line = (e: EngineEvent) => `${JSON.stringify(e)}\n`;

describe('ReopeningEvents', () => {
  it('reopens a stream the engine closed from the last second seen; what the engine sends again is not counted twice', async () => {
    const streams: PassThrough[] = [];
    const sinces: Array<number | undefined> = [];
    let failNext = 1;
    const got: string[] = [];
    const notes: string[] = [];
    const events = new ReopeningEvents(
      {
        open: async (since) => {
          sinces.push(since);
          // The engine is still down on the first try after the close.
          if (streams.length === 1 && failNext-- > 0) throw new Error('connect ENOENT /var/run/docker.sock');
          const s = new PassThrough();
          streams.push(s);
          return s;
        },
      },
      (e) => got.push(`${e.Actor?.ID} ${e.Action} ${e.timeNano}`),
      (d) => notes.push(d),
      5,
    );
    await events.start();
    streams[0]!.write(line(ev('a', 'start', 100)) + line(ev('a', 'die', 105, 1)));
    // The engine stops: the stream ends mid-line.
    streams[0]!.end(JSON.stringify(ev('b', 'oom', 105, 2)).slice(0, 10));
    await new Promise((r) => setTimeout(r, 50));
    expect(streams).toHaveLength(2);
    expect(sinces).toEqual([undefined, 105, 105]);
    expect(notes[0]).toMatch(/reopened from 1970-01-01T00:01:45.000Z/);
    // The engine replays second 105 (the die already seen) and what happened while we were away.
    streams[1]!.write(line(ev('a', 'die', 105, 1)) + line(ev('b', 'oom', 105, 2)) + line(ev('a', 'start', 107)));
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual(['a start 100000000000', 'a die 105000000001', 'b oom 105000000002', 'a start 107000000000']);
    events.close();
    streams[1]!.end();
    await new Promise((r) => setTimeout(r, 20));
    expect(streams).toHaveLength(2);
    expect(events.reopened).toBe(1);
  });
});
