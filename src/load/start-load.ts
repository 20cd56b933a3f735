/**
 * startLoad: the one entry point. Returns an emitter you can also await (`await run.done`), like
 * autocannon's run: 'second' each second, 'stage' when a stage starts, 'stage-end' when a stage's
 * figures are final (append its summary.csv rows then), 'sample' per request if anyone listens.
 */
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { InputError } from '../errors.ts';
import type { Scenario } from './scenario.ts';
import { planStages } from './arrival-schedule.ts';
import { compileMix } from './request-mix.ts';
import { LoadRecorder } from './load-recorder.ts';
import { runOpenModel, type AckListener } from './open-engine.ts';
import { runClosedModel } from './closed-engine.ts';
import type { LatencySample, LoadModel, LoadResult, SecondWindow, StageResult, StageStartEvent } from './types.ts';

export interface StartLoadOptions {
  baseUrl: string;
  /** Default 'open'. */
  model?: LoadModel;
  signal?: AbortSignal;
  /** Allow a base URL that is not a loopback address. */
  allowRemote?: boolean;
  /** Each write the app acknowledged (requests with `ack`; open model only: autocannon keeps no bodies). */
  onAck?: AckListener;
}

export interface LoadRunEvents {
  second: [SecondWindow];
  stage: [StageStartEvent];
  'stage-end': [StageResult];
  /** Every request's end (for tests and raw dumps); costs a call per request, only when listened to. */
  sample: [LatencySample];
}

/**
 * What a run drives: this process's engine (LoadRun), or one on another machine whose events arrive
 * over a stream (`--load-from remote`). `begun` resolves with the time (this machine's clock) the load
 * actually began, when that is later than the call (a container to start first).
 */
export interface LoadHandle extends EventEmitter<LoadRunEvents> {
  readonly done: Promise<LoadResult>;
  readonly model: LoadModel;
  readonly begun?: Promise<number>;
  stop(): void;
}

/** Starts a load: startLoad, or a remote engine's. */
export type LoadStarter = (scenario: Scenario, opts: StartLoadOptions) => LoadHandle;

export class LoadRun extends EventEmitter<LoadRunEvents> implements LoadHandle {
  /** Resolves when the last stage's last request has ended, or soon after stop(). */
  readonly done: Promise<LoadResult>;
  readonly model: LoadModel;
  private stopFn: () => void = () => {};

  constructor(scenario: Scenario, opts: StartLoadOptions) {
    super();
    this.model = opts.model ?? 'open';
    const baseUrl = checkBaseUrl(opts.baseUrl, opts.allowRemote ?? false);
    const plans = planStages(scenario.stages);
    const mix = compileMix(scenario);
    const recorder = new LoadRecorder(this.model, plans, mix.endpoints, {
      second: (w) => this.emit('second', w),
      stage: (s) => this.emit('stage', s),
      stageEnd: (r) => this.emit('stage-end', r),
    });
    // Samples cost an object per request: built only once someone listens.
    (this as unknown as EventEmitter).on('newListener', (event: string | symbol) => {
      if (event === 'sample') recorder.onSample = (s) => this.emit('sample', s);
    });
    const startedAt = Date.now();
    // Start on the next turn so listeners attached right after startLoad() see the first stage.
    this.done = new Promise<void>((r) => setImmediate(r)).then(async () => {
      const engine = this.model === 'closed' ? runClosedModel(scenario, plans, mix, recorder, baseUrl) : runOpenModel(scenario, plans, mix, recorder, baseUrl, opts.onAck);
      this.stopFn = () => engine.stop();
      if (this.stopRequested) engine.stop();
      const { endS, stopped } = await engine.done;
      opts.signal?.removeEventListener('abort', onAbort);
      return recorder.finish(endS, { stopped, scenario: scenario.name, baseUrl, startedAt });
    });
    const onAbort = () => this.stop();
    if (opts.signal?.aborted) this.stop();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  }

  private stopRequested = false;

  /** Stop scheduling, abandon requests in flight (they are not counted), resolve `done`. */
  stop(): void {
    this.stopRequested = true;
    this.stopFn();
  }
}

export function startLoad(scenario: Scenario, opts: StartLoadOptions): LoadRun {
  return new LoadRun(scenario, opts);
}

/** Load goes to loopback only unless the user says otherwise. */
export function checkBaseUrl(baseUrl: string, allowRemote: boolean): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new InputError(`not a URL: ${baseUrl}`, 'give an absolute URL such as http://127.0.0.1:8000/');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`unsupported URL scheme ${url.protocol} in ${baseUrl}`, 'use http:// or https://');
  }
  if (!allowRemote && !isLoopback(url.hostname)) {
    throw new InputError(`refusing to send load to ${url.host}: not a loopback address`, 'pass --allow-remote to load another host');
  }
  return url.href;
}

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:(127\.|7f)/.test(host);
  return false;
}
