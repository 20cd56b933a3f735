import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvFile, csvLine } from './csv-file.ts';

describe('CSV', () => {
  it('quotes fields with commas, quotes and newlines', () => {
    expect(csvLine(['a', 'b,c', 'say "hi"', 1.23456, null])).toBe('a,"b,c","say ""hi""",1.235,\n');
  });

  it('writes the header once and each row as soon as it is appended', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'csv-')), 'x.csv');
    const csv = new CsvFile(file, ['t', 'v']);
    csv.append([1, 'a']);
    expect(fs.readFileSync(file, 'utf8')).toBe('t,v\n1,a\n');
    csv.close();
    new CsvFile(file, ['t', 'v']).append([2, 'b']);
    expect(fs.readFileSync(file, 'utf8')).toBe('t,v\n1,a\n2,b\n');
  });
});
