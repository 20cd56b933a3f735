/**
 * A CSV file written as things happen: the header when created, each row appended and flushed at once, so
 * a run that crashes (or is OOM-killed itself) keeps every row it had.
 */
import fs from 'node:fs';

export function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  const s = typeof value === 'number' ? (Number.isInteger(value) ? String(value) : String(Math.round(value * 1000) / 1000)) : String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: unknown[]): string {
  return `${values.map(csvField).join(',')}\n`;
}

export class CsvFile {
  private fd: number;

  constructor(
    readonly file: string,
    readonly header: string[],
  ) {
    this.fd = fs.openSync(file, 'a');
    if (fs.fstatSync(this.fd).size === 0) fs.writeSync(this.fd, csvLine(header));
  }

  append(values: unknown[]): void {
    if (this.fd < 0) return;
    fs.writeSync(this.fd, csvLine(values));
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
