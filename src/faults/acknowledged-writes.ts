/**
 * Nothing acknowledged is lost: every write the app acknowledged during the load (a 2xx answer naming the
 * new row's id) is looked up in PostgreSQL after the load, with `psql` straight to the database (not
 * through the app, its cache or a fault proxy). A row that is not there was acknowledged and lost.
 */
import { execFile } from 'node:child_process';
import type { AckSpec } from '../load/request-mix.ts';
import type { AckedWrite, WriteCheck } from '../model/index.ts';

export type { AckedWrite, WriteCheck } from '../model/index.ts';



export class AckLog {
  readonly writes: AckedWrite[] = [];
  unreadable = 0;

  record = (ack: AckSpec, body: string, at: number): void => {
    let id: unknown;
    try {
      id = (JSON.parse(body) as Record<string, unknown>)[ack.field];
    } catch {
      id = undefined;
    }
    if ((typeof id === 'number' && Number.isFinite(id)) || (typeof id === 'string' && id !== '')) {
      this.writes.push({ table: ack.table, column: ack.column, id: String(id), at });
    } else {
      this.unreadable++;
    }
  };
}

/** A SQL literal array of the ids: numbers as they are, anything else quoted. */
export function sqlIdList(ids: string[]): string {
  return ids.map((id) => (/^-?\d+$/.test(id) ? id : `'${id.replace(/'/g, "''")}'`)).join(',');
}

/** The query that lists which of `ids` exist (identifiers were validated by the scenario schema). */
export function existsQuery(table: string, column: string, ids: string[]): string {
  const numeric = ids.every((id) => /^-?\d+$/.test(id));
  return numeric
    ? `SELECT ${column}::text FROM ${table} WHERE ${column} = ANY(ARRAY[${sqlIdList(ids)}]::bigint[]);`
    : `SELECT ${column}::text FROM ${table} WHERE ${column}::text = ANY(ARRAY[${sqlIdList(ids)}]::text[]);`;
}

export type SqlRunner = (databaseUrl: string, sql: string) => Promise<string>;

/** `psql URL -f -` with the SQL on stdin (thousands of ids do not fit a command line comfortably). */
export const psql: SqlRunner = (databaseUrl, sql) =>
  new Promise((resolve, reject) => {
    const child = execFile('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', databaseUrl, '-f', '-'], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error((stderr || err.message).trim().split('\n')[0]));
      else resolve(stdout);
    });
    child.stdin?.end(sql);
  });

/** Mask the password of a URL for the report. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/**
 * Look every acknowledged write up. The database may be restarting (a fault near the end): retry a
 * connection failure until `waitMs` has passed, then say it could not be checked.
 */
export async function checkAcknowledged(log: AckLog, databaseUrl: string | undefined, opts: { run?: SqlRunner; waitMs?: number; signal?: AbortSignal } = {}): Promise<WriteCheck> {
  const base: WriteCheck = { acknowledged: log.writes.length, found: 0, lost: 0, lostWrites: [], unreadable: log.unreadable };
  if (log.writes.length === 0) return base;
  if (!databaseUrl) return { ...base, notChecked: 'the app has no DATABASE_URL to check its writes against' };
  const run = opts.run ?? psql;
  const deadline = Date.now() + (opts.waitMs ?? 60_000);
  const groups = new Map<string, AckedWrite[]>();
  for (const w of log.writes) {
    const key = `${w.table}\u0000${w.column}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(w);
  }
  let found = 0;
  const lost: AckedWrite[] = [];
  for (const writes of groups.values()) {
    const { table, column } = writes[0]!;
    const present = new Set<string>();
    for (let i = 0; i < writes.length; i += 5000) {
      const ids = writes.slice(i, i + 5000).map((w) => w.id);
      let out: string | undefined;
      for (;;) {
        try {
          out = await run(databaseUrl, existsQuery(table, column, ids));
          break;
        } catch (err) {
          const msg = (err as Error).message;
          const connecting = /could not connect|connection refused|starting up|shutting down|recovery|terminat|server closed/i.test(msg);
          if (!connecting || Date.now() > deadline || opts.signal?.aborted) return { ...base, notChecked: `the database did not answer the check: ${msg}`, database: redactUrl(databaseUrl) };
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
      for (const line of out.split('\n')) if (line.trim()) present.add(line.trim());
    }
    for (const w of writes) (present.has(w.id) ? found++ : lost.push(w));
  }
  return { ...base, found, lost: lost.length, lostWrites: lost, database: redactUrl(databaseUrl) };
}
