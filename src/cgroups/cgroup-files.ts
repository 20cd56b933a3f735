/** Small file operations on cgroupfs that name the file in every error and tolerate a vanished cgroup. */
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseProcs } from './memory-files.ts';

export async function readText(file: string): Promise<string> {
  return readFile(file, 'utf8');
}

/**
 * The monitor's per-second reads, synchronous on purpose: cgroupfs and procfs files are made by the kernel
 * when read and never wait on a disk, so a read is a few microseconds of syscalls on this thread. Through
 * fs/promises each file took an open, a stat, reads and a close on libuv's thread pool, every step a
 * wake-up of a pool thread and of the main loop: a 4gb run's monitor read 48 files a second that way.
 */
export function readTextNow(file: string): string {
  return readFileSync(file, 'utf8');
}

/** readTextNow, undefined when the file does not exist (as readOptional). */
export function readOptionalNow(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENODEV') return undefined;
    throw err;
  }
}

/** Undefined when the file does not exist (an optional interface file, or a removed cgroup). */
export async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    // ENODEV: the cgroup was removed between finding the file and reading it.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENODEV') return undefined;
    throw err;
  }
}

/** One write(2) per value, as the kernel wants; errors keep errno's code and say what was written where. */
export async function writeValue(file: string, value: string | number): Promise<void> {
  try {
    await writeFile(file, String(value));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const wrapped = new Error(`cannot write ${JSON.stringify(String(value))} to ${file}: ${e.code ?? e.message}`) as NodeJS.ErrnoException;
    wrapped.code = e.code;
    wrapped.cause = err;
    throw wrapped;
  }
}

export function fileExists(file: string): boolean {
  return existsSync(file);
}

/** Child cgroups of a cgroup directory (subdirectories; interface files are regular files). */
export async function childDirs(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Pids in cgroup.procs of `dir` and every cgroup below it. */
export async function pidsUnder(dir: string): Promise<number[]> {
  const own = parseProcs((await readOptional(path.join(dir, 'cgroup.procs'))) ?? '');
  const below = await Promise.all((await childDirs(dir)).map((name) => pidsUnder(path.join(dir, name))));
  return [...own, ...below.flat()];
}

/** rmdir the cgroup tree at `dir`, deepest first. A cgroup already gone is fine. */
export async function rmdirTree(dir: string): Promise<void> {
  for (const name of await childDirs(dir)) await rmdirTree(path.join(dir, name));
  try {
    await rmdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
}

/**
 * Whether the machine has swap turned on. Without swap accounting a cgroup's swap use cannot be
 * limited; that only matters when there is swap to use.
 */
export async function systemHasSwap(swapsFile = '/proc/swaps'): Promise<boolean> {
  const text = (await readOptional(swapsFile)) ?? '';
  return text.trim().split('\n').length > 1;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
