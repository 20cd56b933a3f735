import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../test/helpers/csv.ts';
import { CsvFile, csvLine, parseCsvRows, readCsv } from './csv-file.ts';

const tmpFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'csv-')), 'x.csv');

describe('CSV', () => {
  it('quotes fields with commas, quotes and newlines; numbers to three decimals; null and undefined empty', () => {
    expect(csvLine(['a', 'b,c', 'say "hi"', 1.23456, null, undefined, 'two\nlines'])).toBe('a,"b,c","say ""hi""",1.235,,,"two\nlines"\n');
  });

  it('escapes text a spreadsheet would run as a formula, but not negative numbers', () => {
    const line = csvLine(['=HYPERLINK("http://x","y")', '+1', '-cmd', '@SUM(A1)', -5, 'plain']);
    expect(line).toBe(`"'=HYPERLINK(""http://x"",""y"")",'+1,'-cmd,'@SUM(A1),-5,plain\n`);
    // What a spreadsheet would see: no cell starts with a formula character.
    for (const cell of parseCsv(line)[0].slice(0, 4)) expect(cell).toMatch(/^'/);
  });

  it('a detail with commas, quotes, newlines or a leading = survives a round trip through a file', () => {
    const details = ['a, b, c', 'say "hi", then "bye"', 'line one\nline two\r\nline three', '=1+2', "'quoted already", "'=both", '-5 MB', ''];
    const file = tmpFile();
    const csv = new CsvFile(file, ['t_s', 'detail', 'n']);
    details.forEach((d, i) => csv.append([i, d, -i]));
    csv.close();
    const rows = readCsv(file);
    expect(rows.map((r) => r.detail)).toEqual(details);
    expect(rows.map((r) => r.n)).toEqual(details.map((_, i) => String(-i)));
    expect(rows.map((r) => r.t_s)).toEqual(details.map((_, i) => String(i)));
  });

  it('still opens in the same columns: header and rows line up for a plain CSV reader', () => {
    const file = tmpFile();
    const csv = new CsvFile(file, ['time', 't_s', 'service', 'event', 'detail']);
    csv.append(['2026-11-30T10:00:00.000Z', 3, 'redis', 'oom-kill', 'killed, "sigkill"\nexit 137']);
    csv.close();
    const [header, row] = parseCsv(fs.readFileSync(file, 'utf8'));
    expect(header).toEqual(['time', 't_s', 'service', 'event', 'detail']);
    expect(row).toHaveLength(header.length);
    expect(row[3]).toBe('oom-kill');
    expect(parseCsvRows(fs.readFileSync(file, 'utf8'))[1][4]).toBe('killed, "sigkill"\nexit 137');
  });

  it('writes the header once and each row as soon as it is appended', () => {
    const file = tmpFile();
    const csv = new CsvFile(file, ['t', 'v']);
    csv.append([1, 'a']);
    expect(fs.readFileSync(file, 'utf8')).toBe('t,v\n1,a\n');
    csv.close();
    new CsvFile(file, ['t', 'v']).append([2, 'b']);
    expect(fs.readFileSync(file, 'utf8')).toBe('t,v\n1,a\n2,b\n');
  });
});

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)(`a results disk that fills up${isRoot ? '' : ' (skipped: needs root to mount a small tmpfs)'}`, () => {
  it('stops at the last whole row, reports the error once, and leaves the rows before intact', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir]);
    try {
      const errors: string[] = [];
      const csv = new CsvFile(path.join(dir, 'rows.csv'), ['t', 'detail'], (err) => errors.push(err.code ?? err.message));
      let i = 0;
      while (!csv.failed && i < 10_000) csv.append([i++, 'x'.repeat(100)]);
      csv.append([i, 'after the error: not written']);
      csv.close();
      expect(errors).toEqual(['ENOSPC']);
      const rows = readCsv(path.join(dir, 'rows.csv'));
      expect(rows.length).toBeGreaterThan(50);
      expect(rows.length).toBe(i - 1);
      rows.forEach((r, k) => expect(r).toEqual({ t: String(k), detail: 'x'.repeat(100) }));
    } finally {
      execFileSync('umount', [dir]);
      fs.rmdirSync(dir);
    }
  });
});
