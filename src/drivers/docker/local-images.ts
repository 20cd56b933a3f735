/**
 * Local images for machines where no registry answers: ONE Debian bookworm root file system
 * (debootstrap) with PostgreSQL 15, Redis, Prometheus, Alertmanager and the app's Python packages,
 * imported with `docker import` and tagged once per role. Because the binaries sit at the same
 * paths as on a Debian host, a container runs a service's `launch` (the same argv as the process
 * driver) unchanged; the app and stand-in code are bind-mounted from the repo's docker/ folder.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path, { join } from 'node:path';
import type Docker from 'dockerode';
import { execa } from 'execa';
import { CommandError, EnvironmentError } from '../../errors.ts';
import { imageRepo } from '../../profile/compose-fields.ts';
import type { ServiceSpec, Stack } from '../../profile/stack.ts';
import { machineMirror } from './apt-mirror.ts';
import { connectEngine, followProgress, requireEngine, withTimeout } from './engine.ts';
import { debug } from '../../util/debug.ts';

export const SUITE = 'bookworm';
export const BASE_REPO = 'simulate/debian-stack';

/** The recipe: docker/images/debian-stack.packages, one package a line. Its list is the image hash. */
export const PACKAGES_FILE = path.resolve(import.meta.dirname, '..', '..', '..', 'docker', 'images', 'debian-stack.packages');

export function readPackages(file = PACKAGES_FILE): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

export const PACKAGES = readPackages();

/** Bump when the recipe changes in a way the package list does not show. */
const RECIPE_VERSION = 1;

export type ImageRole = 'postgres' | 'redis' | 'prometheus' | 'alertmanager' | 'app' | 'standin';
export const ROLES: ImageRole[] = ['postgres', 'redis', 'prometheus', 'alertmanager', 'app', 'standin'];

/** The official repositories our roles stand in for. */
const ROLE_OF_REPO: Record<string, ImageRole> = {
  postgres: 'postgres',
  redis: 'redis',
  'prom/prometheus': 'prometheus',
  'prom/alertmanager': 'alertmanager',
};

export function recipeHash(): string {
  return createHash('sha256')
    .update(JSON.stringify({ suite: SUITE, packages: PACKAGES, v: RECIPE_VERSION }))
    .digest('hex')
    .slice(0, 12);
}

export function baseImage(): string {
  return `${BASE_REPO}:${recipeHash()}`;
}

export function roleImage(role: ImageRole): string {
  return `simulate/${role}:${recipeHash()}`;
}

/** Which local role image runs a service: stand-ins, the app, or a well-known official image. */
export function roleFor(spec: ServiceSpec, stack: Pick<Stack, 'appService'>): ImageRole | undefined {
  if (spec.kind === 'standin') return 'standin';
  if (spec.name === stack.appService) return 'app';
  if (spec.image) {
    const role = ROLE_OF_REPO[imageRepo(spec.image)];
    if (role) return role;
  }
  // A service with a launch but no known image (a custom build, ...): the app image has Python and
  // every Debian program we install, which is the best we can offer.
  return spec.launch ? 'app' : undefined;
}

/** The sentence the output and run.json carry when a local image replaces the profile's. */
export function substitutionNote(spec: ServiceSpec, localImage: string): string {
  // The profile may name our own local image (simulate/app): then nothing was substituted.
  if (spec.image && imageRepo(spec.image) === localImage) return `using local image ${localImage} (built by \`simulate setup --driver docker\`)`;
  const wanted = spec.image ?? (spec.kind === 'standin' ? `${spec.standin?.of ?? spec.name} (stand-in)` : `${spec.name} (build)`);
  return `substituted local image ${localImage} for ${wanted} (no registry)`;
}

async function imageExists(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getImage(name).inspect();
    return true;
  } catch (err) {
    // 404 is the answer "missing"; any other failure shows under SIMULATE_DEBUG=1.
    debug('docker', `inspect image ${name}: ${String(err)}`);
    return false;
  }
}

/** Whether every image this stack's services need exists (for `--driver auto` and a clear error). */
export async function dockerImagesReady(stack: Stack, docker: Docker = connectEngine()): Promise<{ ok: boolean; missing: string[] }> {
  const needed = new Set<string>();
  for (const s of stack.services) {
    if (!s.launch) continue;
    const role = roleFor(s, stack);
    if (role) needed.add(roleImage(role));
  }
  const missing: string[] = [];
  for (const name of needed) if (!(await imageExists(docker, name))) missing.push(name);
  return { ok: missing.length === 0, missing };
}

export interface SetupResult {
  base: string;
  built: boolean;
  images: Record<string, string>;
  mirror: string;
  registry: boolean;
  durationMs: number;
}

/**
 * `simulate setup --driver docker`: builds (or finds cached) the local images. `only` limits the
 * role tags made (the base image is always needed).
 */
export async function setupDockerImages(
  log: (line: string) => void,
  opts: { only?: string[]; docker?: Docker; cacheDir?: string; signal?: AbortSignal } = {},
): Promise<SetupResult> {
  const started = Date.now();
  const docker = opts.docker ?? connectEngine();
  await requireEngine(docker);
  const roles = opts.only?.length ? ROLES.filter((r) => opts.only!.includes(r)) : ROLES;
  const unknown = (opts.only ?? []).filter((r) => !ROLES.includes(r as ImageRole));
  if (unknown.length) throw new EnvironmentError(`unknown image role(s): ${unknown.join(', ')}`, `known: ${ROLES.join(', ')}`);

  const registry = await registryAnswers();
  log(
    registry
      ? 'a registry answers, but this version runs Debian-built local images (the launch commands use Debian paths)'
      : 'no image registry answers: building local images from Debian packages',
  );

  const base = baseImage();
  const mirror = machineMirror(SUITE);
  let built = false;
  if (await imageExists(docker, base)) {
    log(`${base} exists (cached)`);
  } else {
    await buildBase(docker, base, mirror, log, opts.cacheDir ?? '/var/cache/simulate', opts.signal);
    built = true;
  }
  const images: Record<string, string> = {};
  const image = docker.getImage(base);
  for (const role of roles) {
    const [repo, tag] = roleImage(role).split(':');
    await image.tag({ repo, tag });
    await image.tag({ repo, tag: 'latest' });
    images[role] = roleImage(role);
    log(`tagged ${roleImage(role)} (and :latest) → ${base}`);
  }
  return { base, built, images, mirror, registry, durationMs: Date.now() - started };
}

async function buildBase(docker: Docker, name: string, mirror: string, log: (l: string) => void, cacheDir: string, signal?: AbortSignal): Promise<void> {
  for (const tool of ['debootstrap', 'tar']) {
    if (!(await execa('sh', ['-c', `command -v ${tool}`], { reject: false })).stdout) {
      throw new EnvironmentError(`${tool} is not installed`, 'apt-get install -y debootstrap');
    }
  }
  if (process.getuid?.() !== 0) throw new EnvironmentError('building the local images needs root (debootstrap)', 'run `simulate setup --driver docker` as root');
  const dir = join(cacheDir, `rootfs-${name.split(':')[1]}`);
  // A half-built tree from an interrupted build is not trustworthy: start over.
  if (existsSync(dir)) await rm(dir, { recursive: true, force: true });
  await mkdir(cacheDir, { recursive: true });
  const argv = ['debootstrap', '--variant=minbase', `--include=${PACKAGES.join(',')}`, SUITE, dir, mirror];
  log(`$ ${argv.join(' ')}`);
  const t0 = Date.now();
  try {
    const sub = execa(argv[0], argv.slice(1), { all: true, reject: false, cancelSignal: signal });
    let lastLog = 0;
    sub.all?.on('data', (chunk: Buffer) => {
      // debootstrap prints a line per package: pass one every few seconds so progress shows without a flood.
      const now = Date.now();
      if (now - lastLog < 3000) return;
      lastLog = now;
      const line = chunk.toString().trim().split('\n').pop();
      if (line) log(`debootstrap: ${line}`);
    });
    const r = await sub;
    if (r.exitCode !== 0) {
      const logFile = join(dir, 'debootstrap', 'debootstrap.log');
      throw new CommandError(argv, r.exitCode ?? null, String(r.all ?? ''), `see ${logFile}; check that apt can reach ${mirror}`);
    }
    log(`debootstrap done in ${Math.round((Date.now() - t0) / 1000)} s`);
    // Package caches are not needed at run time; they only make the import slower.
    await execa('sh', ['-c', `rm -rf '${dir}'/var/cache/apt/archives/*.deb '${dir}'/var/lib/apt/lists/*`]);

    log(`importing ${name}`);
    const tar = execa('tar', ['--numeric-owner', '-C', dir, '-c', '.'], { buffer: false, cancelSignal: signal });
    const stream = await docker.importImage(tar.stdout!, {
      repo: name.split(':')[0],
      tag: name.split(':')[1],
      // `docker import` gives an image with no config: give it a PATH and say what made it.
      changes: ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'ENV LANG=C.UTF-8', `LABEL simulate.recipe=${recipeHash()}`, `LABEL simulate.packages=${PACKAGES.join(',')}`],
    } as object);
    await followProgress(docker, stream);
    await tar;
    log(`imported ${name} in ${Math.round((Date.now() - t0) / 1000)} s total`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Does Docker Hub's registry answer at all (quickly)? Here it does not: no registry is reachable. */
export async function registryAnswers(timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await withTimeout(fetch('https://registry-1.docker.io/v2/', { method: 'GET', signal: AbortSignal.timeout(timeoutMs) }), timeoutMs + 200, 'no answer');
    // 401 (auth required) is an answer: the registry is there.
    return res.status === 200 || res.status === 401;
  } catch (err) {
    debug('docker', `registry: ${String(err)}`);
    return false;
  }
}
