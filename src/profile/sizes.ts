/**
 * Sizes as people write them: `4g`, `3.5GiB`, `512m`, `256mb`, `1024` (bytes). Like Docker and Compose, the
 * suffixes are binary (1g = 1024³): a "4 GB server" cap of `4g` is exactly 4 GiB.
 */
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

const SIZE = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

/** Parse a size, or return an error message naming what is wrong. */
export function parseSize(input: string | number): { bytes: number } | { error: string } {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return { error: `size must be a non-negative number of bytes, got ${input}` };
    return { bytes: Math.floor(input) };
  }
  const m = SIZE.exec(input);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    return { error: `"${input}" is not a size (use e.g. 4g, 3.5GiB, 512m, 256mb)` };
  }
  return { bytes: Math.floor(Number(m[1]) * unit) };
}

export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;
