import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { elasticsearchHeapBytes } from './standin-models.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const PYTHON = '/usr/bin/python3';
const STANDIN_DIR = path.resolve(import.meta.dirname, '../../docker/standin');

describe('Elasticsearch automatic heap (MachineDependentHeap, data node)', () => {
  it('is 40 % of (seen - 100 MiB) below 1 GiB (at least 128 MiB), else 50 %, at most 31 GiB, in whole MiB', () => {
    expect(elasticsearchHeapBytes(256 * MiB)).toBe(128 * MiB);
    expect(elasticsearchHeapBytes(1024 * MiB)).toBe(Math.floor((0.4 * 924 * MiB) / MiB) * MiB);
    expect(elasticsearchHeapBytes(4 * GiB)).toBe(1998 * MiB);
    expect(elasticsearchHeapBytes(128 * GiB)).toBe(31 * GiB);
  });

  // The stand-in program (Python) sizes its heap itself at start: the two must be one formula.
  it.skipIf(!existsSync(PYTHON))('gives the same figure as the stand-in program (docker/standin/standin.py) for every cap', () => {
    const caps = [200 * MiB, 512 * MiB, 1 * GiB, 1124 * MiB, 1125 * MiB, 3 * GiB + 7, 4 * GiB, 16 * GiB, 64 * GiB, 128 * GiB];
    const py = [
      'import sys, json, types',
      `sys.path.insert(0, ${JSON.stringify(STANDIN_DIR)})`,
      'import standin',
      'standin.CONFIG = types.SimpleNamespace(cli_overhead=100 * 1024 * 1024)',
      `print(json.dumps([standin.es_auto_heap(c, 0.5) for c in ${JSON.stringify(caps)}]))`,
    ].join('\n');
    // -B: no __pycache__ written into the repo.
    const fromPython = JSON.parse(execFileSync(PYTHON, ['-B', '-c', py], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } })) as number[];
    expect(fromPython).toEqual(caps.map((c) => elasticsearchHeapBytes(c)));
  });
});
