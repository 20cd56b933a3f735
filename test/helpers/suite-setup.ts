/**
 * vitest globalSetup: one folder for the whole `vitest run` where real runs that several test files assert
 * on are kept (test/helpers/shared-runs.ts), so a stack is started once per suite, not once per file.
 * Removed when the run ends.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    sharedRunsDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simulate-shared-runs-'));
  project.provide('sharedRunsDir', dir);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
