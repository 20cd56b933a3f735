// Where the compiled JavaScript lives and whether it is current. Plain JavaScript, imported by bin.js
// before anything else, so it must stay small and load no TypeScript.
//
// The build goes to node_modules/.cache/simulate: git-ignored, outside the repository's top level,
// removed by `npm ci` and rebuilt by its `prepare` step, so it always matches the installed
// packages (the place babel, eslint and other tools keep their generated files).
import fs from 'node:fs';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '..', '..');
export const BUILD_DIR = path.join(REPO, 'node_modules', '.cache', 'simulate');
export const STAMP = path.join(BUILD_DIR, 'build-stamp.json');
export const MAIN = path.join(BUILD_DIR, 'src', 'cli', 'main.js');

/** The newest modification time and the number of the files the build is made from. */
export function sourceState() {
  let newest = fs.statSync(path.join(REPO, 'package.json')).mtimeMs;
  let files = 0;
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name)) {
        files++;
        const m = fs.statSync(p).mtimeMs;
        if (m > newest) newest = m;
      }
    }
  };
  walk(path.join(REPO, 'src'));
  return { newest, files };
}

/** The compiled entry point when the build matches the sources, else undefined (run them through tsx). */
export function currentBuild() {
  if (process.env.SIMULATE_FROM_SOURCE) return undefined;
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(STAMP, 'utf8'));
  } catch {
    return undefined;
  }
  const now = sourceState();
  return stamp.newest === now.newest && stamp.files === now.files ? MAIN : undefined;
}
