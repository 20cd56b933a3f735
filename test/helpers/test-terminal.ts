/**
 * Stand-ins for a terminal's streams in tests of the real Ink mount (ink-testing-library covers
 * components; these cover createTuiReporter/createReporter, which take Node streams).
 */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';

export class TestOutput extends Writable {
  chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    public columns = 80,
    public rows = 24,
  ) {
    super();
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.chunks.push(chunk.toString());
    cb();
  }
  text(): string {
    return this.chunks.join('');
  }
  asWriteStream(): NodeJS.WriteStream {
    return this as unknown as NodeJS.WriteStream;
  }
}

/** What Ink needs from stdin: raw mode (when a TTY) and `readable`/`read()` for key presses. */
export class TestInput extends EventEmitter {
  rawModeCalls: boolean[] = [];
  private pending: string[] = [];
  constructor(readonly isTTY: boolean) {
    super();
  }
  setRawMode(on: boolean): this {
    if (!this.isTTY) throw new Error('setRawMode on a non-TTY stdin');
    this.rawModeCalls.push(on);
    return this;
  }
  setEncoding(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  read(): string | null {
    return this.pending.shift() ?? null;
  }
  press(data: string): void {
    this.pending.push(data);
    this.emit('readable');
  }
  asReadStream(): NodeJS.ReadStream {
    return this as unknown as NodeJS.ReadStream;
  }
}
