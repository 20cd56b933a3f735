#!/usr/bin/env -S node --max-semi-space-size=2 --optimize-for-size
// The `simulate` command. Runs the compiled JavaScript (`npm run build`, done by `npm ci`) when it
// matches the sources: a start then loads no compiler. After an edit, or without a build, it runs the
// TypeScript through tsx's loader instead: the same program, a slower start.
// V8 flags on the line above: a 2 MB young generation (Node's default grows to 16 MB a semi-space) and
// V8's memory-saving heap growth. The harness's resident memory otherwise climbed about 0.5 MB a second
// in a 4gb run with the TUI (garbage left for the next full collection) to 220 MB; measured with
// `npm run bench` and a replay of the TUI (README, "Tests and benchmark"). `node src/cli/bin.js` skips them.
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
