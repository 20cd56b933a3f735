import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../model/index.ts';
import { AlertTracker, type PromAlert } from './alert-watcher.ts';

const T0 = Date.parse('2026-11-30T10:00:00Z');
const at = (s: number) => T0 + s * 1000;
const alert = (name: string, state: string, activeS: number): PromAlert => ({
  labels: { alertname: name, severity: 'critical' },
  annotations: { summary: `${name} summary` },
  state,
  activeAt: new Date(at(activeS)).toISOString(),
});

describe('alerts as they happened', () => {
  it('follows an alert from pending to firing to resolved, with the run second of each; pending-only apart', () => {
    const events: Array<Pick<RunEvent, 'kind' | 'detail'>> = [];
    const tr = new AlertTracker((ms) => Math.floor((ms - T0) / 1000), (e) => events.push(e));
    tr.update([alert('StackMemoryHigh', 'pending', 10)], at(15));
    tr.update([alert('StackMemoryHigh', 'firing', 10), alert('SwapInUse', 'pending', 300)], at(310));
    tr.update([alert('StackMemoryHigh', 'firing', 10)], at(320));
    tr.update([], at(400));
    const r = tr.report();
    expect(r.firing).toEqual([expect.objectContaining({ name: 'StackMemoryHigh', activeFromS: 10, firingFromS: 310, firingToS: 400 })]);
    expect(r.pending).toEqual([expect.objectContaining({ name: 'SwapInUse', activeFromS: 300, pendingToS: 320 })]);
    expect(events.map((e) => e.kind)).toEqual(['alert-pending', 'alert-firing', 'alert-pending', 'alert-resolved']);
    expect(events[1]!.detail).toBe('StackMemoryHigh (firing, critical) from second 310: StackMemoryHigh summary');
    expect(events[3]!.detail).toBe('StackMemoryHigh resolved at second 400 (fired from second 310)');
  });

  it('an alert still firing at the end has no end second', () => {
    const tr = new AlertTracker((ms) => Math.floor((ms - T0) / 1000), () => undefined);
    tr.update([alert('OOMKill', 'firing', 50)], at(60));
    expect(tr.report().firing[0]).toMatchObject({ firingFromS: 60, firingToS: null });
  });
});
