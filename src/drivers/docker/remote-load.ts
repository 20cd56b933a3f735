/**
 * `--load-from remote`: our load engine in a container on the server, driving the app at the server's
 * own loopback (the server's capacity, without the network between here and there). The container is
 * the stack's image (what `simulate setup --docker-host` copied there: no registry); the engine itself
 * (this machine's node binary and the load engine bundled into one file) goes into a per-run volume
 * once, when the stack is up. Each load is one container on the host network; its events come back on
 * its stdout (lines of JSON, load-wire.ts) over the same ssh connection, and are judged here as a local
 * run's. Everything carries the run's labels: removed with the run, or by the reaper after a crash.
 */
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform, Writable } from 'node:stream';
import type Docker from 'dockerode';
import { execa } from 'execa';
import { AbortError, EnvironmentError } from '../../errors.ts';
import { decodeResult, decodeStage, WireReader, type WireMessage } from '../../load/load-wire.ts';
import { checkBaseUrl, type LoadHandle, type LoadRunEvents, type StartLoadOptions } from '../../load/start-load.ts';
import type { Scenario } from '../../load/scenario.ts';
import type { LoadModel, LoadResult } from '../../load/types.ts';
import { debug, swallow } from '../../util/debug.ts';
import { LABEL_OWNER, LABEL_ROLE, LABEL_RUN, LABEL_SERVICE, OWNER } from './container-options.ts';

/** Where the engine sits in the load container. */
export const LOAD_DIR = '/opt/simulate-load';

let bundled: Promise<string> | undefined;

/** The load engine (src/load/load-agent.ts) as one ES module, made once per process with esbuild. */
export function agentBundle(): Promise<string> {
  bundled ??= (async () => {
    const here = import.meta.dirname;
    // From the sources (tsx) or from the compiled build (node_modules/.cache/simulate): whichever sits beside this file.
    const entry = [path.join(here, '..', '..', 'load', 'load-agent.ts'), path.join(here, '..', '..', 'load', 'load-agent.js')].find((f) => existsSync(f));
    if (!entry) throw new EnvironmentError(`the load engine's entry (src/load/load-agent.ts) is missing beside ${here}`, 'reinstall simulate (npm ci)');
    const { build } = await import('esbuild');
    const r = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      // autocannon and its dependencies are CommonJS: their require() needs one in an ES module.
      banner: { js: "import { createRequire as __simulateRequire } from 'node:module'; const require = __simulateRequire(import.meta.url);" },
    });
    return r.outputFiles[0]!.text;
  })();
  return bundled;
}

export interface RemoteLoaderOptions {
  /** The image that runs the engine (the stack's, already there). */
  image: string;
  /** The server, for messages. */
  url: string;
}

/** What run.json says about the remote load engine (filled in as the run goes). */
export interface RemoteLoadFacts {
  engine: string;
  /** Bytes sent to the server for the engine (node + the bundle, gzip'd), and how long it took. */
  copiedBytes?: number;
  copySeconds?: number;
  memory: string;
}

export class RemoteLoader {
  private volume?: string;
  private runId?: string;
  readonly facts: RemoteLoadFacts = {
    engine: `this machine's node ${process.version} and load engine, in a container of the stack's image on the server (host network)`,
    memory: 'the load container is not in the stack\'s cgroup: its memory is not counted in the stack\'s',
  };

  constructor(
    private readonly docker: Docker,
    private readonly opts: RemoteLoaderOptions,
  ) {}

  /** Copies node and the bundled engine into a volume of the run's there (once). */
  async prepare(runId: string): Promise<void> {
    if (this.volume) return;
    const started = Date.now();
    const volume = `simulate-${runId}-load`;
    const labels = { [LABEL_RUN]: runId, [LABEL_SERVICE]: 'load', [LABEL_OWNER]: OWNER };
    await this.docker.createVolume({ Name: volume, Labels: labels });
    const dir = mkdtempSync(path.join(tmpdir(), 'simulate-load-'));
    try {
      writeFileSync(path.join(dir, 'agent.mjs'), await agentBundle());
      symlinkSync(process.execPath, path.join(dir, 'node'));
      const filler = await this.docker.createContainer({ Image: this.opts.image, Entrypoint: [], Cmd: ['true'], Labels: { ...labels, [LABEL_ROLE]: 'oneshot' }, HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: volume, Target: '/fill' }] } });
      try {
        // gzip -1: the node binary is most of it (about 100 MB, a third of that gzip'd); the engine's API takes gzip'd tars.
        const tar = execa('tar', ['--numeric-owner', '-h', '-c', '--use-compress-program=gzip -1', '-C', dir, 'node', 'agent.mjs'], { buffer: false });
        let bytes = 0;
        const count = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            bytes += chunk.length;
            cb(null, chunk);
          },
        });
        await filler.putArchive(tar.stdout!.pipe(count), { path: '/fill' });
        await tar;
        this.facts.copiedBytes = bytes;
      } finally {
        await filler.remove({ force: true }).catch(swallow('docker', 'remove the load volume filler'));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    this.facts.copySeconds = Math.round((Date.now() - started) / 100) / 10;
    this.volume = volume;
    this.runId = runId;
  }

  start = (scenario: Scenario, opts: StartLoadOptions): LoadHandle => {
    if (!this.volume || !this.runId) throw new Error('RemoteLoader.start before prepare');
    return new RemoteLoadRun(this.docker, { ...this.opts, volume: this.volume, runId: this.runId }, scenario, opts);
  };
}

/** One load: a container running the engine there; its events re-emitted here as a LoadRun's. */
class RemoteLoadRun extends EventEmitter<LoadRunEvents> implements LoadHandle {
  readonly done: Promise<LoadResult>;
  readonly begun: Promise<number>;
  readonly model: LoadModel;
  private container?: Docker.Container;
  private stopRequested = false;
  private markBegun: (at: number) => void = () => {};
  private readonly onAck?: StartLoadOptions['onAck'];

  constructor(
    private readonly docker: Docker,
    private readonly opts: RemoteLoaderOptions & { volume: string; runId: string },
    scenario: Scenario,
    load: StartLoadOptions,
  ) {
    super();
    this.model = load.model ?? 'open';
    // The same rule as here: a loopback address of the machine the engine runs on (no --allow-remote there).
    const baseUrl = checkBaseUrl(load.baseUrl, false);
    this.begun = new Promise((r) => (this.markBegun = r));
    const onAbort = () => this.stop();
    if (load.signal?.aborted) this.stopRequested = true;
    else load.signal?.addEventListener('abort', onAbort, { once: true });
    this.onAck = load.onAck;
    this.done = this.go({ scenario, baseUrl, model: this.model, acks: Boolean(load.onAck) }).finally(() => load.signal?.removeEventListener('abort', onAbort));
  }

  stop(): void {
    this.stopRequested = true;
    // SIGTERM: the engine stops scheduling and still sends its figures ('done').
    void this.container?.kill({ signal: 'SIGTERM' }).catch(swallow('docker', 'stop the load container'));
  }

  private async go(input: { scenario: Scenario; baseUrl: string; model: LoadModel; acks: boolean }): Promise<LoadResult> {
    const { docker, opts } = this;
    const c = await docker.createContainer({
      Image: opts.image,
      Entrypoint: [],
      Cmd: [`${LOAD_DIR}/node`, `${LOAD_DIR}/agent.mjs`, JSON.stringify(input)],
      Labels: { [LABEL_RUN]: opts.runId, [LABEL_SERVICE]: 'load', [LABEL_ROLE]: 'load', [LABEL_OWNER]: OWNER },
      HostConfig: { NetworkMode: 'host', Mounts: [{ Type: 'volume', Source: opts.volume, Target: LOAD_DIR, ReadOnly: true }] },
    });
    this.container = c;
    try {
      await c.start();
      if (this.stopRequested) this.stop();
      const stream = (await c.logs({ follow: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream;
      return await new Promise<LoadResult>((resolve, reject) => {
        let settled = false;
        const reader = new WireReader();
        const errText: string[] = [];
        const settle = (f: () => void) => {
          if (settled) return;
          settled = true;
          f();
        };
        const onMessage = (m: WireMessage) => {
          switch (m.type) {
            case 'begin':
              this.markBegun(Date.now());
              return;
            case 'stage':
              this.emit('stage', m.stage);
              return;
            case 'second':
              this.emit('second', m.window);
              return;
            case 'stage-end':
              this.emit('stage-end', decodeStage(m.stage));
              return;
            case 'ack':
              // Stamped when heard here: the server's clock is not this one's.
              this.onAck?.(m.ack, m.body, Date.now());
              return;
            case 'done':
              return settle(() => resolve(decodeResult(m.result)));
            case 'error':
              return settle(() => reject(new AbortError(`the load engine on ${opts.url}: ${m.message}`, m.hint, m.exitCode === 2 ? 2 : 3)));
          }
        };
        const out = new Writable({
          write: (chunk: Buffer, _enc, cb) => {
            reader.push(chunk, onMessage, (line) => debug('load', `remote engine: ${line}`));
            cb();
          },
        });
        const err = new Writable({
          write: (chunk: Buffer, _enc, cb) => {
            errText.push(...chunk.toString().split('\n').filter(Boolean));
            cb();
          },
        });
        docker.modem.demuxStream(stream, out, err);
        const ended = (why: string) => () =>
          settle(() => reject(new EnvironmentError(`the load engine on ${opts.url} ended without its figures (${errText.at(-1) ?? why})`, 'see SIMULATE_DEBUG=1 for its output')));
        stream.on('end', ended('its output ended'));
        stream.on('close', ended('its output closed'));
        stream.on('error', (e: Error) => ended(e.message)());
      });
    } finally {
      await c.remove({ force: true }).catch(swallow('docker', 'remove the load container'));
    }
  }
}
