/** Dataset sizes as the profile and `--data` give them. */
import { InputError } from '../errors.ts';
import { parseSize } from '../profile/sizes.ts';

/** `--data 3g` / `x-simulate.dataset: 3g`; `0`, `none` or `off` = no dataset (the app seeds its small default). */
export function parseDataSize(value: string | number, where: string): number {
  if (typeof value === 'string' && /^(none|off|0)$/i.test(value.trim())) return 0;
  const r = parseSize(value);
  if ('error' in r) throw new InputError(`${where}: ${r.error}`, 'e.g. --data 3g (or --data none for the app\'s small default seed)');
  if (r.bytes > 0 && r.bytes < 16 * 1024 ** 2) throw new InputError(`${where}: ${r.bytes} bytes is too small for a dataset (at least 16m)`, 'e.g. --data 64m, or --data none');
  return r.bytes;
}

/** `3g`, `512m`, `1.5g`: the size as the key and the screen show it. */
export function sizeLabel(bytes: number): string {
  const g = bytes / 1024 ** 3;
  if (g >= 1) return `${Number(g.toFixed(2))}g`;
  return `${Number((bytes / 1024 ** 2).toFixed(0))}m`;
}

