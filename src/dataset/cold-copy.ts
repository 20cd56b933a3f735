/**
 * Copying a kept dataset into a run's volume without handing its page cache to the capped stack: the
 * copy is written, flushed to disk, then dropped from the page cache (vmtouch -e, which calls
 * posix_fadvise(POSIX_FADV_DONTNEED) on every file). The stack then starts cold: every page PostgreSQL
 * reads comes from disk and is charged to its own cgroup, as on a server after a reboot.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { EnvironmentError } from '../errors.ts';

const run = promisify(execFile);

export interface CopyResult {
  copySeconds: number;
  bytes: number;
  /** Share of the copy's pages still in the page cache after eviction (0..1), as vmtouch counts them. */
  residentAfter: number;
}

export async function copyCold(from: string, to: string): Promise<CopyResult> {
  const started = Date.now();
  fs.mkdirSync(to, { recursive: true });
  // cp -a keeps owners and modes (postgres refuses a data dir that is not its own, mode 0700).
  await run('cp', ['-a', '--reflink=auto', `${from}/.`, to], { maxBuffer: 1 << 20 }).catch((err: Error) => {
    throw new EnvironmentError(`copying the dataset to ${to} failed: ${err.message.split('\n')[0]}`, 'check the free space of /var/tmp (df -h /var/tmp)');
  });
  // Dirty pages cannot be dropped: write them out first.
  await run('sync', ['-f', to]);
  await evictFromPageCache(to);
  const r = await residency(to);
  return { copySeconds: (Date.now() - started) / 1000, bytes: r.bytes, residentAfter: r.resident };
}

export async function evictFromPageCache(dir: string): Promise<void> {
  await run('vmtouch', ['-q', '-e', dir]).catch((err: Error) => {
    throw new EnvironmentError(`cannot evict ${dir} from the page cache: ${err.message.split('\n')[0]}`, 'apt-get install vmtouch');
  });
}

/** Pages of `dir` in the page cache (mincore through vmtouch): share resident and total bytes. */
export async function residency(dir: string): Promise<{ resident: number; bytes: number }> {
  const { stdout } = await run('vmtouch', ['-f', dir]);
  const pages = /Resident Pages:\s+(\d+)\/(\d+)/.exec(stdout);
  const resident = pages && Number(pages[2]) > 0 ? Number(pages[1]) / Number(pages[2]) : 0;
  return { resident, bytes: pages ? Number(pages[2]) * 4096 : 0 };
}
