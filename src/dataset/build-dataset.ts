/**
 * Builds a kept dataset: a PostgreSQL of the profile's own settings, started outside any run on its
 * Unix socket only (no TCP port to clash with a running stack), the app's own seeding asked to fill
 * the database to the size (`run.py --seed-only`, SEED_DATA_BYTES), a clean shutdown, then the data
 * directory moved into place. Half-built datasets never count: the build happens in a scratch
 * directory that is renamed only when everything succeeded, and removed otherwise.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { EnvironmentError, InterruptedError } from '../errors.ts';
import { userPrefix } from '../drivers/process/spawn-in-cgroup.ts';
import { loadProfile } from '../profile/load-profile.ts';
import type { Command, Stack } from '../profile/stack.ts';
import { datasetSpec, postgresService, postgresVolumeDir, readDatasetRecord, type DatasetRecord, type DatasetSpec } from './dataset-spec.ts';
import { evictFromPageCache } from './cold-copy.ts';
import { parseSeedLine, type SeedProgress } from './seed-progress.ts';

const run = promisify(execFile);

// Settings for the build only: nothing here has to survive a crash (a failed build is thrown away),
// so no fsync. A small max_wal_size: checkpoints recycle the WAL as the rows go in, so the kept copy is
// the database and not the database plus as much again of WAL (which every run would copy). The run starts this data dir with the profile's settings.
const BUILD_SETTINGS = ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'wal_level=minimal', 'max_wal_senders=0', 'max_wal_size=256MB', 'min_wal_size=64MB', 'checkpoint_timeout=1h', 'listen_addresses='];

export interface BuildOptions {
  onProgress?: (p: SeedProgress) => void;
  signal?: AbortSignal;
  /** Where the build's logs go (postgres and the seed's own output). */
  logDir?: string;
  /**
   * cgroup.procs files every process of the build joins (a run's `dataset-build` child): a run killed
   * mid-build leaves its builder's PostgreSQL and seeder to the reaper, not running on for ever.
   */
  procsFiles?: string[];
}

const JOIN_AND_EXEC = 'for f in $SIMULATE_CGROUP_PROCS; do echo $$ > "$f" || exit 125; done; exec "$@"';

/** argv run through a shell that first joins the given cgroups (none: argv as is). */
function joined(argv: string[], procsFiles: string[] | undefined): { argv: string[]; env: Record<string, string> } {
  if (!procsFiles?.length) return { argv, env: {} };
  return { argv: ['/bin/sh', '-c', JOIN_AND_EXEC, 'simulate-join', ...argv], env: { SIMULATE_CGROUP_PROCS: procsFiles.join(' ') } };
}

/** The kept dataset for this stack and size: built now if missing. */
export async function ensureDataset(stack: Stack, bytes: number, opts: BuildOptions = {}): Promise<{ spec: DatasetSpec; record: DatasetRecord; built: boolean }> {
  const spec = datasetSpec(stack, bytes);
  const have = readDatasetRecord(spec);
  if (have) return { spec, record: have, built: false };
  // One builder at a time per dataset: a second run waits for the first one's build, then uses it.
  const release = await takeLock(`${spec.dir}.lock`, opts.signal);
  try {
    const now = readDatasetRecord(spec);
    if (now) return { spec, record: now, built: false };
    const record = await buildDataset(stack, spec, opts);
    return { spec, record, built: true };
  } finally {
    release();
  }
}

async function takeLock(file: string, signal?: AbortSignal): Promise<() => void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(fs.readFileSync(file, 'utf8').trim() || 0);
    let alive = false;
    try {
      if (holder > 0) process.kill(holder, 0);
      alive = holder > 0;
    } catch {
      alive = false;
    }
    if (!alive) fs.rmSync(file, { force: true }); // its builder died: its scratch dir is removed by the next build
    else {
      if (signal?.aborted) throw new InterruptedError();
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

export async function buildDataset(stack: Stack, spec: DatasetSpec, opts: BuildOptions = {}): Promise<DatasetRecord> {
  const scratch = `${spec.dir}.build-${process.pid}`;
  removeStaleScratch(spec.dir);
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.mkdirSync(scratch, { recursive: true });
  const logDir = opts.logDir ?? scratch;
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, 'dataset-build.log');
  // The same profile, its dirs under the scratch dir: the data dir is laid out exactly as a run's.
  const local = loadProfile(stack.file, { workDir: path.join(scratch, 'work') });
  const pg = postgresService(local)!;
  const app = local.services.find((s) => s.name === spec.app.name)!;
  const launch = pg.launch!;
  let postgres: ChildProcess | undefined;
  const started = Date.now();
  try {
    for (const dir of launch.dataDirs) await ownedDir(dir, launch.user);
    const procs = opts.procsFiles;
    for (const step of launch.init) if (!(step.unless && fs.existsSync(step.unless))) await runStep(step, logFile, launch.cwd, procs);
    postgres = startPostgres(launch.argv.concat(BUILD_SETTINGS.flatMap((s) => ['-c', s])), launch.user, logFile, procs);
    const socketDir = launch.argv[launch.argv.indexOf('-k') + 1]!;
    const port = launch.argv[launch.argv.indexOf('-p') + 1]!;
    await waitPostgres(socketDir, port, postgres, logFile, opts.signal);
    for (const step of launch.afterReady) if (!(step.unless && fs.existsSync(step.unless))) await runStep(step, logFile, launch.cwd, procs);

    const url = socketUrl(app.launch!.env.DATABASE_URL ?? app.environment.DATABASE_URL, socketDir, port, pg.environment);
    let last: SeedProgress | undefined;
    await runSeed(
      { ...app.launch!, argv: [...app.launch!.argv, '--seed-only'], env: { ...app.launch!.env, DATABASE_URL: url, SEED_DATA_BYTES: String(spec.bytes) } },
      logFile,
      (p) => {
        last = p;
        opts.onProgress?.(p);
      },
      opts.signal,
      procs,
    );
    const counts = await psql(socketDir, port, pg, "SELECT users||','||conversations||','||messages||','||documents FROM seed_marker LIMIT 1");
    const dbBytes = Number(await psql(socketDir, port, pg, 'SELECT pg_database_size(current_database())'));
    await stopPostgres(postgres);
    postgres = undefined;
    const [users, conversations, messages, documents] = counts.split(',').map(Number);
    const record: DatasetRecord = {
      key: spec.key,
      profile: stack.name,
      schemaVersion: spec.schemaVersion,
      targetBytes: spec.bytes,
      databaseBytes: dbBytes,
      rows: { users: users ?? 0, conversations: conversations ?? 0, messages: messages ?? 0, documents: documents ?? 0 },
      seedSeconds: last?.phase === 'done' ? last.elapsedS : (Date.now() - started) / 1000,
      builtAt: new Date().toISOString(),
    };
    // Into place: the volume dir, then its record (its presence is what marks a dataset as built).
    fs.rmSync(spec.dir, { recursive: true, force: true });
    fs.mkdirSync(spec.dir, { recursive: true });
    await run('sync', ['-f', postgresVolumeDir(pg)]);
    fs.renameSync(postgresVolumeDir(pg), path.join(spec.dir, 'volume'));
    fs.writeFileSync(path.join(spec.dir, 'dataset.json'), `${JSON.stringify(record, null, 2)}\n`);
    // The kept copy is read only to be copied: it need not hold the host's memory meanwhile.
    await evictFromPageCache(path.join(spec.dir, 'volume')).catch(() => undefined);
    return record;
  } finally {
    if (postgres) await stopPostgres(postgres).catch(() => undefined);
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** The app's DATABASE_URL with the host replaced by the build's socket directory. */
export function socketUrl(databaseUrl: string | undefined, socketDir: string, port: string, pgEnv: Record<string, string>): string {
  let user = pgEnv.POSTGRES_USER || 'postgres';
  let password = pgEnv.POSTGRES_PASSWORD ?? '';
  let db = pgEnv.POSTGRES_DB || user;
  if (databaseUrl) {
    try {
      const u = new URL(databaseUrl);
      user = decodeURIComponent(u.username) || user;
      password = decodeURIComponent(u.password) || password;
      db = decodeURIComponent(u.pathname.slice(1)) || db;
    } catch {
      /* the profile's own URL is not ours to judge: fall back to the postgres service's env */
    }
  }
  const auth = `${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ''}`;
  return `postgresql://${auth}@/${encodeURIComponent(db)}?host=${encodeURIComponent(socketDir)}&port=${port}`;
}

async function ownedDir(dir: string, user: string | undefined): Promise<void> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (!user || user === 'root') return;
  const uid = Number((await run('id', ['-u', user])).stdout.trim());
  const gid = Number((await run('id', ['-g', user])).stdout.trim());
  fs.chownSync(dir, uid, gid);
  fs.chmodSync(dir, 0o700);
}

function spawnLogged(cmd: Command, logFile: string, cwd?: string, procs?: string[]): ChildProcess {
  const out = fs.openSync(logFile, 'a');
  try {
    const j = joined([...userPrefix(cmd.user), ...cmd.argv], procs);
    return spawn(j.argv[0]!, j.argv.slice(1), {
      cwd: cmd.cwd ?? cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', ...cmd.env, ...j.env },
      stdio: ['ignore', out, out],
      detached: true,
    });
  } finally {
    fs.closeSync(out);
  }
}

async function runStep(cmd: Command, logFile: string, cwd?: string, procs?: string[]): Promise<void> {
  const child = spawnLogged(cmd, logFile, cwd, procs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new EnvironmentError(`dataset build: ${cmd.argv.join(' ').slice(0, 160)} failed (exit ${code})`, `see ${logFile}`);
}

function startPostgres(argv: string[], user: string | undefined, logFile: string, procs?: string[]): ChildProcess {
  return spawnLogged({ argv, env: {}, user }, logFile, undefined, procs);
}

/** Scratch dirs of builds whose process is gone (killed mid-build): removed before a new build. */
function removeStaleScratch(dir: string): void {
  const parent = path.dirname(dir);
  const prefix = `${path.basename(dir)}.build-`;
  for (const name of fs.existsSync(parent) ? fs.readdirSync(parent) : []) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    let alive = false;
    try {
      if (pid > 0) process.kill(pid, 0);
      alive = pid > 0;
    } catch {
      alive = false;
    }
    if (!alive) fs.rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

async function waitPostgres(socketDir: string, port: string, child: ChildProcess, logFile: string, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (signal?.aborted) throw new InterruptedError();
    if (child.exitCode !== null || child.signalCode !== null) throw new EnvironmentError('dataset build: postgres exited at start', `see ${logFile}`);
    const ok = await run('/usr/lib/postgresql/15/bin/pg_isready', ['-q', '-h', socketDir, '-p', port]).then(() => true, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new EnvironmentError('dataset build: postgres did not start within 60 s', `see ${logFile}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stopPostgres(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(-child.pid!, 'SIGINT'); // fast shutdown: a checkpoint, then a clean exit
  let timer: NodeJS.Timeout | undefined;
  // A timer left pending would keep `simulate setup` alive for its whole minute after the build.
  await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 60_000)))]);
  clearTimeout(timer);
  if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
}

function runSeed(cmd: Command, logFile: string, onProgress: (p: SeedProgress) => void, signal?: AbortSignal, procs?: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const log = fs.createWriteStream(logFile, { flags: 'a' });
    const j = joined(cmd.argv, procs);
    const child = spawn(j.argv[0]!, j.argv.slice(1), {
      cwd: cmd.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', ...cmd.env, ...j.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const onAbort = () => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* gone */
      }
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout!.pipe(log, { end: false });
    const tail: string[] = [];
    readline.createInterface({ input: child.stderr! }).on('line', (line) => {
      log.write(`${line}\n`);
      tail.push(line);
      if (tail.length > 3) tail.shift();
      const p = parseSeedLine(line);
      if (p) onProgress(p);
    });
    child.once('error', reject);
    child.once('close', (code) => {
      signal?.removeEventListener('abort', onAbort);
      log.end();
      if (signal?.aborted) reject(new InterruptedError());
      else if (code === 0) resolve();
      else reject(new EnvironmentError(`dataset build: the app's seeding failed (exit ${code}): ${tail.join(' | ').slice(0, 300)}`, `see ${logFile}`));
    });
  });
}

async function psql(socketDir: string, port: string, pg: { environment: Record<string, string> }, sql: string): Promise<string> {
  const user = pg.environment.POSTGRES_USER || 'postgres';
  const db = pg.environment.POSTGRES_DB || user;
  const { stdout } = await run('/usr/lib/postgresql/15/bin/psql', ['-h', socketDir, '-p', port, '-U', user, '-d', db, '-Atqc', sql]);
  return stdout.trim();
}
