/**
 * `simulate setup --driver docker --docker-host URL`: the local images, built here (debootstrap), copied
 * to the engine over there as `docker save | gzip | docker load` does it, over the same connection the
 * run uses. All role images are tags of ONE image, so one save of the base image carries one layer; the
 * role tags are made there afterwards. Nothing is sent when the server has that image (same id) already.
 */
import { createGzip } from 'node:zlib';
import { Transform } from 'node:stream';
import type Docker from 'dockerode';
import { EnvironmentError } from '../../errors.ts';
import { followProgress } from './engine.ts';
import { baseImage, ROLES, roleImage, type ImageRole } from './local-images.ts';

export interface ImageCopy {
  base: string;
  imageId: string;
  /** false: the server had the image already (only tags were made). */
  sent: boolean;
  /** Bytes of the image tar read from the local engine, and bytes sent after gzip. */
  tarBytes: number;
  sentBytes: number;
  seconds: number;
  tags: string[];
}

export async function copyImagesTo(remote: Docker, local: Docker, log: (line: string) => void, roles: ImageRole[] = ROLES): Promise<ImageCopy> {
  const started = Date.now();
  const base = baseImage();
  let imageId: string;
  try {
    imageId = (await local.getImage(base).inspect()).Id;
  } catch {
    throw new EnvironmentError(`the local image ${base} is missing on this machine`, 'run `simulate setup --driver docker` here first (it builds it), then again with --docker-host');
  }
  const there = await remote
    .getImage(imageId)
    .inspect()
    .then(() => true)
    .catch(() => false);
  let tarBytes = 0;
  let sentBytes = 0;
  if (there) {
    log(`${base} (${imageId.slice(7, 19)}) is on the server already: only tags to make`);
  } else {
    log(`sending ${base} (${imageId.slice(7, 19)}) to the server: docker save | gzip -1 | docker load`);
    const tar = (await local.getImage(base).get()) as NodeJS.ReadableStream;
    const countTar = counter((n) => (tarBytes += n));
    // Level 1: most of the saving (a root file system compresses about 3:1) for little CPU on either side.
    const gz = createGzip({ level: 1 });
    const countSent = counter((n) => (sentBytes += n));
    let lastLog = Date.now();
    countSent.on('data', () => {
      if (Date.now() - lastLog < 5000) return;
      lastLog = Date.now();
      log(`  sent ${mb(sentBytes)} MB (gzip of ${mb(tarBytes)} MB) in ${Math.round((Date.now() - started) / 1000)} s`);
    });
    tar.on('error', (e) => countSent.destroy(e as Error));
    const body = tar.pipe(countTar).pipe(gz).pipe(countSent);
    const stream = await remote.loadImage(body as unknown as NodeJS.ReadableStream, { quiet: true } as object);
    await followProgress(remote, stream);
    const loaded = await remote.getImage(imageId).inspect().catch(() => undefined);
    if (!loaded) throw new EnvironmentError(`the server did not keep ${base} after docker load`, 'check the server\'s disk space (`df` on its docker root)');
    log(`loaded ${base} there: ${mb(sentBytes)} MB sent for a ${mb(tarBytes)} MB image in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  const image = remote.getImage(imageId);
  const tags = [base];
  const [baseRepo, baseTag] = base.split(':');
  await image.tag({ repo: baseRepo, tag: baseTag });
  for (const role of roles) {
    const [repo, tag] = roleImage(role).split(':');
    await image.tag({ repo, tag });
    await image.tag({ repo, tag: 'latest' });
    tags.push(roleImage(role));
  }
  return { base, imageId, sent: !there, tarBytes, sentBytes, seconds: Math.round((Date.now() - started) / 100) / 10, tags };
}

function counter(add: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      add(chunk.length);
      cb(null, chunk);
    },
  });
}

function mb(n: number): string {
  return (n / 1024 ** 2).toFixed(0);
}
