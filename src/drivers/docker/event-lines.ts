/**
 * The engine's events stream is newline-delimited JSON, but a chunk can hold several objects or
 * part of one (dockerode #363, #571): keep the unfinished tail and parse whole lines only.
 */

/** The fields of an engine event we use. */
export interface EngineEvent {
  Type?: string;
  Action?: string;
  /** Older engines: same as Action. */
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

export class JsonLineSplitter<T = EngineEvent> {
  private tail = '';

  /** Feed a chunk; get back every object completed by it. Malformed lines go to `onBad`. */
  push(chunk: string | Buffer, onBad?: (line: string) => void): T[] {
    this.tail += chunk.toString();
    const lines = this.tail.split('\n');
    this.tail = lines.pop() ?? '';
    const out: T[] = [];
    for (const raw of lines) {
      const line = raw.trim();
      if (!line) continue;
      try {
        out.push(JSON.parse(line) as T);
      } catch {
        onBad?.(line);
      }
    }
    return out;
  }

  /** What is left when the stream ends (an engine may not end its last line). */
  flush(onBad?: (line: string) => void): T[] {
    const rest = this.tail;
    this.tail = '';
    return this.push(rest + '\n', onBad);
  }
}
