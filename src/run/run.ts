/**
 * One run: profile → stack up inside one capped cgroup → monitor + load → verdict → everything down.
 * The engine keeps RunState and tells reporters; files are written as things happen. Teardown runs on every
 * path out (normal end, error, Ctrl-C, SIGTERM).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import type { MemoryCgroup, MemoryStats } from '../cgroups/cgroup.ts';
import { createCgroup, detectCgroups, RUNS_PARENT, removeEverywhere, removeIfEmpty } from '../cgroups/index.ts';
import type { Driver, DriverName } from '../drivers/driver.ts';
import { checkPortsFree } from '../drivers/process/process-driver.ts';
import { EnvironmentError, InterruptedError } from '../errors.ts';
import { appendStageSummary, formatSummaryCsv, loadScenario, startLoad, type LoadResult, type Scenario, type SecondWindow, type StageResult } from '../load/index.ts';
import { readCacheCounters, startMetricsExporter } from '../monitor/metrics-exporter.ts';
import { hostFacts, type HostFacts } from '../monitor/host-facts.ts';
import { Monitor, type Sample } from '../monitor/monitor.ts';
import { loadProfile } from '../profile/load-profile.ts';
import type { Stack } from '../profile/stack.ts';
import { writeRunReport } from '../report/html/index.ts';
import type { Reporter } from '../model/index.ts';
import { secondSpan } from '../verdict/spans.ts';
import { checkMoment, missedText, type Span } from '../verdict/targets.ts';
import { computeVerdict } from '../verdict/verdict.ts';
import type { OomKillRecord, RunEvent, RunState } from '../model/index.ts';
import { fetchFiredAlerts, type FiredAlert } from './prometheus-alerts.ts';
import { RunOutputs, runJson } from './run-outputs.ts';
import { processStart, reap, workDirOf, writeOwner, type OwnerRecord } from './run-registry.ts';
import { applyEvent, applyLoadWindow, applyMemory, initialState } from './run-state.ts';
import { scaleScenario } from './scale-scenario.ts';
import { chooseDriver, dockerReaper } from './choose-driver.ts';
import { ensureDataset } from '../dataset/build-dataset.ts';
import { copyCold } from '../dataset/cold-copy.ts';
import { datasetSpec, postgresService, postgresVolumeDir, type DatasetRecord } from '../dataset/dataset-spec.ts';
import { formatSeedProgress } from '../dataset/seed-progress.ts';

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
  model: 'open' | 'closed';
  sampleIntervalMs: number;
  /** `--set SERVICE.PATH=VALUE` overrides of the profile for this run. */
  overrides?: string[];
  /** `--data SIZE` or `none`: the database size to seed to (default: the profile's x-simulate.dataset). */
  data?: string;
  /** `simulate up`: leave the stack running. */
  detach?: boolean;
  csvFile?: string;
  reporter: Reporter;
  signal: AbortSignal;
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

export async function runSimulation(opts: RunOptions): Promise<RunResult> {
  const runId = newRunId();
  const workDir = workDirOf(runId);
  // Input first: a bad profile or scenario fails before anything is created (exit 2, nothing to clean).
  const stack = loadProfile(opts.profile, { workDir, cap: opts.cap, swap: opts.swap, cpus: opts.cpus, overrides: opts.overrides, data: opts.data });
  if (stack.datasetBytes) datasetSpec(stack, stack.datasetBytes); // a profile that cannot have a dataset fails here, exit 2
  let scenario: Scenario | undefined;
  if (opts.scenario !== null && !opts.detach) {
    scenario = await loadScenario(opts.scenario ?? stack.scenario);
    if (opts.durationS !== undefined) scenario = scaleScenario(scenario, opts.durationS);
  }
  const cg = await detectCgroups();
  if (!cg.canWrite) throw new EnvironmentError(cg.reason ?? 'cannot create cgroups', 'run as root, or in a delegated cgroup (systemd-run --user --scope -p Delegate=yes)');
  const driver = await chooseDriver(opts.driver, stack);

  // What a killed earlier run left behind goes first.
  await reap({ docker: dockerReaper(driver.name) });

  const runDir = path.resolve(opts.outDir, runId);
  return new Run(runId, runDir, workDir, stack, scenario, driver, cg.version, opts).execute();
}

class Run {
  readonly state: RunState;
  private readonly outputs: RunOutputs;
  private parent?: MemoryCgroup;
  private monitor?: Monitor;
  private exporter?: http.Server;
  private memorySeries: Array<{ t: number; workingSet: number }> = [];
  private lastSample?: Sample;
  private loadWindows: SecondWindow[] = [];
  private loadStartT = 0;
  private loadRunning = false;
  private swapSeen = false;
  /** Swap grew since the last reading: this second was spent swapping out. */
  private swapping = false;
  private prevSwap = 0;
  private alerts: FiredAlert[] = [];
  /** The app's cache counters when the first judged stage began. */
  private cacheAtJudgedStart?: Promise<{ hits: number; misses: number } | undefined>;
  /** Every event of the run (state.events keeps only the latest, for the screen). */
  private eventLog: RunEvent[] = [];
  /** Targets already reported as missed (once each). */
  private missed = new Set<string>();
  private readonly internal = new AbortController();
  private host?: HostFacts;
  /** The kept dataset this run started from, with how long it took to build (if built now) and to copy. */
  private dataset?: DatasetRecord & { built: boolean; copySeconds: number; residentAfterCopy: number };

  constructor(
    readonly runId: string,
    readonly runDir: string,
    readonly workDir: string,
    readonly stack: Stack,
    readonly scenario: Scenario | undefined,
    readonly driver: Driver,
    cgroupVersion: 1 | 2,
    readonly opts: RunOptions,
  ) {
    this.state = initialState({ runId, stack, driver: driver.name, cgroupVersion, startedAt: Date.now() });
    this.outputs = new RunOutputs(runDir, stack);
    // A Ctrl-C that came while the profile was loading or the reaper ran counts too.
    if (opts.signal.aborted) this.internal.abort();
    else opts.signal.addEventListener('abort', () => this.internal.abort(), { once: true });
  }

  private t(at = Date.now()): number {
    return Math.max(0, Math.floor((at - this.state.startedAt) / 1000));
  }

  emit = (e: Omit<RunEvent, 'at' | 't'> & { at?: number }): void => {
    const at = e.at ?? Date.now();
    const event: RunEvent = { ...e, at, t: this.t(at) };
    this.eventLog.push(event);
    applyEvent(this.state, event);
    this.outputs.event(event, this.state);
    this.opts.reporter.onEvent?.(event, this.state);
    if (event.kind === 'oom-kill') this.noteMissed({ oomKills: this.eventLog.filter((x) => x.kind === 'oom-kill').length }, '');
  };

  private writeRunJson(extra: Record<string, unknown> = {}): void {
    this.outputs.writeJson(
      'run.json',
      runJson(this.state, this.stack, {
        scenario: this.scenario?.name ?? null,
        loadModel: this.scenario ? this.opts.model : null,
        cgroup: this.parent?.path,
        appUrl: this.stack.appUrl,
        host: this.host,
        dataset: this.dataset ?? null,
        ...extra,
      }),
    );
  }

  async execute(): Promise<RunResult> {
    const { opts, stack } = this;
    let failure: unknown;
    let load: LoadResult | undefined;
    let cacheHitRate: number | null | undefined;
    try {
      opts.reporter.onStart?.(this.state);
      this.host = await hostFacts(this.runDir).catch(() => undefined);
      // Before anything starts: a taken port is one clear line, not a half-started stack.
      await checkPortsFree(stack, { includeMetricsPort: true });
      // The dataset before the cgroup: building it is set-up, not the stack's memory.
      if (stack.datasetBytes) await this.prepareDataset(stack.datasetBytes);
      this.parent = await createCgroup(`${RUNS_PARENT}/${this.runId}`);
      await this.parent.setMemoryLimit(stack.capBytes, stack.swapBytes);
      if (stack.cpus > 0) await this.parent.setCpuLimit(stack.cpus);
      writeOwner(this.owner());
      this.emit({ kind: 'run-start', detail: `profile ${stack.name}, driver ${this.driver.name}, cap ${(stack.capBytes / 1024 ** 3).toFixed(2)} GiB in ${this.parent.path}` });
      this.writeRunJson();

      if (stack.metricsPort) this.exporter = await startMetricsExporter(stack.metricsPort, () => this.state);
      this.startMonitor();
      const handles = await this.driver.up(stack, {
        runId: this.runId,
        runDir: this.runDir,
        workDir: this.workDir,
        parent: this.parent,
        emit: this.emit,
        signal: this.internal.signal,
        sampleNow: () => void this.sampleNow(),
      });
      for (const h of handles) {
        const s = this.state.services.find((x) => x.name === h.name);
        if (s) Object.assign(s, { version: h.version, containerId: h.containerId, ...(h.image && h.image !== h.spec.image ? { image: h.image } : {}) });
      }
      this.throwIfAborted();
      this.state.phase = 'running';
      this.writeRunJson();

      if (opts.detach) return this.finish(undefined, undefined, undefined);

      if (this.scenario) {
        load = await this.runLoad(this.scenario);
        if (stack.appService) {
          // Over the judged stages only: the counters were read when the first of them began.
          const before = await this.cacheAtJudgedStart;
          const after = await readCacheCounters(stack.appUrl);
          const hits = before && after ? after.hits - before.hits : -1;
          const lookups = before && after ? hits + (after.misses - before.misses) : 0;
          // A counter that went down means the app restarted mid-run: no honest delta then.
          cacheHitRate = hits >= 0 && lookups > 0 ? hits / lookups : null;
        }
      } else {
        await this.watch(opts.durationS ?? 60);
      }
      this.throwIfAborted();
      this.alerts = await fetchFiredAlerts(stack).catch(() => []);
      for (const a of this.alerts) this.emit({ kind: 'alert-firing', detail: `${a.name} (${a.state}${a.severity ? `, ${a.severity}` : ''}): ${a.summary ?? ''}` });
    } catch (err) {
      failure = err;
    }
    const interrupted = this.internal.signal.aborted || failure instanceof InterruptedError;
    if (failure && !interrupted) {
      await this.teardown();
      throw failure;
    }
    return this.finish(load, cacheHitRate, interrupted);
  }

  /**
   * The kept dataset of this profile and size (built first if missing, its progress on the screen), copied
   * into the run's postgres volume and dropped from the page cache, so the stack starts cold.
   */
  private async prepareDataset(bytes: number): Promise<void> {
    let shownAt = 0;
    const { spec, record, built } = await ensureDataset(this.stack, bytes, {
      signal: this.internal.signal,
      logDir: path.join(this.runDir, 'logs'),
      onProgress: (p) => {
        // A line every 5 s (and the last): the first run on a new machine waits for this.
        if (p.phase === 'rows' && Date.now() - shownAt < 5000) return;
        shownAt = Date.now();
        this.emit({ kind: 'info', service: spec.postgres.name, detail: formatSeedProgress(p) });
      },
    });
    this.throwIfAborted();
    const target = postgresVolumeDir(postgresService(this.stack)!);
    const copy = await copyCold(path.join(spec.dir, 'volume'), target);
    this.dataset = { ...record, built, copySeconds: copy.copySeconds, residentAfterCopy: copy.residentAfter };
    const gb = (b: number) => (b / 1024 ** 3).toFixed(2);
    this.emit({
      kind: 'info',
      service: spec.postgres.name,
      detail: `dataset ${spec.key}: ${gb(record.databaseBytes)} GB database (${record.rows.messages.toLocaleString('en-US')} messages, ${record.rows.documents.toLocaleString('en-US')} documents)${built ? `, seeded in ${record.seedSeconds.toFixed(0)} s` : ''}, copied in ${copy.copySeconds.toFixed(1)} s, ${(copy.residentAfter * 100).toFixed(1)} % of it left in the page cache`,
    });
  }

  private owner(): OwnerRecord {
    return {
      runId: this.runId,
      pid: process.pid,
      pidStart: processStart(process.pid) ?? '',
      detached: Boolean(this.opts.detach),
      driver: this.driver.name,
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
    this.monitor = new Monitor({
      parent: this.parent!,
      handles: () => this.driver.handles(),
      emit: this.emit,
      intervalMs: this.opts.sampleIntervalMs,
      psiFile: this.state.cgroupVersion === 2 ? path.join(this.parent!.dir, 'memory.pressure') : undefined,
      onSample: (s) => this.onSample(s),
    });
    this.monitor.start();
  }

  private async sampleNow(): Promise<void> {
    try {
      if (this.monitor) this.onSample(await this.monitor.sample(), false);
    } catch {
      /* teardown */
    }
  }

  private onSample(s: Sample, writeRow = true): void {
    if (this.state.phase === 'stopping' || this.state.phase === 'done') return; // a read that finished during teardown
    this.lastSample = s;
    const psi = psiOf(s);
    applyMemory(this.state, s.stack, s.services, psi);
    const t = this.t(s.at);
    this.state.elapsedS = t;
    this.memorySeries.push({ t, workingSet: s.stack.workingSet });
    this.noteMissed({ memory: { capBytes: this.stack.capBytes, peakWorkingSet: s.stack.workingSet } }, `at ${t} s`);
    // A few pages of swap are noise; a megabyte is the stack swapping.
    if (s.stack.swap >= 1024 * 1024 && !this.swapSeen) {
      this.swapSeen = true;
      this.emit({ kind: 'swap-start', detail: `the stack started swapping (${(s.stack.swap / 1024 / 1024).toFixed(1)} MB in swap)` });
    }
    this.swapping = s.stack.swap > this.prevSwap;
    this.prevSwap = s.stack.swap;
    // While load runs, a row is written per load second (with the latest memory); otherwise one per sample.
    if (!writeRow) return; // an extra reading (an exit, the last one): no row, no status line
    if (!this.loadRunning) this.writeRow(s.at, undefined);
    this.opts.reporter.onTick?.(this.state);
  }

  private writeRow(at: number, window: SecondWindow | undefined): void {
    const s = this.lastSample;
    const psi = s && psiOf(s);
    this.outputs.row({
      at,
      t: this.t(at),
      window,
      stack: s?.stack,
      services: s?.services ?? new Map<string, MemoryStats>(),
      capBytes: this.stack.capBytes,
      swapping: this.swapping,
      psi,
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

  private async runLoad(scenario: Scenario): Promise<LoadResult> {
    const total = scenario.stages.reduce((a, s) => a + s.duration, 0);
    const summaryFile = path.join(this.runDir, 'summary.csv');
    const loadStart = Date.now();
    this.loadStartT = this.t(loadStart);
    this.loadRunning = true;
    const run = startLoad(scenario, { baseUrl: this.stack.appUrl, model: this.opts.model, signal: this.internal.signal });
    run.on('stage', (st) => {
      if (!st.excluded && !this.cacheAtJudgedStart && this.stack.appService) this.cacheAtJudgedStart = readCacheCounters(this.stack.appUrl);
      this.state.stage = { name: st.name, index: st.index, count: st.count, startedAtS: this.t(), durationS: st.durationS, excluded: st.excluded };
      this.emit({ kind: 'stage-start', detail: `stage ${st.index + 1}/${st.count} ${st.name}: ${st.durationS} s${st.excluded ? ' (excluded from the verdict)' : ''}` });
    });
    run.on('second', (w) => {
      this.loadWindows.push(w);
      if (!w.excluded) this.noteMissed(secondSpan(w), `in second ${this.loadStartT + w.t} of the run`);
      applyLoadWindow(this.state, w, run.model);
      this.state.timeLeftS = Math.max(0, Math.ceil(total - (Date.now() - loadStart) / 1000));
      this.writeRow(Date.now(), w);
    });
    run.on('stage-end', (st: StageResult) => appendStageSummary(summaryFile, st, this.stageExtras(st)));
    try {
      return await run.done;
    } finally {
      this.loadRunning = false;
    }
  }

  /**
   * The first moment each target broke, as an event while the run goes (the verdict at the end judges the
   * whole of the judged stages; this is the moment a reader of the timeline looks for). Once per target.
   */
  private noteMissed(span: Span, at: string): void {
    for (const c of checkMoment(span, this.stack.targets)) {
      if (c.pass || this.missed.has(c.def.name)) continue;
      this.missed.add(c.def.name);
      this.emit({ kind: 'target-missed', detail: missedText(c, span, at) });
    }
  }

  private stageExtras(st: StageResult, verdict?: string) {
    const from = this.loadStartT + st.startS;
    const to = from + st.durationS;
    const inStage = this.memorySeries.filter((m) => m.t >= from && m.t <= to);
    const kills = this.eventLog.filter((e) => e.kind === 'oom-kill' && e.t >= from && e.t <= to).length;
    return {
      peakWorkingSetMb: inStage.length ? Math.round(Math.max(...inStage.map((m) => m.workingSet)) / 1024 / 1024) : null,
      oomKills: kills,
      verdict: verdict ?? (st.excluded ? 'excluded' : ''),
    };
  }

  private killRecords(): OomKillRecord[] {
    return this.eventLog.filter((e) => e.kind === 'oom-kill').map((e) => {
      const around = this.loadWindows.filter((w) => Math.abs(this.loadStartT + w.t - e.t) <= 3);
      const ws = this.memorySeries.filter((m) => m.t <= e.t).at(-1);
      return {
        t: e.t,
        service: e.service ?? '',
        pid: e.pid,
        // The victim's own working set when the monitor saw the kill; else the stack's last reading before it.
        workingSetBytes: e.workingSetBytes ?? ws?.workingSet ?? 0,
        around: around.length
          ? `±3 s: p99 up to ${Math.max(...around.map((w) => w.latency.p99Ms)).toFixed(0)} ms, ${around.reduce((a, w) => a + w.errors + w.dropped, 0)} errors/drops`
          : undefined,
      };
    });
  }


  private async teardown(): Promise<void> {
    this.state.phase = 'stopping';
    this.monitor?.stop();
    await this.driver.down().catch(() => undefined);
    this.exporter?.close();
    await this.parent?.destroy().catch(() => undefined);
    if (this.parent) await removeEverywhere(this.parent.path).catch(() => undefined);
    await removeIfEmpty(RUNS_PARENT).catch(() => false);
    fs.rmSync(this.workDir, { recursive: true, force: true });
    try {
      if (fs.readdirSync(path.dirname(this.workDir)).length === 0) fs.rmdirSync(path.dirname(this.workDir));
    } catch {
      /* shared with another run */
    }
  }

  private async finish(load: LoadResult | undefined, cacheHitRate: number | null | undefined, interrupted: boolean | undefined): Promise<RunResult> {
    if (this.opts.detach) {
      this.driver.release?.();
      this.monitor?.stop();
      this.exporter?.close();
      this.state.phase = 'running';
      this.writeRunJson({ detached: true });
      this.outputs.close();
      return { state: this.state, runDir: this.runDir, exitCode: 0, appUrl: this.stack.appUrl, stack: this.stack };
    }
    // A last reading before anything stops: the peak and the kill counters as the run left them.
    await this.sampleNow();
    await this.teardown();
    const verdict = computeVerdict({
      targets: this.stack.targets,
      capBytes: this.stack.capBytes,
      load,
      loadStartT: this.loadStartT,
      memory: this.memorySeries,
      oomKills: this.killRecords(),
      cacheHitRate: load && this.stack.appService ? cacheHitRate ?? null : undefined,
      standins: this.stack.services.filter((s) => s.kind === 'standin' && s.launch).map((s) => s.name),
      interrupted: Boolean(interrupted),
    });
    this.state.verdict = verdict;
    this.state.phase = 'done';
    for (const s of this.state.services) if (s.status !== 'unavailable') s.status = 'stopped';
    this.emit({ kind: 'run-end', detail: interrupted ? 'interrupted' : verdict.pass ? 'targets met' : 'targets missed' });
    const exitCode = interrupted ? 130 : verdict.pass ? 0 : 1;
    this.outputs.writeJson('report.json', { runId: this.runId, exitCode, verdict, alertsFired: this.alerts, load: load ? loadSummary(load) : null });
    this.writeRunJson({ endedAt: new Date().toISOString(), exitCode, interrupted: Boolean(interrupted) });
    // report.html from the files just written (every row is on disk: the CSVs are written synchronously).
    // A report that cannot be drawn is said, never a reason to lose the run's verdict or exit code.
    try {
      writeRunReport(this.runDir);
    } catch (err) {
      this.emit({ kind: 'info', detail: `report.html not written: ${(err as Error).message}` });
    }
    if (this.opts.csvFile && load) {
      fs.writeFileSync(this.opts.csvFile, formatSummaryCsv(load.stages.map((stage) => ({ stage, extras: this.stageExtras(stage) }))));
    }
    this.outputs.close();
    this.opts.reporter.onEnd?.(this.state);
    return { state: this.state, runDir: this.runDir, exitCode, appUrl: this.stack.appUrl, stack: this.stack };
  }
}

/** PSI over the last 10 s, as the state and timeseries.csv carry it. */
function psiOf(s: Sample): { some10: number; full10: number } | undefined {
  return s.psi ? { some10: s.psi.some.avg10, full10: s.psi.full?.avg10 ?? 0 } : undefined;
}

function loadSummary(load: LoadResult) {
  const o = load.overall.aggregate;
  return {
    model: load.model,
    scenario: load.scenario,
    baseUrl: load.baseUrl,
    elapsedS: load.elapsedS,
    stopped: load.stopped,
    measured: { requests: o.count, ok: o.ok, failures: o.failures, dropped: o.dropped, avgMs: o.avgMs, p50Ms: o.percentiles['50'], p99Ms: o.percentiles['99'], okRps: o.okRps, rps: o.rps },
    stages: load.stages.map((s) => ({ name: s.name, excluded: s.excluded, durationS: s.durationS, requests: s.aggregate.count, okRps: s.aggregate.okRps, avgMs: s.aggregate.avgMs, p99Ms: s.aggregate.percentiles['99'] })),
  };
}
