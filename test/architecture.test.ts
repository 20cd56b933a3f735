/**
 * The layering rules a newcomer relies on, checked on the source itself: production code under src/
 * never imports test/, no module imports itself back through others (type imports count: a cycle of
 * types is still a knot to untie), and every production module under src/ is used by the command
 * (a module only tests use belongs in test/helpers).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? walk(p) : /\.(ts|tsx|js)$/.test(d.name) && !d.name.endsWith('.d.ts') ? [p] : [];
  });
}

const isTest = (f: string) => /\.test\.tsx?$/.test(f);
const rel = (f: string) => path.relative(root, f);

/** Relative imports of a file, static, dynamic and `import('...')` types, resolved to absolute paths. */
export function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]);
  return specs.filter((s) => s.startsWith('.')).map((s) => path.resolve(path.dirname(file), s));
}

const files = walk(src);
const production = files.filter((f) => !isTest(f));
const graph = new Map(production.map((f) => [f, importsOf(f).filter((i) => i.startsWith(src + path.sep))]));

describe('the source layout', () => {
  it('finds the modules it checks (a broken walk would pass everything)', () => {
    expect(production.length).toBeGreaterThan(50);
    expect(graph.get(path.join(src, 'cli/main.ts'))?.length).toBeGreaterThan(3);
  });

  it('has no import from src/ into test/ in production modules', () => {
    const bad = production.flatMap((f) => importsOf(f).filter((i) => i.startsWith(path.join(root, 'test') + path.sep)).map((i) => `${rel(f)} -> ${rel(i)}`));
    expect(bad).toEqual([]);
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      stack.push(f);
      for (const next of graph.get(f) ?? []) {
        if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].map(rel).join(' -> '));
        else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of production) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  /** Programs the command ships to run elsewhere (bundled by src/drivers/docker/remote-load.ts for a server): entries of their own. */
  const SHIPPED = ['src/load/load-agent.ts'];

  it('has no production module that only tests use (all are reached from the command or an npm script)', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };
    const entries = [...Object.values(pkg.bin), ...Object.values(pkg.scripts).flatMap((cmd) => cmd.match(/\bsrc\/\S+\.(?:js|ts)\b/g) ?? []), ...SHIPPED];
    const reached = new Set<string>();
    const queue = [...new Set(entries)].map((e) => path.join(root, e));
    while (queue.length) {
      const f = queue.pop()!;
      if (reached.has(f)) continue;
      reached.add(f);
      queue.push(...(graph.get(f) ?? []));
    }
    expect(production.filter((f) => !reached.has(f)).map(rel)).toEqual([]);
  });
});
