/**
 * A kept dataset: the PostgreSQL data directory of a database seeded to a size, built once per
 * (profile, size, schema version) under /var/tmp/simulate/datasets and copied into each run's volume.
 * The schema version is a hash of the app's schema and seeding code: change either and the next run
 * builds a new dataset instead of starting from rows the app no longer writes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.ts';
import { sizeLabel } from './data-size.ts';
import { imageRepo } from '../profile/compose-fields.ts';
import type { ServiceSpec, Stack } from '../profile/stack.ts';
import { WORK_BASE } from '../run/run-registry.ts';

export const DATASETS_DIR = path.join(WORK_BASE, 'datasets');

export interface DatasetSpec {
  /** Target size of the database (pg_database_size), bytes. */
  bytes: number;
  /** `4gb-3g-1a2b3c4d`: profile, size, schema version. */
  key: string;
  schemaVersion: string;
  /** The kept copy: `<dir>/volume` is the postgres volume (data dir inside), `<dir>/dataset.json` its record. */
  dir: string;
  postgres: ServiceSpec;
  app: ServiceSpec;
}

/** What `dataset.json` records about a built dataset (and run.json repeats). */
export interface DatasetRecord {
  key: string;
  profile: string;
  schemaVersion: string;
  targetBytes: number;
  databaseBytes: number;
  rows: { users: number; conversations: number; messages: number; documents: number };
  seedSeconds: number;
  builtAt: string;
}

export function postgresService(stack: Stack): ServiceSpec | undefined {
  return stack.services.find((s) => s.launch && s.image && imageRepo(s.image) === 'postgres');
}

export function datasetSpec(stack: Stack, bytes: number, datasetsDir = DATASETS_DIR): DatasetSpec {
  const postgres = postgresService(stack);
  const app = stack.services.find((s) => s.name === stack.appService && s.launch);
  if (!postgres || !app) {
    throw new InputError(
      `a dataset needs a postgres service and the app (x-simulate.app) in profile ${stack.name}`,
      'remove x-simulate.dataset / --data, or add both services',
    );
  }
  const schemaVersion = schemaHash(app, postgres);
  const key = `${stack.name}-${sizeLabel(bytes)}-${schemaVersion}`;
  return { bytes, key, schemaVersion, dir: path.join(datasetsDir, key), postgres, app };
}

/** Hash of the app's schema and seeding code and the PostgreSQL program that wrote the files. */
function schemaHash(app: ServiceSpec, postgres: ServiceSpec): string {
  const h = crypto.createHash('sha256');
  const cwd = app.launch!.cwd ?? '.';
  for (const f of ['app/schema.py', 'app/seed.py']) {
    const file = path.join(cwd, f);
    h.update(fs.existsSync(file) ? fs.readFileSync(file) : f);
  }
  h.update(postgres.launch!.argv[0] ?? '');
  return h.digest('hex').slice(0, 8);
}

/** The postgres volume directory of a stack (its data dir's parent), where a dataset is copied to. */
export function postgresVolumeDir(postgres: ServiceSpec): string {
  const argv = postgres.launch!.argv;
  const data = argv[argv.indexOf('-D') + 1];
  if (!data) throw new Error(`postgres launch has no -D: ${argv.join(' ')}`);
  return path.dirname(data);
}

export function readDatasetRecord(spec: DatasetSpec): DatasetRecord | undefined {
  try {
    const rec = JSON.parse(fs.readFileSync(path.join(spec.dir, 'dataset.json'), 'utf8')) as DatasetRecord;
    return fs.existsSync(path.join(spec.dir, 'volume')) ? rec : undefined;
  } catch {
    return undefined;
  }
}
