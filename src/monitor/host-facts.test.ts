import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { describeHost, hostFacts } from './host-facts.ts';

describe('host facts (systeminformation)', () => {
  it('match what Node sees of this machine, and name the disk holding the folder', async () => {
    const h = await hostFacts(os.tmpdir());
    expect(h.memoryBytes).toBe(os.totalmem());
    expect(h.kernel).toBe(os.release());
    expect(h.cpu.cores).toBe(os.cpus().length);
    expect(h.cpu.model.length).toBeGreaterThan(0);
    expect(h.disk?.sizeBytes).toBeGreaterThan(0);
    expect(os.tmpdir().startsWith(h.disk!.mount)).toBe(true);
    expect(describeHost(h)).toContain(`${h.cpu.cores} cores`);
  });
});
