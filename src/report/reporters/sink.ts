/** The part of a stream a line reporter needs; tests pass a collector, the CLI process.stdout/stderr. */
export interface TextSink {
  write(chunk: string, cb?: (err?: Error | null) => void): boolean;
}

/** Resolves once everything written so far has been handed to the OS (a pipe may be slow to read). */
export function flushSink(sink: TextSink): Promise<void> {
  return new Promise((resolve) => {
    try {
      sink.write('', () => resolve());
    } catch {
      // A destroyed stream (the reader went away) has nothing left to flush.
      resolve();
    }
  });
}
