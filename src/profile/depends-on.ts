import type { ServiceSpec } from './stack.ts';

/** Services in start order: each after everything it depends on; file order among equals. A cycle is an error. */
export function sortByDependencies(services: ServiceSpec[], problems: string[]): ServiceSpec[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const out: ServiceSpec[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (s: ServiceSpec, trail: string[]) => {
    const st = state.get(s.name);
    if (st === 'done') return;
    if (st === 'visiting') {
      problems.push(`services.${s.name}.depends_on: cycle ${[...trail, s.name].join(' → ')}`);
      return;
    }
    state.set(s.name, 'visiting');
    for (const d of s.dependsOn) {
      const dep = byName.get(d);
      if (dep) visit(dep, [...trail, s.name]);
    }
    state.set(s.name, 'done');
    out.push(s);
  };
  for (const s of services) visit(s, []);
  return out;
}
