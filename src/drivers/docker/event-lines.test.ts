import { describe, expect, it } from 'vitest';
import { JsonLineSplitter } from './event-lines.ts';

describe('JsonLineSplitter', () => {
  it('parses several objects in one chunk', () => {
    const s = new JsonLineSplitter();
    const got = s.push('{"Action":"oom","id":"a"}\n{"Action":"die","id":"a"}\n');
    expect(got.map((e) => e.Action)).toEqual(['oom', 'die']);
  });

  it('keeps a partial object until its line ends', () => {
    const s = new JsonLineSplitter();
    expect(s.push('{"Action":"st')).toEqual([]);
    expect(s.push('art","id":"b"}\n{"Act')).toEqual([{ Action: 'start', id: 'b' }]);
    expect(s.push('ion":"die"}\n')).toEqual([{ Action: 'die' }]);
  });

  it('reports a malformed line and goes on', () => {
    const s = new JsonLineSplitter();
    const bad: string[] = [];
    expect(s.push('nope\n{"Action":"die"}\n', (l) => bad.push(l))).toEqual([{ Action: 'die' }]);
    expect(bad).toEqual(['nope']);
  });

  it('flushes an unterminated last line', () => {
    const s = new JsonLineSplitter();
    s.push('{"Action":"die"}');
    expect(s.flush()).toEqual([{ Action: 'die' }]);
  });
});
