/**
 * A real stack for integration tests, through the project's own command: `simulate up --json` starts it
 * and `simulate down <id>` stops it, exactly as a user would.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const REPO = path.resolve(import.meta.dirname, '..', '..');
export const BIN = path.join(REPO, 'src', 'cli', 'bin.js');

export interface TestStack {
  runId: string;
  runDir: string;
  appUrl: string;
  databaseUrl: string;
  services: Array<{ name: string; kind: string; status: string; pid?: number }>;
  down(): Promise<void>;
}

export async function upStack(profile: string, opts: { driver?: 'process' | 'docker'; extra?: string[] } = {}): Promise<TestStack> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'simulate-up-'));
  const { stdout } = await run(process.execPath, [BIN, 'up', '--profile', profile, '--driver', opts.driver ?? 'process', '--json', '--out', out, ...(opts.extra ?? [])], {
    cwd: REPO,
    timeout: 300_000,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`simulate up failed: ${err.stderr?.trim().split('\n').slice(-3).join(' | ') || err.message}`);
  });
  const info = JSON.parse(stdout.trim().split('\n').at(-1)!) as Omit<TestStack, 'down'>;
  return {
    ...info,
    async down() {
      await run(process.execPath, [BIN, 'down', info.runId], { cwd: REPO, timeout: 120_000 });
      fs.rmSync(out, { recursive: true, force: true });
    },
  };
}

/** Run the CLI; resolve with its exit code and output whatever the code. */
export async function simulate(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO, timeout: opts.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...opts.env } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export const isRoot = process.getuid?.() === 0;
export const ROOT_SKIP = 'needs root (cgroups and the postgres user)';
