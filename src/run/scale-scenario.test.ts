import { describe, expect, it } from 'vitest';
import { parseScenario } from '../load/scenario.ts';
import { scaleScenario } from './scale-scenario.ts';

const scenario = parseScenario(
  {
    name: 'ramp-then-steady',
    requests: [{ path: '/health' }],
    stages: [
      { name: 'warm-up', duration: 60, ramp: { from: 10, to: 300 }, exclude: true },
      { name: 'steady', duration: 240, rate: 300 },
      { name: 'spike', duration: 30, rate: 600 },
    ],
  },
  'test',
);

const durations = (s: typeof scenario) => s.stages.map((x) => x.duration);

describe('scaleScenario', () => {
  it('keeps the stages and their proportions, scaled to the total', () => {
    const scaled = scaleScenario(scenario, 33);
    expect(durations(scaled)).toEqual([6, 24, 3]);
    expect(scaled.stages.map((s) => [s.name, s.rate, s.ramp, s.exclude])).toEqual(scenario.stages.map((s) => [s.name, s.rate, s.ramp, s.exclude]));
    expect(scaled.requests).toBe(scenario.requests);
    expect(scaled.name).toBe('ramp-then-steady');
  });

  it('stretches as well as shrinks', () => {
    expect(durations(scaleScenario(scenario, 660))).toEqual([120, 480, 60]);
  });

  it('gives every stage at least a second', () => {
    // At 5 s the spike's share is 0.45 s, which would round to nothing.
    expect(durations(scaleScenario(scenario, 5))).toEqual([1, 4, 1]);
    expect(durations(scaleScenario(scenario, 1)).every((d) => d >= 1)).toBe(true);
  });

  it('leaves the scenario it was given alone', () => {
    scaleScenario(scenario, 10);
    expect(durations(scenario)).toEqual([60, 240, 30]);
  });
});
