/**
 * The app's seeding prints one line a batch (`[seed] progress rows=… bytes=… target=… elapsed=…`);
 * this turns them into figures for the screen: rows, MB, share done and time left at the rate so far.
 */
import { formatCount } from '../report/format.ts';

export interface SeedProgress {
  phase: 'rows' | 'indexes' | 'done';
  rows: number;
  bytes: number;
  target: number;
  elapsedS: number;
  /** Seconds left at the average rate so far (undefined until there is a rate). */
  etaS?: number;
}

const LINE = /^\[seed\] (progress|indexes|done) (.*)$/;

export function parseSeedLine(line: string): SeedProgress | undefined {
  const m = LINE.exec(line.trim());
  if (!m) return undefined;
  const f: Record<string, number> = {};
  for (const kv of m[2]!.split(/\s+/)) {
    const [k, v] = kv.split('=');
    if (k && v !== undefined && Number.isFinite(Number(v))) f[k] = Number(v);
  }
  const phase = m[1] === 'progress' ? 'rows' : (m[1] as 'indexes' | 'done');
  const target = f.target ?? f.bytes ?? 0;
  const elapsedS = f.elapsed ?? f.seconds ?? 0;
  const rows = f.rows ?? (f.users ?? 0) + (f.conversations ?? 0) + (f.messages ?? 0) + (f.documents ?? 0);
  const bytes = f.bytes ?? 0;
  const p: SeedProgress = { phase, rows, bytes, target, elapsedS };
  if (phase === 'rows' && bytes > 0 && elapsedS > 0 && target > bytes) p.etaS = ((target - bytes) * elapsedS) / bytes;
  if (phase === 'done') p.etaS = 0;
  return p;
}

/** `seeding: 412,000 rows, 1.20 of 3.00 GB (40 %), 38 s left`: the one line the screen and plain output show. */
export function formatSeedProgress(p: SeedProgress): string {
  const gb = (b: number) => (b / 1024 ** 3).toFixed(2);
  const pct = p.target > 0 ? Math.min(100, Math.round((100 * p.bytes) / p.target)) : 0;
  const rows = formatCount(p.rows);
  if (p.phase === 'indexes') return `seeding: ${rows} rows, ${gb(p.bytes)} GB: building indexes`;
  if (p.phase === 'done') return `seeded: ${rows} rows, ${gb(p.bytes)} GB in ${p.elapsedS.toFixed(0)} s`;
  const left = p.etaS === undefined ? '' : `, ${Math.ceil(p.etaS)} s left`;
  return `seeding: ${rows} rows, ${gb(p.bytes)} of ${gb(p.target)} GB (${pct} %)${left}`;
}
