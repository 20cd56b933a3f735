#!/usr/bin/env node
// `npm run build` (and `npm ci`'s prepare step): compiles src/ to JavaScript in
// node_modules/.cache/simulate (see compiled-build.js for why there), so `simulate` starts without
// compiling TypeScript. Type errors are `npm run typecheck`'s job; this only emits (--noCheck).
// Without the typescript package (a production-only install), it says so and leaves `simulate`
// running through tsx.
import fs from 'node:fs';
import path from 'node:path';
import { BUILD_DIR, REPO, STAMP, currentBuild, sourceState } from './compiled-build.js';

// `--if-stale` (used by .ci/setup): nothing to do when the build matches the sources.
if (process.argv.includes('--if-stale') && currentBuild()) process.exit(0);

let ts;
try {
  ts = (await import('typescript')).default;
} catch {
  process.stderr.write('simulate build: typescript is not installed; simulate will run its TypeScript through tsx (slower start)\n');
  process.exit(0);
}

const before = sourceState();
const parsed = ts.getParsedCommandLineOfConfigFile(path.join(REPO, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
if (!parsed) throw new Error('cannot read tsconfig.json');
const rootNames = parsed.fileNames.filter((f) => f.startsWith(path.join(REPO, 'src') + path.sep) && !/\.test\.tsx?$/.test(f));
// Built beside the final folder and renamed into place at the end: two builds at once (two
// `npm run simulate`s) never leave a half-written folder that a start would take for current.
const OUT = `${BUILD_DIR}.tmp-${process.pid}`;
fs.rmSync(OUT, { recursive: true, force: true });
const program = ts.createProgram({
  rootNames,
  options: {
    ...parsed.options,
    noEmit: false,
    noCheck: true,
    outDir: OUT,
    rootDir: REPO,
    // `./x.ts` imports become `./x.js` in the output.
    rewriteRelativeImportExtensions: true,
    sourceMap: false,
    declaration: false,
  },
});
const result = program.emit();
const errors = result.diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
if (errors.length > 0 || result.emitSkipped) {
  process.stderr.write(ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => REPO, getNewLine: () => '\n' }));
  process.stderr.write('simulate build: failed; simulate will run its TypeScript through tsx\n');
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.rmSync(BUILD_DIR, { recursive: true, force: true });
  process.exit(1);
}
// The compiled files find the repository's folders (docker/, scenarios/) and package.json at the same
// relative paths as the sources do; package.json also makes Node read the .js files as ES modules.
for (const name of fs.readdirSync(REPO)) {
  if (name === 'src' || name === 'node_modules' || name === '.git') continue;
  const link = path.join(OUT, name);
  fs.rmSync(link, { recursive: true, force: true });
  // Relative to the final folder (a sibling at the same depth, so the same path).
  fs.symlinkSync(path.relative(BUILD_DIR, path.join(REPO, name)), link);
}
// The stamp records the sources as they were when the build began: an edit during the build makes it stale.
fs.writeFileSync(path.join(OUT, path.basename(STAMP)), `${JSON.stringify(before)}\n`);
const old = `${BUILD_DIR}.old-${process.pid}`;
try {
  fs.renameSync(BUILD_DIR, old);
} catch {
  // No previous build.
}
try {
  fs.renameSync(OUT, BUILD_DIR);
} catch {
  // Another build put its folder there in between: it is as current as ours.
  fs.rmSync(OUT, { recursive: true, force: true });
}
fs.rmSync(old, { recursive: true, force: true });
