import { describe, expect, it } from 'vitest';
import { AckLog, checkAcknowledged, existsQuery, redactUrl } from './acknowledged-writes.ts';

const ack = { table: 'messages', column: 'id', field: 'id' };

describe('AckLog', () => {
  it('keeps the id of each acknowledged answer and counts answers without one', () => {
    const log = new AckLog();
    log.record(ack, '{"id": 41, "role": "user"}', 1);
    log.record(ack, '{"id": "abc"}', 2);
    log.record(ack, '{"role": "user"}', 3);
    log.record(ack, 'not json', 4);
    expect(log.writes.map((w) => w.id)).toEqual(['41', 'abc']);
    expect(log.unreadable).toBe(2);
  });
});

describe('checkAcknowledged', () => {
  it('reports the ids the database does not have as lost', async () => {
    const log = new AckLog();
    for (const id of [1, 2, 3, 4]) log.record(ack, JSON.stringify({ id }), id);
    const seen: string[] = [];
    const r = await checkAcknowledged(log, 'postgresql://app:secret@127.0.0.1:1/app', {
      run: async (_url, sql) => {
        seen.push(sql);
        return '1\n2\n4\n';
      },
    });
    expect(seen[0]).toBe('SELECT id::text FROM messages WHERE id = ANY(ARRAY[1,2,3,4]::bigint[]);');
    expect(r).toMatchObject({ acknowledged: 4, found: 3, lost: 1, database: 'postgresql://app:***@127.0.0.1:1/app' });
    expect(r.lostWrites.map((w) => w.id)).toEqual(['3']);
  });

  it('waits for a database that is restarting, and says so when it never answers', async () => {
    const log = new AckLog();
    log.record(ack, '{"id": 1}', 1);
    let calls = 0;
    const ok = await checkAcknowledged(log, 'postgresql://x@h/db', {
      run: async () => {
        if (calls++ === 0) throw new Error('psql: error: connection to server failed: Connection refused');
        return '1\n';
      },
    });
    expect(ok).toMatchObject({ found: 1, lost: 0 });
    const never = await checkAcknowledged(log, 'postgresql://x@h/db', { waitMs: 0, run: async () => { throw new Error('could not connect to server'); } });
    expect(never.notChecked).toMatch(/did not answer/);
    const noUrl = await checkAcknowledged(log, undefined);
    expect(noUrl.notChecked).toMatch(/DATABASE_URL/);
  });

  it('quotes ids that are not numbers', () => {
    expect(existsQuery('t', 'k', ["a'b", 'c'])).toBe("SELECT k::text FROM t WHERE k::text = ANY(ARRAY['a''b','c']::text[]);");
    expect(redactUrl('postgresql://u:p@h:1/d')).toBe('postgresql://u:***@h:1/d');
  });
});
