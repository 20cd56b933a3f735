/**
 * disk-full SERVICE: the service's data volume lives on a small filesystem of its own (an ext4 image,
 * loop-mounted at the volume's path before the stack starts, so both drivers see it: the process driver
 * writes there directly, the docker driver bind-mounts it at the same path). The fault fills what is free
 * with a file of ours; its end deletes the file. The image is sparse: it costs the host only what is written.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { EnvironmentError, InputError } from '../errors.ts';
import type { Stack } from '../profile/stack.ts';
import type { FaultSpec } from './fault-spec.ts';

const run = promisify(execFile);
/** Room for a seeded database and PostgreSQL's WAL (max_wal_size defaults to 1 GB). */
export const DISK_BYTES = 4 * 1024 ** 3;
const FILLER = 'simulate-disk-full.fill';

export interface SmallDisk {
  service: string;
  mountPoint: string;
  image: string;
}

export interface SmallDisks {
  byService: Map<string, SmallDisk>;
  /** Unmount and delete the images (after the services are down). */
  release(): Promise<void>;
}

/** The writable volume of a service a disk-full fault names (its first one). */
function dataVolume(stack: Stack, service: string) {
  const spec = stack.services.find((s) => s.name === service);
  return spec?.volumes.find((v) => !v.readOnly && (v.type === 'volume' || v.type === 'bind'));
}

/** Before the stack starts: a small filesystem under each disk-full service's data volume. */
export async function prepareSmallDisks(stack: Stack, faults: FaultSpec[], workDir: string): Promise<SmallDisks> {
  const byService = new Map<string, SmallDisk>();
  const release = async () => {
    for (const d of byService.values()) {
      await run('umount', [d.mountPoint]).catch(() => run('umount', ['-l', d.mountPoint]).catch(() => undefined));
      fs.rmSync(d.image, { force: true });
    }
  };
  try {
    for (const f of faults) {
      if (f.kind !== 'disk-full' || byService.has(f.service!)) continue;
      const vol = dataVolume(stack, f.service!);
      if (!vol) throw new InputError(`fault "${f.text}": ${f.service} has no writable volume to fill`, 'give the service a volume for its data in the profile');
      // Docker: a named volume becomes a bind mount of our filesystem at the same path.
      vol.type = 'bind';
      const image = path.join(workDir, 'faults', `${f.service}.ext4`);
      fs.mkdirSync(path.dirname(image), { recursive: true });
      fs.mkdirSync(vol.source, { recursive: true });
      fs.closeSync(fs.openSync(image, 'w'));
      fs.truncateSync(image, DISK_BYTES);
      try {
        await run('mkfs.ext4', ['-q', '-F', '-m', '0', image]);
        await run('mount', ['-o', 'loop', image, vol.source]);
      } catch (err) {
        throw new EnvironmentError(`disk-full ${f.service}: could not make its small filesystem: ${(err as Error).message.split('\n')[0]}`, 'needs root, loop devices and mkfs.ext4 (e2fsprogs)');
      }
      fs.rmSync(path.join(vol.source, 'lost+found'), { recursive: true, force: true });
      byService.set(f.service!, { service: f.service!, mountPoint: vol.source, image });
    }
  } catch (err) {
    await release();
    throw err;
  }
  return { byService, release };
}

/** Fill the filesystem: one preallocated file for the bulk, then zeros until the kernel says ENOSPC. */
export async function fillDisk(d: SmallDisk): Promise<string> {
  const file = path.join(d.mountPoint, FILLER);
  const st = fs.statfsSync(d.mountPoint);
  const free = st.bavail * st.bsize;
  const bulk = Math.max(0, free - 8 * 1024 * 1024);
  if (bulk > 0) await run('fallocate', ['-l', String(bulk), file]).catch(() => undefined);
  const fd = fs.openSync(file, 'a');
  const zeros = Buffer.alloc(1024 * 1024);
  try {
    for (let i = 0; i < 4096; i++) fs.writeSync(fd, zeros);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
  const after = fs.statfsSync(d.mountPoint);
  return `filled ${d.mountPoint} (its own ${(DISK_BYTES / 1024 ** 3).toFixed(0)} GiB ext4): ${(free / 1024 ** 2).toFixed(0)} MB taken, ${(after.bavail * after.bsize / 1024).toFixed(0)} kB left`;
}

export function freeDisk(d: SmallDisk): string {
  fs.rmSync(path.join(d.mountPoint, FILLER), { force: true });
  const st = fs.statfsSync(d.mountPoint);
  return `filler removed: ${(st.bavail * st.bsize / 1024 ** 2).toFixed(0)} MB free again on ${d.mountPoint}`;
}
