import { describe, expect, it } from 'vitest';
import { ResponseParseError, ResponseParser } from './http1-response-parser.ts';

function collect() {
  const got: Array<[number, number, boolean]> = [];
  const parser = new ResponseParser({ onResponse: (s, b, k) => got.push([s, b, k]) });
  return { parser, got };
}

/** Feed `text` split at every position in turn: the result must not depend on how the bytes arrive. */
function everySplit(text: string, check: (got: Array<[number, number, boolean]>, parser: ResponseParser) => void) {
  const bytes = Buffer.from(text, 'latin1');
  for (let at = 0; at <= bytes.length; at++) {
    const { parser, got } = collect();
    parser.execute(bytes.subarray(0, at));
    parser.execute(bytes.subarray(at));
    check(got, parser);
  }
}

describe('HTTP/1.1 response parser', () => {
  it('reads Content-Length bodies, back to back, however they are split', () => {
    const one = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ncontent-length: 5\r\n\r\nhello';
    const two = 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n';
    everySplit(one + two, (got, parser) => {
      expect(got).toEqual([[200, 5, true], [404, 0, true]]);
      expect(parser.midResponse).toBe(false);
    });
  });

  it('reads chunked bodies with extensions and trailers', () => {
    const text = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n';
    everySplit(text, (got) => expect(got).toEqual([[200, 15, true]]));
  });

  it('honours Connection: close and HTTP/1.0 defaults', () => {
    everySplit('HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 2\r\n\r\nno', (got) => expect(got).toEqual([[503, 2, false]]));
    everySplit('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok', (got) => expect(got).toEqual([[200, 2, false]]));
    everySplit('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok', (got) => expect(got).toEqual([[200, 2, true]]));
  });

  it('a body without length ends with the connection; a cut-off response is reported as such', () => {
    const { parser, got } = collect();
    parser.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\nsome bytes'));
    expect(got).toEqual([]);
    expect(parser.end()).toBe(true);
    expect(got).toEqual([[200, 10, false]]);

    const cut = collect();
    cut.parser.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    expect(cut.parser.midResponse).toBe(true);
    expect(cut.parser.end()).toBe(false);
    expect(cut.got).toEqual([]);
  });

  it('skips 1xx answers, and has no body for 204, 304 and HEAD', () => {
    everySplit('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n', (got) =>
      expect(got).toEqual([[204, 0, true], [304, 0, true]]),
    );
    const { parser, got } = collect();
    parser.expectNoBody = true;
    parser.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n'));
    expect(got).toEqual([[200, 0, true]]);
  });

  it('rejects what is not HTTP', () => {
    const { parser } = collect();
    expect(() => parser.execute(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'))).toThrow(ResponseParseError);
    const chunk = collect();
    expect(() => chunk.parser.execute(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'))).toThrow(/chunk size/);
  });
});
