/**
 * The engine's events for one run, kept open across an engine restart: when the stream ends or fails
 * (dockerd restarting closes it), it is opened again with `since` = the second of the last event seen, so
 * nothing in between is missed; the events of that second the engine sends again are recognised (same
 * container, action and nanosecond time) and dropped, so nothing is counted twice.
 */
import { JsonLineSplitter, type EngineEvent } from './event-lines.ts';

type Stream = NodeJS.ReadableStream & { destroy?: () => void };

export interface EventSource {
  /** `since`: unix seconds; undefined = from now. */
  open(since: number | undefined): Promise<Stream>;
}

export class ReopeningEvents {
  private stream?: Stream;
  private closed = false;
  private lastSecond?: number;
  /** Keys of events already delivered from the last second (a replay of it is dropped). */
  private seen = new Set<string>();
  reopened = 0;

  constructor(
    private readonly source: EventSource,
    private readonly onEvent: (ev: EngineEvent) => void,
    private readonly onReopen: (detail: string) => void = () => undefined,
    private readonly retryMs = 1000,
  ) {}

  async start(): Promise<void> {
    await this.attach(await this.source.open(undefined));
  }

  close(): void {
    this.closed = true;
    this.stream?.destroy?.();
  }

  /** Deliver an event unless it was delivered already (exported for the reopen's replay). */
  deliver(ev: EngineEvent): void {
    const nano = ev.timeNano ?? (ev.time ?? 0) * 1e9;
    const second = Math.floor(nano / 1e9);
    const key = `${ev.Actor?.ID ?? ev.id}|${ev.Action ?? ev.status}|${nano}`;
    if (this.seen.has(key)) return;
    if (this.lastSecond === undefined || second > this.lastSecond) {
      // Only the newest second can be replayed: older keys are not needed any more.
      if (this.lastSecond !== undefined && second > this.lastSecond) this.seen.clear();
      this.lastSecond = second;
    }
    this.seen.add(key);
    this.onEvent(ev);
  }

  private async attach(stream: Stream): Promise<void> {
    this.stream = stream;
    const splitter = new JsonLineSplitter<EngineEvent>();
    let gone = false;
    const lost = () => {
      if (gone) return;
      gone = true;
      for (const ev of splitter.flush()) this.deliver(ev);
      if (!this.closed) void this.reopen();
    };
    stream.on('data', (chunk: Buffer) => {
      for (const ev of splitter.push(chunk)) this.deliver(ev);
    });
    stream.on('end', lost);
    stream.on('close', lost);
    stream.on('error', lost);
  }

  private async reopen(): Promise<void> {
    while (!this.closed) {
      try {
        const since = this.lastSecond;
        const stream = await this.source.open(since);
        if (this.closed) {
          stream.destroy?.();
          return;
        }
        this.reopened++;
        this.onReopen(`the engine's events stream closed (engine restarting?); reopened${since !== undefined ? ` from ${new Date(since * 1000).toISOString()}` : ''}, events already seen are not counted again`);
        await this.attach(stream);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, this.retryMs));
      }
    }
  }
}
