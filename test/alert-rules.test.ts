/** The seed's alert rules, written as valid PromQL, pass Prometheus's own checker. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const PROM = path.resolve(import.meta.dirname, '..', 'docker', 'prometheus');
const promtool = fs.existsSync('/usr/bin/promtool');

describe.skipIf(!promtool)(`Prometheus configuration${promtool ? '' : ' (skipped: needs promtool, apt-get install prometheus)'}`, () => {
  it('promtool check rules: the ten critical alerts', () => {
    const out = execFileSync('promtool', ['check', 'rules', path.join(PROM, 'alerts-4gb.yml')], { encoding: 'utf8' });
    expect(out).toContain('SUCCESS: 10 rules found');
  });

  it.each(['prometheus.yml', 'prometheus-full.yml'])('promtool check config %s', (file) => {
    const out = execFileSync('promtool', ['check', 'config', path.join(PROM, file)], { encoding: 'utf8' });
    expect(out).toMatch(/SUCCESS: .* is valid prometheus config file syntax/);
  });
});
