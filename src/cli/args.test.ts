import { describe, expect, it } from 'vitest';
import { parseCli } from './args.ts';
import { inputError } from '../../test/helpers/input-error.ts';
import { parseFaultFlags } from '../faults/fault-spec.ts';

describe('parseCli', () => {
  it('has defaults', () => {
    expect(parseCli([])).toEqual({
      command: 'run',
      positionals: [],
      profile: undefined,
      driver: 'auto',
      cap: undefined,
      swap: undefined,
      cpus: undefined,
      durationS: undefined,
      out: 'results',
      scenario: undefined,
      model: 'open',
      overrides: [],
      variants: [],
      repeat: undefined,
      claims: false,
      quick: false,
      noLoad: false,
      tui: true,
      json: false,
      csv: undefined,
      intervalMs: 1000,
      target: undefined,
      rate: undefined,
      allowRemote: false,
      loadFrom: 'here',
      faults: [],
      caps: undefined,
      costs: [],
      maxAvgMs: undefined,
      maxP99Ms: undefined,
      maxErrorRate: undefined,
      startRate: undefined,
      stepTime: undefined,
      help: false,
      version: false,
    });
  });

  it('collects every --set in order', () => {
    expect(parseCli(['-p', '4gb', '--set', 'app.environment.CACHE_ENABLED=false', '--set', 'grafana.x-simulate.enabled=false']).overrides).toEqual([
      'app.environment.CACHE_ENABLED=false',
      'grafana.x-simulate.enabled=false',
    ]);
  });

  it('reads a capacity command line', () => {
    const a = parseCli(['capacity', '-p', '4gb', '--caps', '2g, 4g', '--quick', '--cost', '4g=400', '--cost', '2g=150', '--max-avg', '50', '--max-p99', '800', '--max-errors', '2%', '--step-time', '2,4,6']);
    expect(a).toMatchObject({ command: 'capacity', caps: ['2g', '4g'], quick: true, costs: ['4g=400', '2g=150'], maxAvgMs: 50, maxP99Ms: 800, maxErrorRate: 0.02, stepTime: { warmupS: 2, measureS: 4, confirmS: 6 } });
    expect(parseCli(['capacity', '--max-errors', '0.005']).maxErrorRate).toBe(0.005);
    expect(() => parseCli(['capacity', '--max-errors', '150%'])).toThrow(/--max-errors: "150%" is not a share of requests/);
    expect(() => parseCli(['capacity', '--step-time', '2,4'])).toThrow(/--step-time: "2,4" is not three positive numbers/);
  });

  it('reads a full run command line', () => {
    const a = parseCli(['-p', '4gb', '--driver', 'process', '--cap', '3.5GiB', '--swap', '512m', '--cpus', '1.5', '-d', '20', '-s', 'steady-300', '--model', 'closed', '--no-tui', '--json', '--csv', 'out.csv', '--interval', '250', '--out', 'r']);
    expect(a).toMatchObject({
      command: 'run',
      profile: '4gb',
      driver: 'process',
      cap: '3.5GiB',
      swap: '512m',
      cpus: 1.5,
      durationS: 20,
      scenario: 'steady-300',
      model: 'closed',
      tui: false,
      json: true,
      csv: 'out.csv',
      intervalMs: 250,
      out: 'r',
    });
    expect(parseCli(['--target', 'http://127.0.0.1:8000/health', '--rate', '50', '--duration=10', '--allow-remote'])).toMatchObject({
      target: 'http://127.0.0.1:8000/health',
      rate: 50,
      durationS: 10,
      allowRemote: true,
    });
  });

  it('reads the commands and their positionals', () => {
    expect(parseCli(['up', '--profile', '4gb', '--json'])).toMatchObject({ command: 'up', positionals: [], profile: '4gb', json: true });
    expect(parseCli(['down', '20261125-191107-e92c'])).toMatchObject({ command: 'down', positionals: ['20261125-191107-e92c'] });
    expect(parseCli(['down'])).toMatchObject({ command: 'down', positionals: [] });
    expect(parseCli(['doctor']).command).toBe('doctor');
    expect(parseCli(['setup', '--driver', 'docker'])).toMatchObject({ command: 'setup', driver: 'docker' });
    expect(parseCli(['help'])).toMatchObject({ command: 'help', help: true });
    expect(parseCli(['--help']).help).toBe(true);
    expect(parseCli(['-h']).help).toBe(true);
    expect(parseCli(['-v']).version).toBe(true);
  });

  it('names --duration when its value is negative, zero or not a number', () => {
    for (const argv of [['--duration', '-5'], ['--duration=-5'], ['--duration', '0'], ['--duration', 'abc'], ['--duration', ''], ['--duration', 'Infinity']]) {
      const e = inputError(() => parseCli(argv));
      expect(e.message, argv.join(' ')).toMatch(/^--duration: ".*" is not a positive number of seconds$/);
      expect(e.hint).toContain('--duration 60');
    }
    expect(inputError(() => parseCli(['--duration', '-5'])).message).toContain('"-5"');
  });

  it('names --duration for a negative value after its short flag too', () => {
    expect(inputError(() => parseCli(['-d', '-5'])).message).toBe('--duration: "-5" is not a positive number of seconds');
  });

  it('checks the other numbers', () => {
    expect(inputError(() => parseCli(['--rate', '-1'])).message).toMatch(/^--rate: "-1"/);
    expect(inputError(() => parseCli(['--cpus', 'two'])).message).toMatch(/^--cpus: "two"/);
    expect(inputError(() => parseCli(['--interval', '0'])).message).toMatch(/^--interval: "0" is not a positive number of milliseconds/);
    expect(parseCli(['--rate', '0.5']).rate).toBe(0.5);
  });

  it('rejects an unknown option, naming it', () => {
    const e = inputError(() => parseCli(['--frobnicate']));
    expect(e.message).toContain('--frobnicate');
    expect(e.message).not.toMatch(/To specify a positional/);
    expect(e.hint).toContain('--help');
  });

  it('rejects a string option with no value', () => {
    expect(inputError(() => parseCli(['--profile'])).message).toContain('--profile');
  });

  it('rejects an unknown command', () => {
    const e = inputError(() => parseCli(['start']));
    expect(e.message).toBe('unknown command "start"');
    expect(e.hint).toContain('run, up, down, doctor, setup, report, compare, capacity, help');
  });

  it('checks --driver and --model', () => {
    expect(inputError(() => parseCli(['--driver', 'podman'])).message).toBe('--driver: "podman" is not a driver');
    expect(inputError(() => parseCli(['--model', 'half-open'])).message).toBe('--model: "half-open" is not a load model');
    expect(parseCli(['--driver', 'docker', '--model', 'closed'])).toMatchObject({ driver: 'docker', model: 'closed' });
  });

  it('leaves a negative-looking value of another string option to its own check', () => {
    // Joined like --duration's, so the value reaches the profile's size parser instead of a parse error.
    expect(parseCli(['--cap', '-1g']).cap).toBe('-1g');
  });
});

describe('--fault', () => {
  // main.ts passes the fault parser only when a --fault is given (it loads zod).
  it('is repeatable and parsed when the command line is read', () => {
    const a = parseCli(['--profile', '4gb', '--fault', 'kill postgres@20s', '--fault', 'pause redis@30s+10s'], parseFaultFlags);
    expect(a.faults.map((f) => f.text)).toEqual(['kill postgres@20s', 'pause redis@30s+10s']);
  });
  it('a bad one is an input error naming it', () => {
    expect(() => parseCli(['--profile', '4gb', '--fault', 'kill postgres'], parseFaultFlags)).toThrow(/--fault "kill postgres": no start time/);
  });

  it('reads --docker-host and --load-from, and refuses the process driver on a remote engine', () => {
    expect(parseCli(['--docker-host', 'ssh://root@10.0.0.2:2222']).dockerHost).toMatchObject({ kind: 'ssh', user: 'root', host: '10.0.0.2', port: 2222 });
    expect(parseCli(['--load-from', 'remote']).loadFrom).toBe('remote');
    expect(() => parseCli(['--load-from', 'there'])).toThrow(/--load-from: "there" is not a place/);
    expect(() => parseCli(['--docker-host', 'box'])).toThrow(/--docker-host: "box" has no scheme/);
    expect(() => parseCli(['--driver', 'process', '--docker-host', 'ssh://a@b'])).toThrow(/--driver process runs on this machine/);
  });
});
