/**
 * Pressure stall information: the share of time tasks waited for memory. System-wide in
 * /proc/pressure/memory (kernel ≥ 4.20 with PSI on); per cgroup only on v2 (`memory.pressure`).
 */
import { readFileSync } from 'node:fs';

export interface PsiLine {
  /** Percent of wall time stalled, averaged over 10 s, 60 s and 300 s. */
  avg10: number;
  avg60: number;
  avg300: number;
  /** Total stall time in microseconds since boot (or since the cgroup was made). */
  total: number;
}

export interface Psi {
  /** At least one task stalled. */
  some: PsiLine;
  /** Every non-idle task stalled at once. Absent for system-wide cpu pressure on old kernels. */
  full?: PsiLine;
}

/** Parse `some avg10=0.00 avg60=0.00 avg300=0.00 total=0` / `full ...`. */
export function parsePsi(text: string): Psi {
  let some: PsiLine | undefined;
  let full: PsiLine | undefined;
  for (const line of text.split('\n')) {
    const [kind, ...pairs] = line.trim().split(/\s+/);
    if (kind !== 'some' && kind !== 'full') continue;
    const fields: Record<string, number> = {};
    for (const pair of pairs) {
      const eq = pair.indexOf('=');
      if (eq > 0) fields[pair.slice(0, eq)] = Number(pair.slice(eq + 1));
    }
    const parsed: PsiLine = {
      avg10: fields.avg10 ?? 0,
      avg60: fields.avg60 ?? 0,
      avg300: fields.avg300 ?? 0,
      total: fields.total ?? 0,
    };
    if (kind === 'some') some = parsed;
    else full = parsed;
  }
  if (!some) throw new Error(`not a PSI file: ${JSON.stringify(text.slice(0, 80))}`);
  return full ? { some, full } : { some };
}

/**
 * Read a PSI file. Undefined when the kernel has none: missing file (old kernel, v1 cgroup) or
 * EOPNOTSUPP (kernel booted with psi=0), so the monitor can leave the column empty.
 */
export async function readPsi(file = '/proc/pressure/memory'): Promise<Psi | undefined> {
  try {
    // Synchronous: a kernel-made file read once a second (see readTextNow in cgroup-files.ts).
    return parsePsi(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EOPNOTSUPP' || code === 'ENOTSUP') return undefined;
    throw err;
  }
}
