/** The seed's alert rules, written as valid PromQL, pass Prometheus's own checker. */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

const PROM = path.resolve(import.meta.dirname, '..', 'docker', 'prometheus');
const promtool = fs.existsSync('/usr/bin/promtool');

describe.skipIf(!promtool)(`Prometheus configuration${promtool ? '' : ' (skipped: needs promtool, apt-get install prometheus)'}`, () => {
  it('promtool check rules: the ten critical alerts', () => {
    const out = execFileSync('promtool', ['check', 'rules', path.join(PROM, 'alerts-4gb.yml')], { encoding: 'utf8' });
    expect(out).toContain('SUCCESS: 10 rules found');
  });

  it('promtool test rules: each of the ten fires on a series that breaks it and stays quiet otherwise', () => {
    const out = execFileSync('promtool', ['test', 'rules', path.join(PROM, 'alerts-4gb.test.yml')], { encoding: 'utf8' });
    expect(out).toContain('SUCCESS');
  });

  // The tests above must be able to fail: a rule that never fires, or always fires, breaks them.
  const rules = parse(fs.readFileSync(path.join(PROM, 'alerts-4gb.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  const names = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
  it('covers all ten rules', () => expect(names).toHaveLength(10));
  it.each(names)('%s: a never-firing and an always-firing version both fail the tests', (name) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alert-rules-'));
    try {
      fs.copyFileSync(path.join(PROM, 'alerts-4gb.test.yml'), path.join(dir, 'alerts-4gb.test.yml'));
      for (const expr of ['vector(1) > 2', 'vector(1)']) {
        const mutated = structuredClone(rules);
        for (const g of mutated.groups) for (const r of g.rules) if (r.alert === name) r.expr = expr;
        fs.writeFileSync(path.join(dir, 'alerts-4gb.yml'), stringify(mutated));
        const r = spawnSync('promtool', ['test', 'rules', path.join(dir, 'alerts-4gb.test.yml')], { encoding: 'utf8' });
        expect(r.status, `${name} with expr ${expr}`).not.toBe(0);
        expect(`${r.stdout}${r.stderr}`).toContain(`alertname: ${name}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(['prometheus.yml', 'prometheus-full.yml'])('promtool check config %s', (file) => {
    const out = execFileSync('promtool', ['check', 'config', path.join(PROM, file)], { encoding: 'utf8' });
    expect(out).toMatch(/SUCCESS: .* is valid prometheus config file syntax/);
  });
});
