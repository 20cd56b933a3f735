/**
 * The profile's Prometheus alerts as they happen: its /api/v1/alerts read every few seconds during the
 * run, each alert followed from pending to firing to resolved, with the run second of each change. A
 * firing alert becomes an `alert-firing` event when it starts and `alert-resolved` when it ends;
 * pending ones (their `for:` not yet served) are kept apart and never counted as fired.
 */
import type { RunEvent } from '../model/index.ts';

export interface PromAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  state: string;
  activeAt?: string;
}

export interface AlertSpan {
  name: string;
  severity?: string;
  summary?: string;
  labels: Record<string, string>;
  /** Run second it became active (pending), from Prometheus's activeAt. */
  activeFromS?: number;
  /** Run seconds it fired: from the first reading that saw it firing to the first that did not (null: still firing at the end). */
  firingFromS?: number;
  firingToS?: number | null;
  /** Pending only: it left before its `for:` was served. */
  pendingToS?: number | null;
}

type Emit = (e: Omit<RunEvent, 'at' | 't'> & { at?: number }) => void;

const keyOf = (a: PromAlert) =>
  JSON.stringify(Object.entries(a.labels).filter(([k]) => k !== 'alertstate').sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));

export class AlertTracker {
  private readonly spans = new Map<string, AlertSpan>();

  constructor(
    private readonly runSecond: (atMs: number) => number,
    private readonly emit: Emit,
  ) {}

  /** One reading of /api/v1/alerts at wall-clock `atMs`. */
  update(alerts: PromAlert[], atMs: number): void {
    const t = this.runSecond(atMs);
    const seen = new Set<string>();
    for (const a of alerts) {
      const key = keyOf(a);
      seen.add(key);
      let span = this.spans.get(key);
      if (!span || (span.firingToS !== undefined && span.firingToS !== null) || (span.pendingToS !== undefined && span.pendingToS !== null)) {
        // New, or back after it ended: a new span (the old one stays in the report under a fresh key).
        if (span) this.spans.set(`${key}#${t}`, span);
        span = {
          name: a.labels.alertname ?? '?',
          severity: a.labels.severity,
          summary: a.annotations?.summary,
          labels: a.labels,
          activeFromS: a.activeAt ? this.runSecond(Date.parse(a.activeAt)) : t,
        };
        this.spans.set(key, span);
        if (a.state === 'pending') this.emit({ kind: 'alert-pending', at: atMs, detail: `${span.name} pending since second ${span.activeFromS}: ${span.summary ?? ''}` });
      }
      if (a.state === 'firing' && span.firingFromS === undefined) {
        span.firingFromS = t;
        span.firingToS = null;
        span.pendingToS = undefined;
        this.emit({ kind: 'alert-firing', at: atMs, detail: `${span.name} (firing${span.severity ? `, ${span.severity}` : ''}) from second ${t}: ${span.summary ?? ''}` });
      } else if (a.state === 'pending' && span.firingFromS === undefined) {
        span.pendingToS = null;
      }
    }
    for (const [key, span] of this.spans) {
      if (seen.has(key) || key.includes('#')) continue;
      if (span.firingToS === null) {
        span.firingToS = t;
        this.emit({ kind: 'alert-resolved', at: atMs, detail: `${span.name} resolved at second ${t} (fired from second ${span.firingFromS})` });
      } else if (span.pendingToS === null) {
        span.pendingToS = t;
      }
    }
  }

  /** Alerts that fired (with their seconds) and those that were only pending. */
  report(): { firing: AlertSpan[]; pending: AlertSpan[] } {
    const all = [...this.spans.values()];
    return { firing: all.filter((s) => s.firingFromS !== undefined), pending: all.filter((s) => s.firingFromS === undefined) };
  }
}

/** Polls Prometheus every `intervalMs` until stopped; a Prometheus that does not answer is skipped that time. */
export class AlertWatcher {
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;

  constructor(
    private readonly baseUrl: string,
    readonly tracker: AlertTracker,
    private readonly intervalMs = 5000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  poll(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    const at = Date.now();
    this.inFlight = fetch(`${this.baseUrl}/api/v1/alerts`, { signal: AbortSignal.timeout(3000) })
      .then((r) => r.json() as Promise<{ data?: { alerts?: PromAlert[] } }>)
      .then((b) => this.tracker.update(b.data?.alerts ?? [], at))
      .catch(() => undefined)
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  /** A last reading, then stop. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.poll();
  }
}
