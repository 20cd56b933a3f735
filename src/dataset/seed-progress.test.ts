import { describe, expect, it } from 'vitest';
import { formatSeedProgress, parseSeedLine } from './seed-progress.ts';

describe('seed progress lines', () => {
  it('reads a batch line and estimates the time left from the rate so far', () => {
    const p = parseSeedLine('[seed] progress rows=400000 bytes=1073741824 target=3221225472 elapsed=20.0')!;
    expect(p).toMatchObject({ phase: 'rows', rows: 400000, bytes: 1024 ** 3, target: 3 * 1024 ** 3, elapsedS: 20 });
    expect(p.etaS).toBeCloseTo(40);
    expect(formatSeedProgress(p)).toBe('seeding: 400,000 rows, 1.00 of 3.00 GB (33 %), 40 s left');
  });

  it('reads the index and done lines; other lines are not progress', () => {
    expect(formatSeedProgress(parseSeedLine('[seed] indexes rows=10 bytes=1073741824 target=1 elapsed=3')!)).toBe('seeding: 10 rows, 1.00 GB: building indexes');
    const done = parseSeedLine('[seed] done users=1 conversations=2 messages=3 documents=4 bytes=2147483648 seconds=61.2')!;
    expect(done).toMatchObject({ phase: 'done', rows: 10, bytes: 2 * 1024 ** 3, etaS: 0 });
    expect(formatSeedProgress(done)).toBe('seeded: 10 rows, 2.00 GB in 61 s');
    expect(parseSeedLine('[seed] already seeded; skipping')).toBeUndefined();
    expect(parseSeedLine('LOG:  checkpoint starting')).toBeUndefined();
  });
});
