#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=20
// The `simulate` command. Runs the compiled JavaScript (`npm run build`, done by `npm ci`) when it
// matches the sources: a start then loads no compiler. After an edit, or without a build, it runs the
// TypeScript through tsx's loader instead: the same program, a slower start.
// V8 flags on the line above: a young generation of at most 4 MB a semi-space (Node's default grows to
// 16 MB) and old-space growth of 20 % over what the last full collection kept (V8 otherwise lets it grow
// up to 4x between collections). A 4gb run with the TUI drew ~14 MB of short-lived garbage a frame
// (Ink's cell grid); without flags its resident memory climbed to 220 MB between full collections, with
// them it stayed at 118-128 MB. --optimize-for-size held it at 116-122 MB but cost 2-3 % of a core more
// (a 1 MB young generation: a dozen scavenges a frame). Measured with whole runs, a TUI replay and
// `npm run bench` (README, "Tests and benchmark"). `node src/cli/bin.js` skips them: `npm run simulate`
// starts this file itself.
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
