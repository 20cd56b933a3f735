/**
 * CSV through csv-stringify, written as things happen: the header when created, each row appended and flushed
 * at once, so a run that crashes (or is OOM-killed itself) keeps every row it had.
 *
 * Text a spreadsheet would run as a formula (a leading =, +, -, @, tab or CR) is prefixed with `'`
 * (csv-stringify's `escape_formulas`, after OWASP's advice on CSV injection): an event's detail comes from
 * a service's output and must not execute when a capacity review opens the file. Text that already starts
 * with `'` gets one more, so `readCsv` can take exactly one off and every value survives a round trip.
 * Numbers stay numbers: a negative number is not escaped.
 */
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify, type Options } from 'csv-stringify/sync';

const STRINGIFY: Options = {
  escape_formulas: true,
  record_delimiter: 'unix',
  cast: {
    // Three decimals are enough for every figure we write (ms to the microsecond, MB to the KB).
    number: (n) => (Number.isFinite(n) ? (Number.isInteger(n) ? String(n) : String(Math.round(n * 1000) / 1000)) : ''),
    string: (s) => (s.startsWith("'") ? `'${s}` : s),
    boolean: (b) => (b ? '1' : '0'),
  },
};

/** One CSV line (with its newline) for these values; undefined and null are empty fields. */
export function csvLine(values: unknown[]): string {
  return stringify([values.map((v) => v ?? null)], STRINGIFY);
}

/** Several lines at once (a whole file written at the end). */
export function csvText(rows: unknown[][]): string {
  return stringify(rows.map((r) => r.map((v) => v ?? null)), STRINGIFY);
}

/** One field as it appears in a line (quoted when it must be). */
export function csvField(value: unknown): string {
  return csvLine([value]).replace(/\n$/, '');
}

/** Undo the formula escape of `csvLine`: one leading `'` comes off. */
function unescapeField(s: string): string {
  return s.startsWith("'") ? s.slice(1) : s;
}

/** A CSV text's rows, fields as written (formula escapes undone). */
export function parseCsvRows(text: string): string[][] {
  const rows = parse(text, { relax_column_count: true, skip_empty_lines: true }) as string[][];
  return rows.map((r) => r.map(unescapeField));
}

/** A CSV text as records keyed by its header. */
export function parseCsvRecords(text: string): Array<Record<string, string>> {
  const [header, ...rows] = parseCsvRows(text);
  if (!header) return [];
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

export function readCsv(file: string): Array<Record<string, string>> {
  return parseCsvRecords(fs.readFileSync(file, 'utf8'));
}

export class CsvFile {
  private fd: number;
  /** Bytes of whole rows written: a row the disk could not take is cut back to here. */
  private size: number;
  /** The write error that stopped this file (disk full, I/O error); nothing more is written after it. */
  failed?: NodeJS.ErrnoException;

  /** `onError`: called once when a row cannot be written (the rows before it stay whole). */
  constructor(
    readonly file: string,
    readonly header: string[],
    private readonly onError?: (err: NodeJS.ErrnoException, file: string) => void,
  ) {
    this.fd = fs.openSync(file, 'a');
    this.size = fs.fstatSync(this.fd).size;
    if (this.size === 0) this.write(csvLine(header));
  }

  append(values: unknown[]): void {
    if (this.fd < 0 || this.failed) return;
    this.write(csvLine(values));
  }

  private write(line: string): void {
    const bytes = Buffer.from(line);
    try {
      const n = fs.writeSync(this.fd, bytes);
      if (n < bytes.length) throw Object.assign(new Error(`short write (${n} of ${bytes.length} bytes)`), { code: 'ENOSPC' });
      this.size += n;
    } catch (err) {
      this.failed = err as NodeJS.ErrnoException;
      // A half row would be read as a bad one: the file ends at its last whole row.
      try {
        fs.ftruncateSync(this.fd, this.size);
      } catch {
        /* the rows before stay as they are */
      }
      if (!this.onError) throw err;
      this.onError(this.failed, this.file);
    }
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
