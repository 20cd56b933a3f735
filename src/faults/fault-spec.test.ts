import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.ts';
import { checkFaults, describeFault, parseFaultEntry, parseFaultFlags, parseFaultText, parseSeconds } from './fault-spec.ts';

describe('parseFaultText', () => {
  it('reads each kind', () => {
    expect(parseFaultText('kill postgres@20s')).toMatchObject({ kind: 'kill', service: 'postgres', atS: 20, durationS: 0 });
    expect(parseFaultText('pause redis@30s+10s')).toMatchObject({ kind: 'pause', service: 'redis', atS: 30, durationS: 10 });
    expect(parseFaultText('hog 3g@20s')).toMatchObject({ kind: 'hog', bytes: 3 * 1024 ** 3, atS: 20, durationS: 10 });
    expect(parseFaultText('latency redis 100ms@40s+20s')).toMatchObject({ kind: 'latency', service: 'redis', ms: 100, atS: 40, durationS: 20 });
    expect(parseFaultText('loss redis 5%@1m+30')).toMatchObject({ kind: 'loss', service: 'redis', loss: 0.05, atS: 60, durationS: 30 });
    expect(parseFaultText('disk-full postgres@1m30s+5s')).toMatchObject({ kind: 'disk-full', service: 'postgres', atS: 90, durationS: 5 });
    expect(parseFaultText('restart app@5')).toMatchObject({ kind: 'restart', service: 'app', atS: 5, durationS: 0 });
    expect(parseFaultText('stop app@5s')).toMatchObject({ kind: 'stop', durationS: 10 });
  });

  it.each([
    ['kill postgres', /no start time/],
    ['explode postgres@1s', /not a fault kind/],
    ['kill@1s', /kill takes a service/],
    ['kill postgres@20s+5s', /one moment/],
    ['pause redis@soon', /not a time/],
    ['hog lots@1s', /not a size/],
    ['latency redis fast@1s', /milliseconds/],
    ['loss redis 150%@1s', /percentage/],
    ['pause redis@1s+0s', /more than 0/],
    ['pause redis@1s+2s+3s', /one \+ only/],
  ])('rejects %s', (text, message) => {
    expect(() => parseFaultText(text)).toThrow(message);
  });

  it('round-trips through its canonical text', () => {
    for (const t of ['kill postgres@20s', 'pause redis@30s+10s', 'hog 1g@20s+10s', 'latency redis 100ms@40s+20s', 'loss redis 5%@40s+20s']) {
      expect(describeFault(parseFaultText(t))).toBe(t);
    }
  });
});

describe('parseSeconds', () => {
  it('reads s, m and bare numbers', () => {
    expect(parseSeconds('20s')).toBe(20);
    expect(parseSeconds('2m')).toBe(120);
    expect(parseSeconds('1m5s')).toBe(65);
    expect(parseSeconds('7')).toBe(7);
    expect(parseSeconds('')).toBeUndefined();
    expect(parseSeconds('x')).toBeUndefined();
  });
});

describe('parseFaultFlags', () => {
  it('names every bad flag on its own line, as input errors', () => {
    try {
      parseFaultFlags(['kill postgres@20s', 'kill', 'hog x@1s']);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      const lines = (err as Error).message.split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^--fault "kill": no start time/);
      expect(lines[1]).toMatch(/^--fault "hog x@1s": /);
    }
  });
});

describe('scenario entries', () => {
  it('takes objects with the same fields', () => {
    expect(parseFaultEntry({ kind: 'latency', service: 'redis', latency: '100ms', at: '40s', duration: 20 })).toMatchObject({ ms: 100, atS: 40, durationS: 20, text: 'latency redis 100ms@40s+20s' });
    expect(() => parseFaultEntry({ kind: 'hog', at: 1 })).toThrow(/needs a size/);
  });
});

describe('checkFaults', () => {
  const services = [
    { name: 'postgres', runnable: true, ports: [15432] },
    { name: 'grafana', runnable: false, ports: [3001] },
    { name: 'worker', runnable: true, ports: [] },
  ];
  it('accepts faults on services that run, inside the load', () => {
    expect(() => checkFaults([parseFaultText('kill postgres@20s')], { services, loadS: 60 })).not.toThrow();
  });
  it('names each problem', () => {
    const faults = ['kill nosuch@1s', 'pause grafana@1s', 'latency worker 10ms@1s', 'kill postgres@90s'].map(parseFaultText);
    expect(() => checkFaults(faults, { services, loadS: 60 })).toThrow(InputError);
    try {
      checkFaults(faults, { services, loadS: 60 });
    } catch (err) {
      const lines = (err as Error).message.split('\n');
      expect(lines).toEqual([
        expect.stringMatching(/no service named nosuch/),
        expect.stringMatching(/grafana is not run/),
        expect.stringMatching(/publishes no port/),
        expect.stringMatching(/starts at 90 s, but the load lasts 60 s/),
      ]);
    }
  });
});
