/**
 * A minimal HTTP/1.1 response parser for the open-model engine: status, body length and whether
 * the connection may be reused; nothing else is kept (the engine needs no header values or body
 * content). Bodies framed by Content-Length, chunked transfer coding, or the connection's end.
 * One request at a time per connection (no pipelining), so a response never has to be matched to
 * anything but the request in flight. Bytes are read in place; only a head or chunk-size line split
 * across two reads is copied.
 */

export interface ResponseParserEvents {
  /** A whole response arrived: status code, body bytes, whether the connection can carry another request, and the body when kept. */
  onResponse(status: number, bodyBytes: number, keepAlive: boolean, body?: Buffer): void;
}

const enum State {
  Head,
  Body,
  ChunkSize,
  ChunkData,
  ChunkCrlf,
  Trailers,
  UntilClose,
  Broken,
}

const CRLF = 0x0a0d; // "\r\n" read as little-endian uint16
const MAX_HEAD = 64 * 1024;

export class ResponseParseError extends Error {}

export class ResponseParser {
  private state = State.Head;
  private pending: Buffer | undefined;
  private status = 0;
  private keepAlive = true;
  private remaining = 0;
  private bodyBytes = 0;
  /** The request was a HEAD: a response to it has no body whatever its headers say. */
  expectNoBody = false;
  /** Keep this response's body (an acknowledged write: its id is checked after the run); off for reads. */
  keepBody = false;
  private bodyParts: Buffer[] = [];

  constructor(private readonly events: ResponseParserEvents) {}

  /** True while a response has begun but not ended (for a connection closed mid-response). */
  get midResponse(): boolean {
    return this.state !== State.Head || this.pending !== undefined;
  }

  /** The connection ended: completes a body framed by the close, else reports whether a response was cut off. */
  end(): boolean {
    if (this.state === State.UntilClose) {
      this.state = State.Head;
      this.events.onResponse(this.status, this.bodyBytes, false, this.takeBody());
      return true;
    }
    return !this.midResponse;
  }

  execute(chunk: Buffer): void {
    let buf = chunk;
    let i = 0;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    const n = buf.length;
    while (i < n) {
      switch (this.state) {
        case State.Head: {
          const end = buf.indexOf('\r\n\r\n', i, 'latin1');
          if (end < 0) return this.keep(buf, i, 'response head');
          this.head(buf.toString('latin1', i, end));
          i = end + 4;
          break;
        }
        case State.Body: {
          const take = Math.min(this.remaining, n - i);
          this.remaining -= take;
          this.bodyBytes += take;
          if (this.keepBody) this.bodyParts.push(Buffer.from(buf.subarray(i, i + take)));
          i += take;
          if (this.remaining === 0) this.complete();
          break;
        }
        case State.ChunkSize: {
          const end = buf.indexOf('\r\n', i, 'latin1');
          if (end < 0) return this.keep(buf, i, 'chunk size line');
          // Chunk extensions (";name=value") are allowed and ignored.
          const line = buf.toString('latin1', i, end);
          const semi = line.indexOf(';');
          const size = parseInt(semi < 0 ? line : line.slice(0, semi), 16);
          if (!Number.isFinite(size) || size < 0) throw this.broken(`bad chunk size "${line.slice(0, 20)}"`);
          i = end + 2;
          if (size === 0) this.state = State.Trailers;
          else {
            this.remaining = size;
            this.state = State.ChunkData;
          }
          break;
        }
        case State.ChunkData: {
          const take = Math.min(this.remaining, n - i);
          this.remaining -= take;
          this.bodyBytes += take;
          if (this.keepBody) this.bodyParts.push(Buffer.from(buf.subarray(i, i + take)));
          i += take;
          if (this.remaining === 0) {
            this.state = State.ChunkCrlf;
            this.remaining = 2;
          }
          break;
        }
        case State.ChunkCrlf: {
          const take = Math.min(this.remaining, n - i);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = State.ChunkSize;
          break;
        }
        case State.Trailers: {
          // Trailer fields, if any, then an empty line.
          if (n - i >= 2 && buf.readUInt16LE(i) === CRLF) {
            i += 2;
            this.complete();
            break;
          }
          const end = buf.indexOf('\r\n', i, 'latin1');
          if (end < 0) return this.keep(buf, i, 'trailer');
          i = end + 2;
          break;
        }
        case State.UntilClose:
          this.bodyBytes += n - i;
          if (this.keepBody) this.bodyParts.push(Buffer.from(buf.subarray(i, n)));
          i = n;
          break;
        case State.Broken:
          return;
      }
    }
  }

  private head(head: string): void {
    // "HTTP/1.1 200 OK"
    if (!head.startsWith('HTTP/1.')) throw this.broken(`not an HTTP/1.x response: "${head.slice(0, 20)}"`);
    const status = (head.charCodeAt(9) - 48) * 100 + (head.charCodeAt(10) - 48) * 10 + (head.charCodeAt(11) - 48);
    if (!(status >= 100 && status <= 999)) throw this.broken(`bad status line "${head.slice(0, 30)}"`);
    this.status = status;
    this.bodyBytes = 0;
    if (this.bodyParts.length > 0) this.bodyParts = [];
    // HTTP/1.0 closes unless it says keep-alive; 1.1 keeps unless it says close.
    this.keepAlive = head.charCodeAt(7) !== 48;
    let length = -1;
    let chunked = false;
    let at = head.indexOf('\r\n');
    while (at >= 0) {
      const next = head.indexOf('\r\n', at + 2);
      const line = next < 0 ? head.slice(at + 2) : head.slice(at + 2, next);
      at = next;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      // Only three fields matter; compare lengths before lower-casing anything.
      const name = line.slice(0, colon);
      if (name.length === 14 && name.toLowerCase() === 'content-length') length = Number(line.slice(colon + 1).trim());
      else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') chunked = /chunked\s*$/i.test(line.slice(colon + 1));
      else if (name.length === 10 && name.toLowerCase() === 'connection') {
        const v = line.slice(colon + 1).trim().toLowerCase();
        if (v.includes('close')) this.keepAlive = false;
        else if (v.includes('keep-alive')) this.keepAlive = true;
      }
    }
    if (status < 200) {
      // 1xx: an interim answer; the real one follows on the same connection.
      this.state = State.Head;
      return;
    }
    if (this.expectNoBody || status === 204 || status === 304) return this.complete();
    if (chunked) this.state = State.ChunkSize;
    else if (length >= 0) {
      if (!Number.isSafeInteger(length)) throw this.broken('bad content-length');
      if (length === 0) return this.complete();
      this.remaining = length;
      this.state = State.Body;
    } else {
      this.keepAlive = false;
      this.state = State.UntilClose;
    }
  }

  private complete(): void {
    this.state = State.Head;
    this.events.onResponse(this.status, this.bodyBytes, this.keepAlive, this.takeBody());
  }

  private takeBody(): Buffer | undefined {
    if (!this.keepBody) return undefined;
    const body = Buffer.concat(this.bodyParts);
    this.bodyParts = [];
    return body;
  }

  private keep(buf: Buffer, from: number, what: string): void {
    if (buf.length - from > MAX_HEAD) throw this.broken(`${what} longer than ${MAX_HEAD} bytes`);
    // Copied: the socket may reuse its read buffer.
    this.pending = Buffer.from(buf.subarray(from));
  }

  private broken(message: string): ResponseParseError {
    this.state = State.Broken;
    return new ResponseParseError(message);
  }
}
