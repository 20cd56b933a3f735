/**
 * TEMPORARY stand-in for test/helpers/stack.ts's upStack(): PostgreSQL 15, Redis and the app
 * started by hand in a temp dir on free ports, with the same shape of result. The integration
 * test uses upStack() as soon as test/helpers/stack.ts exists (APP_TEST_MANUAL_STACK=1 forces
 * this one). Needs root (PostgreSQL runs as the postgres user via runuser).
 */
import { spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, mkdirSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { appUnavailableReason, freePort, startApp, stopChild } from './app-process.ts';

const run = promisify(execFile);
const PG_BIN = '/usr/lib/postgresql/15/bin';
const REDIS = '/usr/bin/redis-server';

export interface ManualStack {
  runId: string;
  appUrl: string;
  databaseUrl: string;
  down(): Promise<void>;
}

/** Why the manual stack cannot start here, or undefined. */
export function manualStackUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (PostgreSQL runs as the postgres user via runuser)';
  if (!existsSync(`${PG_BIN}/postgres`)) return 'needs postgres (apt-get install postgresql: PostgreSQL 15)';
  if (!existsSync(REDIS)) return 'needs redis-server (apt-get install redis-server)';
  if (spawnSync('id', ['-u', 'postgres']).status !== 0) return 'needs the postgres system user';
  return appUnavailableReason();
}

function uidGid(user: string): { uid: number; gid: number } {
  const uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
  return { uid, gid };
}

export async function upAppStackManual(opts: { env?: Record<string, string> } = {}): Promise<ManualStack> {
  const reason = manualStackUnavailableReason();
  if (reason) throw new Error(`manual stack unavailable: ${reason}`);
  const runId = `manual-${Date.now().toString(36)}`;
  const dir = mkdtempSync(join(tmpdir(), 'simulate-app-'));
  chmodSync(dir, 0o755);
  const pgData = join(dir, 'pg');
  const sock = join(dir, 'sock');
  mkdirSync(sock);
  const pg = uidGid('postgres');
  chownSync(sock, pg.uid, pg.gid);
  const children: ChildProcess[] = [];
  let app: Awaited<ReturnType<typeof startApp>> | undefined;

  const down = async (): Promise<void> => {
    await app?.stop();
    // SIGINT is PostgreSQL's "fast shutdown"; Redis exits on SIGTERM.
    for (const child of children.reverse()) await stopChild(child, child.spawnfile.endsWith('postgres') ? 'SIGINT' : 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    mkdirSync(pgData);
    chownSync(pgData, pg.uid, pg.gid);
    await run('runuser', ['-u', 'postgres', '--', `${PG_BIN}/initdb`, '-D', pgData, '-U', 'postgres', '-A', 'trust', '--no-sync'], {
      cwd: dir,
    });
    const pgPort = await freePort();
    // The seed's 4 GB settings.
    // Spawned directly as the postgres user (not through runuser), so our signals reach it.
    const postgres = spawn(
      `${PG_BIN}/postgres`,
      ['-D', pgData, '-p', String(pgPort), '-k', sock,
        '-c', 'listen_addresses=127.0.0.1', '-c', 'shared_buffers=256MB', '-c', 'work_mem=8MB',
        '-c', 'maintenance_work_mem=64MB', '-c', 'effective_cache_size=1GB', '-c', 'fsync=off'],
      { cwd: dir, uid: pg.uid, gid: pg.gid, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(postgres);
    let pgLog = '';
    postgres.stderr!.setEncoding('utf8').on('data', (d: string) => (pgLog += d));
    const adminUrl = `postgresql://postgres@127.0.0.1:${pgPort}/postgres`;
    for (let i = 0; ; i++) {
      const probe = spawnSync('psql', [adminUrl, '-Atc', 'SELECT 1'], { encoding: 'utf8' });
      if (probe.status === 0) break;
      if (i > 150 || postgres.exitCode !== null) throw new Error(`PostgreSQL did not start: ${pgLog.slice(-1000)}`);
      await sleep(100);
    }
    await run('psql', [adminUrl, '-v', 'ON_ERROR_STOP=1', '-c', "CREATE ROLE app LOGIN PASSWORD 'app'", '-c', 'CREATE DATABASE app OWNER app']);

    const redisPort = await freePort();
    const redis = spawn(REDIS, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--maxmemory', '256mb', '--maxmemory-policy', 'allkeys-lru', '--dir', dir], { stdio: 'ignore' });
    children.push(redis);

    const databaseUrl = `postgresql://app:app@127.0.0.1:${pgPort}/app`;
    app = await startApp({
      databaseUrl,
      env: { REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redisPort), ...opts.env },
    });
    return { runId, appUrl: app.url, databaseUrl, down };
  } catch (err) {
    await down();
    throw err;
  }
}
