/**
 * Open-model engine (the default): requests leave at the stage's arrival rate whatever the server
 * does, like wrk2 and k6's constant-arrival-rate, and a request's latency counts from its
 * SCHEDULED send time, so a server that stalls for N seconds shows N seconds of slow requests.
 *
 * HTTP: keep-alive HTTP/1.1 on raw sockets, one request per connection at a time (http1-pool.ts),
 * at most `maxInFlight` connections, at most OPENS_PER_TICK new ones a tick (a due request may wait
 * for one to open; that wait is in its latency like any other).
 *
 * Scheduling: one timer, not one per request. Each tick sends every arrival whose intended time
 * has passed (stamped with that intended time), then sleeps until the next arrival, window edge
 * or deadline. Timer lateness therefore shows in latency instead of hiding.
 *
 * In-flight cap and drops (the rule): a due request that finds `maxInFlight` requests in flight
 * waits in a FIFO queue for a free slot, for at most `timeout` seconds from its scheduled time.
 * - It gets a slot in time: it is sent, and its latency (scheduled → response) includes the wait.
 * - It is still queued `timeout` after its scheduled time: it is DROPPED, never sent. It enters
 *   the latency histogram with the time it waited (= the timeout) and counts as dropped (a failure
 *   in summary.csv, a `dropped` in its second), not as an error.
 * - Once sent, it has `timeout` seconds from the send to be answered, as an HTTP client's timeout
 *   would; past that it is aborted and counts as a TIMEOUT (an error) with latency scheduled →
 *   abort, i.e. its queue wait + the timeout (at most twice the timeout).
 * (A deadline counted from the scheduled time for both would never drop anything: the slot
 * holders always expire first, so a queued request would be sent with milliseconds to live.)
 * Errors (non-2xx/3xx status, connection errors, timeouts) enter latency with their time from
 * the scheduled send to the failure, as Locust's response times include failures; the error
 * rate target is what catches a server that fails fast.
 */
import { performance } from 'node:perf_hooks';
import { Http1Pool, type Exchange } from './http1-pool.ts';
import type { Scenario } from './scenario.ts';
import type { StagePlan } from './arrival-schedule.ts';
import { totalDurationS } from './arrival-schedule.ts';
import type { AckSpec, PlannedRequest, RequestMix } from './request-mix.ts';
import type { LoadRecorder } from './load-recorder.ts';

interface Pending extends Exchange {
  stageIndex: number;
  req: PlannedRequest;
  /** performance.now() ms at which it was due. */
  intendedMs: number;
  /** Queued: when it is dropped (due + timeout). Sent: when it is aborted (send + timeout). */
  deadlineMs: number;
  timedOut?: boolean;
}

const TIMEOUT = new Error('timeout');

/**
 * New connections opened per tick, at most. After a pause (a GC, a busy machine) the backlog would
 * otherwise open hundreds at once, and their set-up on both ends adds a second, longer pause: measured
 * here at 25k req/s with 32 a tick, one blip grew the pool to the 1,000 cap within a second and the
 * server, busy accepting, never caught up. A connection freed by an answer is reused at once; the cap
 * only holds back opening more. At one tick a millisecond it still allows 4,000 new connections a
 * second (a 10 s stall at 300 req/s fills a 512 cap in about 0.15 s).
 */
const OPENS_PER_TICK = 4;

/**
 * Connections opened before the clock starts (as wrk and autocannon connect first): about what the
 * first stage needs at a few milliseconds' latency, so the first second does not measure a burst of
 * connection set-ups. Never more than the in-flight cap.
 */
function warmConnections(plans: StagePlan[], cap: number): number {
  const first = plans.find((p) => p.count > 0);
  if (!first) return 0;
  const rate = first.count / Math.max(first.durationS, 1e-3);
  return Math.min(cap, 4 + Math.ceil(rate / 500));
}

/** A write the app acknowledged (2xx): its answer's body, for the lost-write check. */
export type AckListener = (ack: AckSpec, body: string, atMs: number) => void;

export interface EngineControl {
  /** Resolves with the load-clock second at which the last request ended (or the run stopped). */
  done: Promise<{ endS: number; stopped: boolean }>;
  stop(): void;
  /** performance.now() of the load start. */
  t0: number;
}

export function runOpenModel(scenario: Scenario, plans: StagePlan[], mix: RequestMix, recorder: LoadRecorder, baseUrl: string, onAck?: AckListener): EngineControl {
  const origin = new URL(baseUrl).origin;
  const cap = scenario.maxInFlight;
  const timeoutMs = scenario.timeout * 1000;
  // The clock starts once the warm connections are up (see start()).
  let t0 = performance.now();
  const endS = totalDurationS(plans);
  const queue: Pending[] = [];
  let queueHead = 0;
  // Insertion order = send order = deadline order (deadline = send time + timeout).
  const inFlight = new Set<Pending>();
  let stageIndex = 0;
  let k = 0;
  let stopped = false;
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  let resolveDone!: (v: { endS: number; stopped: boolean }) => void;
  const done = new Promise<{ endS: number; stopped: boolean }>((r) => (resolveDone = r));
  const nowS = (now: number) => (now - t0) / 1000;

  // One connection per request in flight (no pipelining); the pool never opens more than `cap`.
  const pool = new Http1Pool<Pending>(origin, cap, {
    done: (p, status, bytes, body) => {
      // Only acknowledged writes keep their body (the id of the new row); reads just count bytes.
      if (body && onAck && p.req.ack && status >= 200 && status < 300 && !p.timedOut) onAck(p.req.ack, body.toString('utf8'), Date.now());
      // A page of a walk: its next_cursor is sent on a later arrival.
      if (body && p.req.walk && !p.timedOut) mix.observe?.(p.req, status, body);
      finish(p, status >= 200 && status < 400 ? 'ok' : 'error', bytes, status);
    },
    fail: (p) => finish(p, p.timedOut ? 'timeout' : 'error', 0),
  });

  const send = (p: Pending, now: number) => {
    p.deadlineMs = now + timeoutMs;
    inFlight.add(p);
    recorder.sent(nowS(now));
    try {
      pool.send(p);
    } catch {
      finish(p, 'error', 0);
    }
  };

  let lastCall = false;
  const finish = (p: Pending, outcome: 'ok' | 'error' | 'timeout', bytes: number, status?: number) => {
    if (!inFlight.delete(p) || stopped || finished) return;
    const now = performance.now();
    recorder.ended(p.stageIndex, p.req.endpointIndex, outcome, (now - p.intendedMs) * 1000, bytes, nowS(now), true, status);
    // A slot is free: the oldest waiting request goes now rather than at the next tick.
    if (queueHead < queue.length) dispatch(now);
    // The last answer: end now rather than at the next timer (never re-entering a running tick).
    if (!lastCall && endS <= nowS(now) && queueHead >= queue.length && inFlight.size === 0) {
      lastCall = true;
      setImmediate(tick);
    }
  };

  let opened = 0;
  const dispatch = (now: number) => {
    while (queueHead < queue.length && inFlight.size < cap) {
      if (!pool.hasIdle) {
        if (opened >= OPENS_PER_TICK) break;
        opened++;
      }
      send(queue[queueHead++]!, now);
    }
    if (queueHead > 1024 && queueHead * 2 > queue.length) {
      queue.splice(0, queueHead);
      queueHead = 0;
    }
  };

  const tick = () => {
    if (finished) return;
    // Exactly one timer chain: a tick called early (a last response) replaces the pending one.
    if (timer) clearTimeout(timer);
    timer = undefined;
    const now = performance.now();
    const s = nowS(now);
    if (stopped) return end(now);
    opened = 0;

    // Stage edges at their planned times.
    for (const plan of plans) if (plan.startS <= s) recorder.startStage(plan.index, plan.startS);

    // Every arrival due by now, stamped with its intended time.
    while (stageIndex < plans.length) {
      const plan = plans[stageIndex]!;
      if (k >= plan.count) {
        stageIndex++;
        k = 0;
        continue;
      }
      const dueS = plan.startS + plan.arrivalS(k);
      if (dueS > s) break;
      const intendedMs = t0 + dueS * 1000;
      recorder.scheduled(plan.index, dueS);
      const req = mix.next();
      const p: Pending = { stageIndex: plan.index, req, intendedMs, deadlineMs: intendedMs + timeoutMs };
      if ((onAck && req.ack) || req.walk) p.keepBody = true;
      queue.push(p);
      k++;
    }

    // A stage ends after its last arrivals are scheduled, or it could close without them.
    for (const plan of plans) if (plan.startS + plan.durationS <= s) recorder.endStage(plan.index, plan.startS + plan.durationS);

    // Deadlines: queued too long → dropped; in flight too long → aborted as a timeout.
    while (queueHead < queue.length && queue[queueHead]!.deadlineMs <= now) {
      const p = queue[queueHead++]!;
      recorder.ended(p.stageIndex, p.req.endpointIndex, 'dropped', (now - p.intendedMs) * 1000, 0, s, false);
    }
    let expired: Pending[] | undefined;
    for (const p of inFlight) {
      if (p.deadlineMs > now) break;
      (expired ??= []).push(p);
    }
    // Aborted after the walk: an abort ends the request at once, which may send a queued one.
    if (expired) for (const p of expired) {
      p.timedOut = true;
      if (p.conn) p.conn.abort(TIMEOUT);
      else finish(p, 'timeout', 0);
    }
    dispatch(now);
    recorder.tick(s);

    if (s >= endS && queueHead >= queue.length && inFlight.size === 0) return end(now);

    // Sleep until the next thing that needs us: an arrival, a window edge, a deadline.
    let nextMs = t0 + (Math.floor(s) + 1) * 1000;
    if (stageIndex < plans.length) {
      const plan = plans[stageIndex]!;
      const dueS = k < plan.count ? plan.startS + plan.arrivalS(k) : plan.startS + plan.durationS;
      nextMs = Math.min(nextMs, t0 + dueS * 1000);
    }
    for (const plan of plans) {
      const edge = t0 + (plan.startS + plan.durationS) * 1000;
      if (edge > now) { nextMs = Math.min(nextMs, edge); break; }
    }
    if (queueHead < queue.length) nextMs = Math.min(nextMs, inFlight.size < cap ? now + 1 : queue[queueHead]!.deadlineMs);
    for (const p of inFlight) {
      nextMs = Math.min(nextMs, p.deadlineMs);
      break;
    }
    // Rounded up: a timer rounded down wakes before the arrival and again 1 ms later, twice the
    // wake-ups for nothing; the arrival leaves at most 1 ms late either way, and that shows in its latency.
    timer = setTimeout(tick, Math.max(0, Math.ceil(nextMs - performance.now())));
  };

  const end = (now: number) => {
    if (finished) return;
    finished = true;
    if (timer) clearTimeout(timer);
    const left = [...inFlight];
    inFlight.clear();
    for (const p of left) p.conn?.abort(TIMEOUT);
    pool.destroy();
    resolveDone({ endS: nowS(now), stopped });
  };

  void pool.warm(warmConnections(plans, cap)).then(() => {
    if (finished) return;
    t0 = performance.now();
    // A stop() while warming: its tick ends the run.
    if (!stopped) tick();
  });
  return {
    get t0() {
      return t0;
    },
    done,
    stop() {
      if (finished || stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      setImmediate(tick);
    },
  };
}
