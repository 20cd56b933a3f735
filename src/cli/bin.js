#!/usr/bin/env node
// The `simulate` command. Runs the compiled JavaScript (`npm run build`, done by `npm ci`) when it
// matches the sources: a start then loads no compiler. After an edit, or without a build, it runs the
// TypeScript through tsx's loader instead: the same program, a slower start.
import { currentBuild } from './compiled-build.js';

// React (under Ink) reads this when it loads: unset, it runs its development build, which here drew the
// dashboard with about half again the CPU. A user who sets NODE_ENV keeps theirs.
process.env.NODE_ENV ??= 'production';

const compiled = currentBuild();
if (compiled) {
  await import(compiled);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./main.ts');
}
