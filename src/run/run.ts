/**
 * One run: stack up inside one capped cgroup → monitor + load → verdict → everything down. The engine keeps
 * RunState and tells reporters; files are written as things happen. Teardown runs on every path out
 * (normal end, error, Ctrl-C, SIGTERM).
 *
 * `runSimulation` turns command-line options into a RunSpec and the machine's parts (cgroups, driver);
 * `Run` takes both as values, so a workflow can run one Run per step and a unit test can pass a fake
 * cgroup root, a stub driver and a local server.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import type { MemoryCgroup, MemoryStats } from '../cgroups/cgroup.ts';
import type { Psi } from '../cgroups/psi.ts';
import { createCgroup, detectCgroups, heldMemory, RUNS_PARENT, removeEverywhere, removeIfEmpty, type CgroupLayout } from '../cgroups/index.ts';
import type { Driver, DriverName } from '../drivers/driver.ts';
import { checkPortsFree } from '../drivers/process/process-driver.ts';
import { EnvironmentError, EXIT, InputError, InterruptedError } from '../errors.ts';
import { appendStageSummary, formatSummaryCsv, loadScenario, startLoad, type LoadHandle, type LoadModel, type LoadResult, type LoadStarter, type Scenario, type SecondWindow, type StageResult } from '../load/index.ts';
import type { Reporter, RunEvent, RunState } from '../model/index.ts';
import { appFigures, readCacheCounters, startMetricsExporter, type AppCounters, type AppFigures } from '../monitor/metrics-exporter.ts';
import { hostFacts, type HostFacts } from '../monitor/host-facts.ts';
import { Monitor, type MonitorOptions, type Sample } from '../monitor/monitor.ts';
import { loadProfile } from '../profile/load-profile.ts';
import type { Stack } from '../profile/stack.ts';
import { formatCount } from '../report/format.ts';
import { writeRunReport } from '../report/html/index.ts';
import { debug } from '../util/debug.ts';
import { secondSpan } from '../verdict/spans.ts';
import { checkMoment, missedText, type Span, type TargetDef } from '../verdict/targets.ts';
import { computeVerdict } from '../verdict/verdict.ts';
import { chooseDriver, dockerReaper, remoteRun } from './choose-driver.ts';
import { prometheusUrl } from './prometheus-alerts.ts';
import { AlertTracker, AlertWatcher, type AlertSpan } from './alert-watcher.ts';
import { SteadyStateDetector } from './steady-state.ts';
import { projectGrowth, trendReport, type TrendPoint } from '../verdict/trend.ts';
import { fitToDataset } from '../load/scenario.ts';
import { ServiceStatsPoller, serviceStatsTargets, type ServiceStatsRow } from '../monitor/service-stats.ts';
import { cacheHitRate, killRecords, loadSummary, psiOf, stageExtras, SWAP_NOTICED_BYTES, type MemoryReading } from './run-bookkeeping.ts';
import { RunOutputs, runJson } from './run-outputs.ts';
import { ensureWorkBase, processStart, reap, workDirOf, writeOwner, type OwnerRecord } from './run-registry.ts';
import { applyEvent, applyLoadWindow, applyMemory, initialState } from './run-state.ts';
import { scaleScenario } from './scale-scenario.ts';
import { ensureDataset } from '../dataset/build-dataset.ts';
import { copyCold } from '../dataset/cold-copy.ts';
import { datasetSpec, postgresService, postgresVolumeDir, type DatasetRecord } from '../dataset/dataset-spec.ts';
import { formatSeedProgress } from '../dataset/seed-progress.ts';
import { AckLog, checkAcknowledged } from '../faults/acknowledged-writes.ts';
import { prepareSmallDisks, type SmallDisks } from '../faults/disk-full.ts';
import { faultRecords, type FaultWindow } from '../faults/fault-record.ts';
import { FaultRunner, prepareProxies, type FaultProxies } from '../faults/fault-runner.ts';
import { checkFaults, parseFaultEntry, type FaultSpec } from '../faults/fault-spec.ts';
import type { WriteCheck } from '../model/index.ts';

export interface RunOptions {
  profile: string;
  driver: 'auto' | DriverName;
  cap?: string;
  swap?: string;
  cpus?: number;
  /** Without load: how long to watch. With load: the whole load's length (stages scaled to fit). */
  durationS?: number;
  outDir: string;
  /** A scenario name or path; undefined = the profile's default; null = no load, just watch. */
  scenario?: string | null;
  model: LoadModel;
  sampleIntervalMs: number;
  /** `--set SERVICE.PATH=VALUE` overrides of the profile for this run. */
  overrides?: string[];
  /** `--data SIZE` or `none`: the database size to seed to (default: the profile's x-simulate.dataset). */
  data?: string;
  /** `simulate up`: leave the stack running. */
  detach?: boolean;
  csvFile?: string;
  /** `--fault` specs (seconds after the load starts); the scenario's own `faults:` are added to them. */
  faults?: FaultSpec[];
  reporter: Reporter;
  signal: AbortSignal;
  /** Instead of a scenario: a workflow that runs its own loads while the stack is up (see RunSpec.session). */
  session?: (s: RunSession) => Promise<void>;
  /** With --docker-host: where the load comes from (here, through ssh; or remote: our engine in a container there). */
  loadFrom?: 'here' | 'remote';
}

/** What a whole-run workflow may do with a Run's stack while it is up. */
export interface RunSession {
  runId: string;
  runDir: string;
  stack: Stack;
  signal: AbortSignal;
  /**
   * Run one scenario against the stack (figures, rows and events as any run's); `attach` sees the load run
   * first. A first stage `until: steady` runs as a load of its own (stopped at steady state) and `attach`
   * sees the rest: `loadStartT` is when that rest began, `startT` when the whole began (run seconds).
   */
  load(scenario: Scenario, attach?: (run: LoadHandle) => void): Promise<{ load: LoadResult; loadStartT: number; startT: number; steadyAtT?: number }>;
  /** Highest working set of the stack read in run seconds [fromT, toT]; undefined when none was read. */
  peakWorkingSet(fromT: number, toT: number): number | undefined;
  /** OOM kills in run seconds [fromT, toT]: the victim service of each. */
  oomKills(fromT: number, toT: number): string[];
  /** The app's cache counters now (undefined without an app or an answer). */
  cacheCounters(): Promise<{ hits: number; misses: number } | undefined>;
}

/** What one run is: its ids and folders, the validated stack and scenario, how to load and report. */
export interface RunSpec {
  runId: string;
  /** results/<run-id>. */
  runDir: string;
  /** Per-run scratch (data dirs, sockets, owner.json); removed at the end. */
  workDir: string;
  stack: Stack;
  /** undefined: no load, watch for `watchS` seconds. */
  scenario?: Scenario;
  model: LoadModel;
  sampleIntervalMs: number;
  /** Without load: how long to watch (default 60 s). */
  watchS?: number;
  /** `simulate up`: leave the stack running. */
  detach?: boolean;
  csvFile?: string;
  reporter: Reporter;
  signal: AbortSignal;
  /** Load a host other than loopback (only `--target --allow-remote`). */
  allowRemote?: boolean;
  /** The table to judge by (default: every target in src/verdict/targets.ts); capacity and faults add entries. */
  targets?: readonly TargetDef[];
  /** Extra fields for run.json and report.json (a capacity step, a fault spec, `--target`'s URL). */
  meta?: Record<string, unknown>;
  /** Faults injected while the load runs (src/faults), already checked against the stack. */
  faults?: FaultSpec[];
  /**
   * Instead of one scenario: once the stack is up, hand it to this workflow (`simulate capacity` runs its
   * load steps through it), then verdict and teardown as usual. The verdict judges the last load it ran.
   */
  session?: (s: RunSession) => Promise<void>;
}

/** The cgroups a run makes: the real hierarchy, or a fake root in a unit test. */
export interface RunCgroups {
  version: 1 | 2;
  /** Make `relPath` (and its parents). */
  create(relPath: string): Promise<MemoryCgroup>;
  /** Remove `relPath` in every hierarchy, then the shared parent where nothing else is left in it. */
  remove(relPath: string): Promise<void>;
}

/** The machine's parts a Run uses, passed in. */
export interface RunDeps {
  /** None for `--target`: no stack of ours, no cgroup, no monitor. */
  cgroups?: RunCgroups;
  /** None for `--target`. */
  driver?: Driver;
  /** Default: the cgroup-file Monitor. */
  monitor?: (opts: MonitorOptions) => RunMonitor;
  /** Default: fail when a port the stack needs is taken. */
  checkPorts?: (stack: Stack) => Promise<void>;
  /**
   * The stack as this process reaches it, when that differs from where it runs (a remote engine: its
   * ports are listeners on this machine's 127.0.0.1 carried over ssh). Default: the stack itself.
   */
  here?: Stack;
  /** Released after the teardown (a remote engine's forwards). */
  dispose?: () => Promise<void>;
  /**
   * A load engine that runs where the stack runs (`--load-from remote`): it loads the stack's own
   * addresses (its loopback there), not `here`'s. `prepare` runs once the stack is up, before any load.
   */
  load?: { start: LoadStarter; prepare?: (runId: string) => Promise<void> };
  /** The PSI of the machine the stack runs on, when that is not this one (a remote engine's server). */
  psi?: () => Psi | undefined;
}

export type RunMonitor = Pick<Monitor, 'start' | 'stop' | 'sample'>;

/** The system's cgroup hierarchy (detected), or any other root given as a layout. */
export function systemCgroups(layout: CgroupLayout): RunCgroups {
  return {
    version: layout.version,
    create: (relPath) => createCgroup(relPath, { layout }),
    remove: async (relPath) => {
      await removeEverywhere(relPath, { layout });
      await removeIfEmpty(RUNS_PARENT, { layout });
    },
  };
}

export interface RunResult {
  state: RunState;
  runDir: string;
  exitCode: number;
  appUrl: string;
  stack: Stack;
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${crypto.randomBytes(2).toString('hex')}`;
}

/**
 * The stages a fault's time counts in: after a warm-up that runs `until: steady` (faults start on the judged
 * load's clock, see runPart), else the whole load. `--duration` scales these same stages.
 */
function timedStages(scenario: Scenario): Scenario['stages'] {
  return scenario.stages[0]?.until ? scenario.stages.slice(1) : scenario.stages;
}

export async function runSimulation(opts: RunOptions): Promise<RunResult> {
  const runId = newRunId();
  const workDir = workDirOf(runId);
  // Input first: a bad profile or scenario fails before anything is created (exit 2, nothing to clean).
  const stack = loadProfile(opts.profile, { workDir, cap: opts.cap, swap: opts.swap, cpus: opts.cpus, overrides: opts.overrides, data: opts.data });
  if (stack.datasetBytes) datasetSpec(stack, stack.datasetBytes); // a profile that cannot have a dataset fails here, exit 2
  let scenario: Scenario | undefined;
  const faults = [...(opts.faults ?? [])];
  if (opts.scenario !== null && !opts.detach) {
    scenario = await loadScenario(opts.scenario ?? stack.scenario);
    // The scenario's faults keep their place in its stages when --duration scales them.
    const planned = timedStages(scenario).reduce((a, st) => a + st.duration, 0);
    const f = opts.durationS !== undefined ? opts.durationS / planned : 1;
    for (const entry of scenario.faults) {
      const spec = parseFaultEntry(entry);
      faults.push(f === 1 ? spec : { ...spec, atS: Math.round(spec.atS * f), durationS: spec.durationS && Math.max(1, Math.round(spec.durationS * f)) });
    }
    if (opts.durationS !== undefined) scenario = scaleScenario(scenario, opts.durationS);
  }
  if (faults.length) {
    if (opts.detach) throw new InputError('--fault does not go with `simulate up`', 'run `simulate --profile … --fault …` instead');
    checkFaults(faults, {
      services: stack.services.map((s) => ({ name: s.name, runnable: Boolean(s.launch), ports: s.ports.map((p) => p.host) })),
      loadS: scenario ? timedStages(scenario).reduce((a, st) => a + st.duration, 0) : (opts.durationS ?? 60),
    });
  }
  ensureWorkBase();
  // --docker-host ssh://…: the stack runs on that server; its cgroups, ports and memory are its own.
  const remote = await remoteRun(stack, { capGiven: opts.cap !== undefined, loadFrom: opts.loadFrom ?? 'here', faults: faults.length });
  if (remote) {
    await reap({ docker: dockerReaper('docker') });
    // A dropped ssh connection ends the run (as an interruption, its reason on the timeline); what it
    // left there is reaped on the next connection (the reaper above, or `simulate down --docker-host`).
    const stop = new AbortController();
    const forward = (): void => stop.abort();
    if (opts.signal.aborted) stop.abort();
    else opts.signal.addEventListener('abort', forward, { once: true });
    const spec = { ...runSpec(opts, { runId, workDir, stack, scenario, faults }), signal: stop.signal };
    spec.meta = { ...spec.meta, ...remote.meta };
    const run = new Run(spec, { cgroups: remote.cgroups, driver: remote.driver, here: remote.here, checkPorts: async () => undefined, dispose: remote.dispose, load: remote.load, psi: remote.psi });
    let dropped: string | undefined;
    remote.onDrop((reason) => {
      if (dropped || stop.signal.aborted) return;
      dropped = reason;
      // On the timeline while the run still writes it (a drop heard after a failed step comes too late for it).
      if (run.state.phase !== 'done' && run.state.phase !== 'stopping') run.emit({ kind: 'info', detail: `${reason}: the run ends; what it left there goes at the next connection` });
      stop.abort();
    });
    // Not the user's Ctrl-C: the environment ended the run (exit 3), its files written so far are kept. A step
    // that was talking to the server when the link went (a readiness probe, a removal) may fail first: the
    // drop is the reason, not that step.
    const droppedError = () => {
      const url = String((remote.meta.dockerHost as { url?: string } | undefined)?.url ?? 'the server');
      return new EnvironmentError(`${dropped}: the run ended at second ${run.state.elapsedS} (its files so far are in ${run.runDir})`, `run \`simulate down --docker-host ${url}\` to remove what it left there (the next run there does it too)`);
    };
    // As a Run does with its own listener: the caller's signal may outlive this run.
    let result: RunResult;
    try {
      result = await run.execute();
    } catch (err) {
      // The link's close may be heard a moment after the step that failed on it.
      if (!dropped) await new Promise((r) => setTimeout(r, 500));
      if (dropped && !opts.signal.aborted) throw droppedError();
      throw err;
    } finally {
      opts.signal.removeEventListener('abort', forward);
    }
    if (dropped && !opts.signal.aborted) throw droppedError();
    return result;
  }
  const cg = await detectCgroups();
  if (!cg.canWrite) throw new EnvironmentError(cg.reason ?? 'cannot create cgroups', 'run as root, or in a delegated cgroup (systemd-run --user --scope -p Delegate=yes)');
  const driver = await chooseDriver(opts.driver, stack);

  // What a killed earlier run left behind goes first.
  await reap({ docker: dockerReaper(driver.name) });

  return new Run(runSpec(opts, { runId, workDir, stack, scenario, faults }), { cgroups: systemCgroups(cg), driver }).execute();
}

function runSpec(opts: RunOptions, parts: Pick<RunSpec, 'runId' | 'workDir' | 'stack' | 'scenario' | 'faults'>): RunSpec {
  return {
    ...parts,
    runDir: path.resolve(opts.outDir, parts.runId),
    model: opts.model,
    sampleIntervalMs: opts.sampleIntervalMs,
    watchS: opts.durationS,
    detach: opts.detach,
    csvFile: opts.csvFile,
    reporter: opts.reporter,
    signal: opts.signal,
    session: opts.session,
  };
}

export class Run {
  readonly state: RunState;
  private readonly outputs: RunOutputs;
  private parent?: MemoryCgroup;
  private monitor?: RunMonitor;
  private exporter?: http.Server;
  /** `held`: usage less all file cache (cgroups heldMemory), what the growth trend projects to the cap. */
  private memorySeries: Array<MemoryReading & { held: number }> = [];
  private lastSample?: Sample;
  private loadWindows: SecondWindow[] = [];
  private loadStartT = 0;
  private loadRunning = false;
  private swapSeen = false;
  /** Swap grew since the last reading: this second was spent swapping out. */
  private swapping = false;
  private prevSwap = 0;
  private alerts: { firing: AlertSpan[]; pending: AlertSpan[] } = { firing: [], pending: [] };
  /** The profile's Prometheus alerts, read every 5 s while the run goes. */
  private alertWatcher?: AlertWatcher;
  /** Redis and PostgreSQL read once a second (timeseries.csv's cache columns), and those readings. */
  private stats?: ServiceStatsPoller;
  private cacheSeries: Array<{ t: number; row: ServiceStatsRow }> = [];
  /** Each service's working set, one reading a second (for the trend fit). */
  private serviceSeries = new Map<string, TrendPoint[]>();
  /** Run second at which the first judged stage began. */
  private judgedStartT?: number;
  private readonly steady = new SteadyStateDetector();
  private steadyPlan?: { untilSteady: boolean; maxS?: number };
  private warmUpEndT?: number;
  private judgedBeforeSteady: string[] = [];
  /** The app's cache counters when the first judged stage began. */
  private cacheAtJudgedStart?: Promise<AppCounters | undefined>;
  /** Queries per request, query time, connections: what the app did over the judged stages. */
  private app?: AppFigures;
  /** Every event of the run (state.events keeps only the latest, for the screen). */
  private eventLog: RunEvent[] = [];
  /** Targets already reported as missed (once each). */
  private missed = new Set<string>();
  private readonly internal = new AbortController();
  /** A results file could not be written (disk full): the run stops and ends with this error. */
  private outputFailure?: EnvironmentError;
  /** Faults: the proxies and small disks the stack was started with, the runner during the load, what each did. */
  private proxies?: FaultProxies;
  private disks?: SmallDisks;
  private faultRunner?: FaultRunner;
  private faultWindows: FaultWindow[] = [];
  /** Writes the app acknowledged (requests with `ack`), and what the database said about them after the load. */
  private acks?: AckLog;
  private writes?: WriteCheck;
  /** The app's database, straight (not through a fault proxy): where acknowledged writes are looked up. */
  private databaseUrl?: string;
  private host?: HostFacts;
  /** The postgres volume dir the dataset was copied into: the driver starts from it. */
  private filledVolumes: string[] = [];
  /** The kept dataset this run started from, with how long it took to build (if built now) and to copy. */
  private dataset?: DatasetRecord & { built: boolean; copySeconds: number; residentAfterCopy: number };
  readonly runId: string;
  readonly runDir: string;
  readonly workDir: string;
  readonly stack: Stack;
  /** Where this process talks to the stack's ports (see RunDeps.here). */
  private readonly here: Stack;

  constructor(
    readonly spec: RunSpec,
    readonly deps: RunDeps = {},
  ) {
    ({ runId: this.runId, runDir: this.runDir, workDir: this.workDir, stack: this.stack } = spec);
    this.here = deps.here ?? spec.stack;
    this.state = initialState({ runId: spec.runId, stack: spec.stack, driver: deps.driver?.name ?? 'process', cgroupVersion: deps.cgroups?.version ?? 1, startedAt: Date.now() });
    this.outputs = new RunOutputs(spec.runDir, spec.stack, (err, file) => this.onOutputError(err, file));
    this.databaseUrl = this.here.services.find((s) => s.name === spec.stack.appService)?.environment.DATABASE_URL;
    if (spec.scenario?.requests.some((r) => r.ack) && spec.model === 'open') this.acks = new AckLog();
    // A Ctrl-C that came while the profile was loading or the reaper ran counts too.
    if (spec.signal.aborted) this.internal.abort();
    else spec.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** The caller's signal may outlive this Run (a capacity review's many Runs share one): removed when the Run ends. */
  private readonly onAbort = (): void => this.internal.abort();

  private t(at = Date.now()): number {
    return Math.max(0, Math.floor((at - this.state.startedAt) / 1000));
  }

  emit = (e: Omit<RunEvent, 'at' | 't'> & { at?: number }): void => {
    const at = e.at ?? Date.now();
    const event: RunEvent = { ...e, at, t: this.t(at) };
    this.eventLog.push(event);
    applyEvent(this.state, event);
    this.outputs.event(event, this.state);
    this.spec.reporter.onEvent?.(event, this.state);
    if (event.kind === 'oom-kill') this.noteMissed({ oomKills: this.eventLog.filter((x) => x.kind === 'oom-kill').length }, '');
  };

  private writeRunJson(extra: Record<string, unknown> = {}): void {
    this.outputs.writeJson(
      'run.json',
      runJson(this.state, this.stack, {
        scenario: this.spec.scenario?.name ?? null,
        loadModel: this.spec.scenario ? this.spec.model : null,
        cgroup: this.parent?.path,
        appUrl: this.stack.appUrl,
        host: this.host,
        dataset: this.dataset ?? null,
        ...this.spec.meta,
        ...extra,
      }),
    );
  }

  async execute(): Promise<RunResult> {
    try {
      return await this.executeRun();
    } finally {
      this.spec.signal.removeEventListener('abort', this.onAbort);
    }
  }

  private async executeRun(): Promise<RunResult> {
    const { spec, stack, deps } = this;
    let failure: unknown;
    let load: LoadResult | undefined;
    let cacheRate: number | null | undefined;
    try {
      spec.reporter.onStart?.(this.state);
      this.host = await hostFacts(this.runDir).catch((err: unknown) => {
        debug('run', `no host facts: ${String(err)}`);
        return undefined;
      });
      if (deps.cgroups) {
        // Before anything starts: a taken port is one clear line, not a half-started stack.
        await (deps.checkPorts ?? ((s) => checkPortsFree(s, { includeMetricsPort: true })))(stack);
        this.parent = await deps.cgroups.create(`${RUNS_PARENT}/${this.runId}`);
        await this.parent.setMemoryLimit(stack.capBytes, stack.swapBytes);
        if (stack.cpus > 0) await this.parent.setCpuLimit(stack.cpus);
        writeOwner(this.owner(), this.workDir);
        this.emit({ kind: 'run-start', detail: `profile ${stack.name}, driver ${this.deps.driver?.name ?? 'none'}, cap ${(stack.capBytes / 1024 ** 3).toFixed(2)} GiB in ${this.parent.path}` });
        // The dataset: built (once) and copied by this process, outside the stack's cgroup: set-up, not the stack's memory.
        // Either driver starts PostgreSQL from the same cold copy (docker bind-mounts the filled volume dir).
        if (stack.datasetBytes) await this.prepareDataset(stack.datasetBytes);
      } else {
        this.emit({ kind: 'run-start', detail: `${stack.name}: load only, no stack of ours` });
      }
      this.writeRunJson();

      if (this.parent) {
        if (this.here.metricsPort) this.exporter = await startMetricsExporter(this.here.metricsPort, () => this.state);
        this.startMonitor();
      }
      if (deps.driver && this.parent && spec.faults?.length) {
        this.proxies = await prepareProxies(stack, spec.faults, this.emit);
        this.disks = await prepareSmallDisks(stack, spec.faults, this.workDir);
        for (const d of this.disks.byService.values()) this.emit({ kind: 'info', service: d.service, detail: `data volume on a small filesystem of its own for disk-full: ${d.mountPoint} (loop-mounted ext4 ${d.image})` });
      }
      if (deps.driver && this.parent) {
        const handles = await deps.driver.up(stack, {
          runId: this.runId,
          runDir: this.runDir,
          workDir: this.workDir,
          parent: this.parent,
          emit: this.emit,
          signal: this.internal.signal,
          sampleNow: () => void this.sampleNow(),
          filledVolumes: this.filledVolumes,
        });
        for (const h of handles) {
          const s = this.state.services.find((x) => x.name === h.name);
          if (s) Object.assign(s, { version: h.version, containerId: h.containerId, ...(h.image && h.image !== h.spec.image ? { image: h.image } : {}) });
        }
      }
      this.throwIfAborted();
      if (deps.load?.prepare && (spec.scenario || spec.session)) await deps.load.prepare(this.runId);
      this.throwIfAborted();
      this.state.phase = 'running';
      if (this.parent) {
        const targets = serviceStatsTargets(this.here);
        if (targets.redis || targets.pgUrl) this.stats = new ServiceStatsPoller(targets);
        const prom = prometheusUrl(this.here);
        if (prom && !spec.detach) {
          this.alertWatcher = new AlertWatcher(prom, new AlertTracker((ms) => this.t(ms), this.emit));
          this.alertWatcher.start();
        }
      }
      this.writeRunJson();

      if (spec.detach) return this.finish(undefined, undefined, undefined);

      if (spec.session) {
        let last: LoadResult | undefined;
        await spec.session(this.session((l) => (last = l)));
        load = last;
      } else if (spec.scenario) {
        // Ids drawn over the whole dataset the run started from (its row counts), not the scenario's defaults.
        load = await this.runLoad(this.dataset ? fitToDataset(spec.scenario, this.dataset.rows) : spec.scenario);
        if (stack.appService) {
          // Over the judged stages only: the counters were read when the first of them began.
          const before = await this.cacheAtJudgedStart;
          const after = await readCacheCounters(this.here.appUrl);
          cacheRate = cacheHitRate(before, after);
          this.app = appFigures(before, after);
        }
        if (this.acks) this.writes = await checkAcknowledged(this.acks, this.databaseUrl, { signal: this.internal.signal });
      } else {
        this.startFaults(Date.now());
        await this.watch(spec.watchS ?? 60);
        await this.endFaults();
      }
      this.throwIfAborted();
      if (this.alertWatcher) {
        await this.alertWatcher.stop();
        this.alerts = this.alertWatcher.tracker.report();
        this.alertWatcher = undefined;
      }
    } catch (err) {
      failure = err;
    }
    if (this.outputFailure) {
      // The results disk is full: stop everything and say so; the rows written so far are whole.
      await this.teardown();
      this.outputs.close();
      throw this.outputFailure;
    }
    const interrupted = this.internal.signal.aborted || failure instanceof InterruptedError;
    if (failure && !interrupted) {
      await this.teardown();
      throw failure;
    }
    return this.finish(load, cacheRate, interrupted);
  }

  /**
   * The kept dataset of this profile and size (built first if missing, its progress on the screen), copied
   * into the run's postgres volume and dropped from the page cache, so the stack starts cold.
   */
  private async prepareDataset(bytes: number): Promise<void> {
    let shownAt = 0;
    // The build's processes join a child of the run's cgroup: a run killed mid-build is reaped with them.
    const buildCgroup = await this.parent!.child('dataset-build');
    const ensured = await ensureDataset(this.stack, bytes, {
      signal: this.internal.signal,
      logDir: path.join(this.runDir, 'logs'),
      procsFiles: buildCgroup.procsFiles(),
      onProgress: (p) => {
        // A line every 5 s (and the last): the first run on a new machine waits for this.
        if (p.phase === 'rows' && Date.now() - shownAt < 5000) return;
        shownAt = Date.now();
        this.emit({ kind: 'info', service: this.stack.services.find((x) => x.image?.startsWith('postgres'))?.name, detail: formatSeedProgress(p) });
      },
    }).finally(() => buildCgroup.destroy().catch((err: unknown) => debug('run', `dataset-build cgroup: ${String(err)}`)));
    const { spec, record, built } = ensured;
    this.throwIfAborted();
    const target = postgresVolumeDir(postgresService(this.stack)!);
    const copy = await copyCold(path.join(spec.dir, 'volume'), target);
    this.filledVolumes = [target];
    this.dataset = { ...record, built, copySeconds: copy.copySeconds, residentAfterCopy: copy.residentAfter };
    const gb = (b: number) => (b / 1024 ** 3).toFixed(2);
    this.emit({
      kind: 'info',
      service: spec.postgres.name,
      detail: `dataset ${spec.key}: ${gb(record.databaseBytes)} GB database (${formatCount(record.rows.messages)} messages, ${formatCount(record.rows.documents)} documents)${built ? `, seeded in ${record.seedSeconds.toFixed(0)} s` : ''}, copied in ${copy.copySeconds.toFixed(1)} s, ${(copy.residentAfter * 100).toFixed(1)} % of it left in the page cache`,
    });
  }

  /**
   * The caches over the judged stages (the whole run when nothing was judged): Redis against its maxmemory
   * and what it evicted, PostgreSQL's shared buffers in use and its buffer hit ratio.
   */
  private cacheSummary() {
    const from = this.judgedStartT ?? 0;
    const rows = this.cacheSeries.filter((r) => r.t >= from).map((r) => r.row);
    const max = (f: (r: ServiceStatsRow) => number | undefined) => rows.reduce<number | undefined>((m, r) => (f(r) === undefined ? m : Math.max(m ?? -Infinity, f(r)!)), undefined);
    const sum = (f: (r: ServiceStatsRow) => number | undefined) => rows.reduce((a, r) => a + (f(r) ?? 0), 0);
    const mean = (f: (r: ServiceStatsRow) => number | undefined) => {
      const v = rows.map(f).filter((x): x is number => x !== undefined);
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined;
    };
    const redis = this.stats?.last?.redis
      ? {
          maxmemoryBytes: this.stats.last.redis.maxmemory,
          peakUsedMemoryBytes: max((r) => r.redisUsedMemory) ?? null,
          evictedKeys: Math.round(sum((r) => r.redisEvictedPerS)),
          expiredKeys: Math.round(sum((r) => r.redisExpiredPerS)),
          evictedKeysWholeRun: this.stats.last.redis.evictedKeys,
          keysAtEnd: this.stats.last.redis.keys,
        }
      : undefined;
    const postgres = this.stats?.last?.pg
      ? {
          databaseBytes: this.stats.last.pg.databaseBytes,
          sharedBuffersUsedPeakPct: max((r) => r.pgSharedBuffersUsedPct) ?? null,
          bufferHitRatio: mean((r) => r.pgBufferHitRatio) ?? null,
          connectionsPeak: max((r) => r.pgConnections) ?? null,
        }
      : undefined;
    return { over: this.judgedStartT === undefined ? 'whole run' : `judged stages (from second ${from})`, redis, postgres };
  }

  private owner(): OwnerRecord {
    return {
      runId: this.runId,
      pid: process.pid,
      dockerHost: (this.spec.meta?.dockerHost as { url?: string } | undefined)?.url,
      pidStart: processStart(process.pid) ?? '',
      detached: Boolean(this.spec.detach),
      driver: this.deps.driver?.name ?? 'process',
      cgroup: this.parent!.path,
      profile: this.stack.name,
      startedAt: new Date(this.state.startedAt).toISOString(),
      runDir: this.runDir,
      appUrl: this.stack.appUrl,
      services: this.stack.services.filter((s) => s.launch).map((s) => ({ name: s.name, stopSignal: s.launch?.stopSignal })),
    };
  }

  private throwIfAborted(): void {
    if (this.internal.signal.aborted) throw new InterruptedError();
  }

  private startMonitor(): void {
    const opts: MonitorOptions = {
      parent: this.parent!,
      handles: () => this.deps.driver?.handles() ?? [],
      emit: this.emit,
      intervalMs: this.spec.sampleIntervalMs,
      // A remote stack's PSI is the server's, which this machine's /proc does not show.
      psiFile: this.deps.here ? null : this.state.cgroupVersion === 2 ? path.join(this.parent!.dir, 'memory.pressure') : undefined,
      psiSource: this.deps.psi,
      onSample: (s) => this.onSample(s),
    };
    this.monitor = this.deps.monitor ? this.deps.monitor(opts) : new Monitor(opts);
    this.monitor.start();
  }

  private async sampleNow(): Promise<void> {
    try {
      if (this.monitor) this.onSample(await this.monitor.sample(), false);
    } catch (err) {
      // The cgroup went away under the read: teardown has begun.
      debug('run', `extra reading failed: ${String(err)}`);
    }
  }

  private onSample(s: Sample, writeRow = true): void {
    if (this.state.phase === 'stopping' || this.state.phase === 'done') return; // a read that finished during teardown
    this.lastSample = s;
    applyMemory(this.state, s.stack, s.services, psiOf(s));
    const t = this.t(s.at);
    this.state.elapsedS = t;
    this.memorySeries.push({ t, workingSet: s.stack.workingSet, held: heldMemory(s.stack) });
    if (writeRow) {
      for (const [name, m] of s.services) {
        const series = this.serviceSeries.get(name) ?? [];
        series.push({ t, v: m.workingSet, held: heldMemory(m) });
        this.serviceSeries.set(name, series);
      }
      if (this.stats) {
        void this.stats.poll().then((row) => {
          this.cacheSeries.push({ t, row });
        }, () => undefined);
      }
    }
    this.noteMissed({ memory: { capBytes: this.stack.capBytes, peakWorkingSet: s.stack.workingSet } }, `at ${t} s`);
    if (s.stack.swap >= SWAP_NOTICED_BYTES && !this.swapSeen) {
      this.swapSeen = true;
      this.emit({ kind: 'swap-start', detail: `the stack started swapping (${(s.stack.swap / 1024 / 1024).toFixed(1)} MB in swap)` });
    }
    this.swapping = s.stack.swap > this.prevSwap;
    this.prevSwap = s.stack.swap;
    // While load runs, a row is written per load second (with the latest memory); otherwise one per sample.
    if (!writeRow) return; // an extra reading (an exit, the last one): no row, no status line
    if (!this.loadRunning) this.writeRow(s.at, undefined);
    this.spec.reporter.onTick?.(this.state);
  }

  private writeRow(at: number, window: SecondWindow | undefined): void {
    const s = this.lastSample;
    this.outputs.row({
      at,
      t: this.t(at),
      window,
      stack: s?.stack,
      services: s?.services ?? new Map<string, MemoryStats>(),
      capBytes: this.stack.capBytes,
      swapping: this.swapping,
      psi: s && psiOf(s),
      caches: this.stats?.latest,
    });
  }

  private async watch(seconds: number): Promise<void> {
    const end = Date.now() + seconds * 1000;
    this.state.timeLeftS = seconds;
    while (Date.now() < end && !this.internal.signal.aborted) {
      await new Promise((r) => setTimeout(r, Math.min(250, end - Date.now())));
      this.state.timeLeftS = Math.max(0, Math.ceil((end - Date.now()) / 1000));
    }
  }

  /**
   * The scenario's load. A first stage `until: steady` runs on its own until the stack is at steady state
   * (or its bound), then the rest starts at once; the verdict sees only the rest.
   */
  private session(onLoad: (l: LoadResult) => void): RunSession {
    const inRange = (t: number, fromT: number, toT: number) => t >= fromT && t <= toT;
    return {
      runId: this.runId,
      runDir: this.runDir,
      stack: this.stack,
      signal: this.internal.signal,
      load: async (scenario, attach) => {
        this.throwIfAborted();
        const startT = this.t();
        // Ids drawn over the whole dataset the run started from, as a scenario run's are.
        const load = await this.runLoad(this.dataset ? fitToDataset(scenario, this.dataset.rows) : scenario, attach);
        onLoad(load);
        return { load, loadStartT: this.loadStartT, startT, steadyAtT: this.steady.reachedAtS };
      },
      peakWorkingSet: (fromT, toT) => {
        let peak: number | undefined;
        for (const m of this.memorySeries) if (inRange(m.t, fromT, toT)) peak = Math.max(peak ?? 0, m.workingSet);
        return peak;
      },
      oomKills: (fromT, toT) => this.eventLog.filter((e) => e.kind === 'oom-kill' && inRange(e.t, fromT, toT)).map((e) => e.service ?? '?'),
      cacheCounters: () => (this.stack.appService ? readCacheCounters(this.here.appUrl) : Promise.resolve(undefined)),
    };
  }

  private async runLoad(scenario: Scenario, attach?: (run: LoadHandle) => void): Promise<LoadResult> {
    const first = scenario.stages[0];
    if (first?.until === 'steady' && scenario.stages.length > 1) {
      // Steady state in this warm-up's own readings (a no-op for a run's first load: nothing seen yet).
      this.steady.restart();
      this.steadyPlan = { untilSteady: true, maxS: first.duration };
      const warm = await this.runPart({ ...scenario, stages: [first] }, { offset: 0, count: scenario.stages.length, untilSteady: true });
      this.warmUpEndT = this.t();
      if (this.steady.reachedAtS === undefined && !this.internal.signal.aborted) {
        this.emit({ kind: 'info', detail: `warm-up ended at its ${first.duration} s bound without steady state (${this.steady.check().reason}): the judged stages begin before steady state` });
      }
      void warm;
      return this.runPart({ ...scenario, stages: scenario.stages.slice(1) }, { offset: 1, count: scenario.stages.length, untilSteady: false }, attach);
    }
    this.steadyPlan = { untilSteady: false, maxS: undefined };
    return this.runPart(scenario, { offset: 0, count: scenario.stages.length, untilSteady: false }, attach);
  }

  private async runPart(scenario: Scenario, part: { offset: number; count: number; untilSteady: boolean }, attach?: (run: LoadHandle) => void): Promise<LoadResult> {
    const total = scenario.stages.reduce((a, s) => a + s.duration, 0);
    const summaryFile = path.join(this.runDir, 'summary.csv');
    let loadStart = Date.now();
    this.loadStartT = this.t(loadStart);
    this.loadRunning = true;
    // A load engine where the stack runs loads the stack's own address there; this process's loads it as reached from here.
    const start: LoadStarter = this.deps.load?.start ?? startLoad;
    const run = start(scenario, { baseUrl: this.deps.load ? this.stack.appUrl : this.here.appUrl, model: this.spec.model, signal: this.internal.signal, allowRemote: this.spec.allowRemote, onAck: this.acks?.record });
    // A remote engine begins once its container runs: its seconds count from then.
    void run.begun?.then((at) => {
      loadStart = at;
      this.loadStartT = this.t(at);
    });
    attach?.(run);
    // Faults are timed from the start of the load that is judged: after an `until: steady` warm-up.
    if (!part.untilSteady) this.startFaults(loadStart);
    if (!part.untilSteady && !this.acks && scenario.requests.some((r) => r.ack)) {
      this.emit({ kind: 'info', detail: 'acknowledged writes are not checked with --model closed (autocannon keeps no answers): no lost-write row' });
    }
    run.on('stage', (st) => {
      if (!st.excluded && !this.cacheAtJudgedStart && this.stack.appService) this.cacheAtJudgedStart = readCacheCounters(this.here.appUrl);
      if (!st.excluded) this.judgedStartT ??= this.t();
      const index = st.index + part.offset;
      this.state.stage = { name: st.name, index, count: part.count, startedAtS: this.t(), durationS: st.durationS, excluded: st.excluded };
      const bound = part.untilSteady ? ` until steady state, at most ${st.durationS} s` : `: ${st.durationS} s`;
      this.emit({ kind: 'stage-start', detail: `stage ${index + 1}/${part.count} ${st.name}${bound}${st.excluded ? ' (excluded from the verdict)' : ''}` });
      if (!st.excluded && this.steady.reachedAtS === undefined) {
        this.judgedBeforeSteady.push(st.name);
        this.emit({ kind: 'info', detail: `judged stage ${st.name} begins before steady state (${this.steady.check().reason}): its figures include the caches filling` });
      }
    });
    run.on('second', (w) => {
      this.loadWindows.push(w);
      // The first second after an `until: steady` warm-up has no requests carried in from before (that load
      // was stopped): its completions start from zero, which is the hand-over, not the stack.
      if (!w.excluded && !(part.offset > 0 && w.t === 0)) this.noteMissed(secondSpan(w), `in second ${this.loadStartT + w.t} of the run`);
      applyLoadWindow(this.state, w, run.model);
      if (!this.parent) this.state.elapsedS = this.t();
      this.state.timeLeftS = Math.max(0, Math.ceil(total - (Date.now() - loadStart) / 1000));
      this.writeRow(Date.now(), w);
      // Without a monitor (--target) the load's second is the tick.
      if (!this.parent) this.spec.reporter.onTick?.(this.state);
      if (this.parent && this.feedSteady() && part.untilSteady) run.stop();
    });
    run.on('stage-end', (st: StageResult) => appendStageSummary(summaryFile, st, this.stageExtras(st)));
    try {
      return await run.done;
    } finally {
      this.loadRunning = false;
      if (!part.untilSteady) await this.endFaults();
    }
  }

  private startFaults(at: number): void {
    if (!this.spec.faults?.length || !this.parent || !this.deps.driver) return;
    this.faultRunner = new FaultRunner({ faults: this.spec.faults, driver: this.deps.driver, parent: this.parent, runDir: this.runDir, proxies: this.proxies!, disks: this.disks, emit: this.emit });
    this.faultRunner.start(at);
  }

  /** Undo what is still active (a paused service must not meet the teardown frozen). */
  private async endFaults(): Promise<void> {
    if (this.faultRunner) this.faultWindows = await this.faultRunner.finish();
  }

  /** This second's figures to the steady-state detector; true once steady (an event the first time). */
  private feedSteady(): boolean {
    const c = this.stats?.latest ?? {};
    const was = this.steady.reachedAtS;
    const v = this.steady.add({
      t: this.t(),
      workingSet: this.lastSample?.stack.workingSet ?? 0,
      hitRatio: c.redisHitRatio,
      redisUsed: c.redisUsedMemory,
      redisMax: c.redisMaxmemory,
      redisEvictedPerS: c.redisEvictedPerS,
      redisKeys: c.redisKeys,
    });
    if (v.steady && was === undefined) this.emit({ kind: 'info', detail: `steady state at second ${this.steady.reachedAtS} of the run: ${v.reason}` });
    return v.steady;
  }

  /** What report.json and run.json say about steady state. */
  private steadyReport() {
    return {
      warmUp: this.steadyPlan?.untilSteady ? `until steady, at most ${this.steadyPlan.maxS} s` : 'fixed stages',
      reached: this.steady.reachedAtS !== undefined,
      reachedAtS: this.steady.reachedAtS ?? null,
      warmUpEndedAtS: this.warmUpEndT ?? null,
      judgedFromS: this.judgedStartT ?? null,
      judgedStagesBeforeSteady: this.judgedBeforeSteady,
      stillMoving: this.steady.reachedAtS === undefined ? this.steady.check().reason : null,
    };
  }

  /**
   * The first moment each target broke, as an event while the run goes (the verdict at the end judges the
   * whole of the judged stages; this is the moment a reader of the timeline looks for). Once per target.
   */
  private noteMissed(span: Span, at: string): void {
    for (const c of checkMoment(span, this.stack.targets, this.spec.targets)) {
      if (c.pass || this.missed.has(c.def.name)) continue;
      this.missed.add(c.def.name);
      this.emit({ kind: 'target-missed', detail: missedText(c, span, at) });
    }
  }

  private stageExtras(st: StageResult) {
    return stageExtras(st, this.loadStartT, this.memorySeries, this.eventLog);
  }

  private async teardown(): Promise<void> {
    this.state.phase = 'stopping';
    await this.faultRunner?.finish().catch((err: unknown) => debug('run', `faults undo: ${String(err)}`));
    this.monitor?.stop();
    this.stats?.close();
    void this.alertWatcher?.stop();
    await this.deps.driver?.down().catch((err: unknown) => debug('run', `driver down: ${String(err)}`));
    this.exporter?.close();
    await this.proxies?.close();
    // The small filesystems go after the services that wrote on them, before the work dir they sit in.
    await this.disks?.release();
    if (this.parent) {
      // destroy() kills what is left and removes the cgroup; remove() then takes every hierarchy and the shared parent.
      await this.parent.destroy().catch((err: unknown) => debug('run', `cgroup destroy: ${String(err)}`));
      await this.deps.cgroups?.remove(this.parent.path).catch((err: unknown) => debug('run', `cgroup remove: ${String(err)}`));
    }
    await this.deps.dispose?.().catch((err: unknown) => debug('run', `dispose: ${String(err)}`));
    fs.rmSync(this.workDir, { recursive: true, force: true });
    try {
      if (fs.readdirSync(path.dirname(this.workDir)).length === 0) fs.rmdirSync(path.dirname(this.workDir));
    } catch {
      // Another run made a work dir beside ours in between: the shared parent stays.
    }
  }

  private async finish(load: LoadResult | undefined, cacheRate: number | null | undefined, interrupted: boolean | undefined): Promise<RunResult> {
    if (this.spec.detach) {
      this.deps.driver?.release?.();
      this.monitor?.stop();
      this.exporter?.close();
      await this.deps.dispose?.();
      this.state.phase = 'running';
      this.writeRunJson({ detached: true });
      this.outputs.close();
      return { state: this.state, runDir: this.runDir, exitCode: EXIT.ok, appUrl: this.stack.appUrl, stack: this.stack };
    }
    // A last reading before anything stops: the peak and the kill counters as the run left them.
    await this.sampleNow();
    await this.teardown();
    // Growth over the judged time: the working set's line, its slope and where it leads.
    const from = this.judgedStartT;
    const judged = <T extends { t: number }>(xs: T[]) => (from === undefined ? [] : xs.filter((x) => x.t >= from));
    const trend = this.parent
      ? trendReport(
          judged(this.memorySeries).map((m) => ({ t: m.t, v: m.workingSet, held: m.held })),
          Object.fromEntries([...this.serviceSeries].map(([name, xs]) => [name, judged(xs)])),
          { safetyLineBytes: this.stack.safetyLineBytes, capBytes: this.stack.capBytes },
        )
      : undefined;
    if (trend) this.emit({ kind: 'info', detail: trend.line });
    const horizon = this.stack.targets.growthHorizonS ?? 0;
    const growth = load && this.parent ? { judgedS: load.overall.durationS, ...(trend ? projectGrowth(trend, horizon) : {}) } : undefined;
    const verdict = computeVerdict({
      targets: this.stack.targets,
      capBytes: this.parent ? this.stack.capBytes : 0,
      load,
      loadStartT: this.loadStartT,
      memory: this.memorySeries,
      oomKills: killRecords(this.eventLog, this.loadWindows, this.loadStartT, this.memorySeries),
      cacheHitRate: load && this.stack.appService ? cacheRate ?? null : undefined,
      cacheNote: this.app?.cacheLookups === 0 ? 'no cache lookups in the judged stages (the cache is off?)' : undefined,
      standins: this.stack.services.filter((s) => s.kind === 'standin' && s.launch).map((s) => s.name),
      interrupted: Boolean(interrupted),
      defs: this.spec.targets,
      writes: this.writes,
      faults: this.faultWindows.length
        ? faultRecords({
            windows: this.faultWindows,
            seconds: load?.seconds ?? [],
            loadStartT: this.loadStartT,
            runStartedAt: this.state.startedAt,
            targets: this.stack.targets,
            memory: this.memorySeries,
            events: this.eventLog,
            lost: this.writes && this.writes.notChecked === undefined ? this.writes.lostWrites : null,
          })
        : undefined,
      extraSpan: growth ? { growth } : undefined,
    });
    this.state.verdict = verdict;
    this.state.phase = 'done';
    for (const s of this.state.services) if (s.status !== 'unavailable') s.status = 'stopped';
    this.emit({ kind: 'run-end', detail: interrupted ? 'interrupted' : verdict.pass ? 'targets met' : 'targets missed' });
    const exitCode = interrupted ? EXIT.interrupted : verdict.pass ? EXIT.ok : EXIT.targetsMissed;
    const caches = this.cacheSummary();
    const memory = { peakWorkingSetBytes: this.memorySeries.reduce((m, x) => Math.max(m, x.workingSet), 0), peakPageCacheBytes: this.state.stack.peakPageCache ?? 0 };
    const steadyState = this.spec.scenario && this.parent ? this.steadyReport() : null;
    this.outputs.writeJson('report.json', {
      runId: this.runId,
      ...this.spec.meta,
      exitCode,
      verdict,
      alertsFired: this.alerts.firing,
      alertsPending: this.alerts.pending,
      load: load ? loadSummary(load) : null,
      memory,
      caches,
      steadyState,
      trend: trend ?? null,
      app: this.app ?? null,
    });
    this.writeRunJson({ endedAt: new Date().toISOString(), exitCode, interrupted: Boolean(interrupted), steadyState, database: caches.postgres ? { sizeBytes: caches.postgres.databaseBytes } : null });
    // report.html from the files just written (every row is on disk: the CSVs are written synchronously).
    // A report that cannot be drawn is said, never a reason to lose the run's verdict or exit code.
    try {
      writeRunReport(this.runDir);
    } catch (err) {
      this.emit({ kind: 'info', detail: `report.html not written: ${(err as Error).message}` });
    }
    if (this.spec.csvFile && load) {
      fs.writeFileSync(this.spec.csvFile, formatSummaryCsv(load.stages.map((stage) => ({ stage, extras: this.stageExtras(stage) }))));
    }
    this.outputs.close();
    this.spec.reporter.onEnd?.(this.state);
    // The disk filled while the verdict was being written: the verdict is on the screen, not whole on disk.
    if (this.outputFailure) throw this.outputFailure;
    return { state: this.state, runDir: this.runDir, exitCode, appUrl: this.stack.appUrl, stack: this.stack };
  }

  private onOutputError(err: NodeJS.ErrnoException, file: string): void {
    if (this.outputFailure) return;
    const full = err.code === 'ENOSPC' || err.code === 'EDQUOT';
    this.outputFailure = new EnvironmentError(
      `${full ? 'the results disk is full' : `cannot write the results (${err.code ?? err.message})`}: ${path.relative(process.cwd(), file) || file} stopped at second ${this.state.elapsedS}; the rows written before are intact`,
      `free space on ${path.dirname(this.runDir)} or pass --out DIR on another disk`,
    );
    // Stop the load and the watch: the run ends through the normal teardown.
    this.internal.abort();
  }
}
