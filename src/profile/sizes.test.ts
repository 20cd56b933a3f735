import { describe, expect, it } from 'vitest';
import { parseSize } from './sizes.ts';

describe('parseSize', () => {
  it.each([
    ['4g', 4 * 1024 ** 3],
    ['3.5GiB', 3.5 * 1024 ** 3],
    ['512m', 512 * 1024 ** 2],
    ['256mb', 256 * 1024 ** 2],
    ['64 MiB', 64 * 1024 ** 2],
    ['1024', 1024],
    [2048, 2048],
  ])('%s → %d bytes', (input, bytes) => {
    expect(parseSize(input)).toEqual({ bytes });
  });

  it.each(['4gx', 'g', '-1g', 'four', ''])('rejects %j with a message naming it', (input) => {
    const r = parseSize(input);
    expect('error' in r && r.error).toContain(`"${input}"`);
  });

  it('rejects a negative number', () => {
    expect(parseSize(-5)).toHaveProperty('error');
  });
});
