/**
 * Default memory models of the stand-ins (docker/standin/standin.py) for the services Debian does
 * not package. Every figure names its source; where a figure is our own choice, the source says so
 * and why. A profile's `x-simulate.standin` may override any of them.
 */
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.ts';
import type { StandinModel } from './stack.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const STANDIN_SERVICES = ['elasticsearch', 'logstash', 'kibana', 'grafana'] as const;
export type StandinService = (typeof STANDIN_SERVICES)[number];

/** What a stand-in does when its model passes the ceiling. */
export type CeilingAction = 'hold' | 'oom' | 'exit';

/** The stand-in program and how to run it (stdlib only, Debian's python3). */
export const STANDIN_PROGRAM = fileURLToPath(new URL('../../docker/standin/standin.py', import.meta.url));
export const STANDIN_ARGV: readonly string[] = ['/usr/bin/python3', STANDIN_PROGRAM];

/** The cap the defaults are computed for when none is given: the seed's server. */
export const DEFAULT_CAP_BYTES = 4 * GiB;

const SEED = 'seed plan (000_cadf4f9c098578d7), table "current stack memory"';

// Elasticsearch's own figures, from its server CLI.
const ES_CLI_OVERHEAD_BYTES = 100 * MiB; // OverheadSystemMemoryInfo.SERVER_CLI_OVERHEAD
const ES_MIN_HEAP_BYTES = 128 * MiB; // MachineDependentHeap.MIN_HEAP_SIZE
const ES_MAX_HEAP_BYTES = 31 * GiB; // MachineDependentHeap.MAX_HEAP_SIZE
const ES_HEAP_FRACTION = 0.5;
const ES_DIRECT_FRACTION = 0.5; // JvmErgonomics: -XX:MaxDirectMemorySize = heap / 2
const ES_OFFHEAP_FRACTION = 0.15; // our estimate, see sources below
const ES_GROWTH_PER_BYTE = 1.0;
const ES_OOM_EXIT_CODE = 127;

/*
 * Heap activity (docker/standin/standin.py: STANDIN_ACTIVE_FRACTION, STANDIN_TOUCH_BYTES_PER_S,
 * STANDIN_TOUCH_PER_INGESTED_BYTE, STANDIN_FULL_SWEEP_S). Without it the held memory is written once
 * and then never again, so under swap a stand-in's cold pages leave for free; a JVM, Node or Go
 * process keeps walking its heap and pays for every page that has to come back.
 */
const G1_YOUNG_SOURCE =
  'JDK G1 defaults (openjdk/jdk src/hotspot/share/gc/g1/g1_globals.hpp): the young generation is sized ' +
  'adaptively between G1NewSizePercent=5 and G1MaxNewSizePercent=60 of the heap';
const SWAP_SOURCE =
  'elastic.co Elasticsearch reference, "Disable swapping": swapping parts of the JVM heap "can cause garbage ' +
  'collections to last for minutes instead of milliseconds"';
const ES_ACTIVE_FRACTION = 0.3;
const ES_TOUCH_BYTES_PER_S = 16 * MiB;
const ES_TOUCH_PER_INGESTED_BYTE = 6;
const ES_FULL_SWEEP_S = 300;
const LS_ACTIVE_FRACTION = 0.3;
const LS_TOUCH_BYTES_PER_S = 8 * MiB;
const LS_TOUCH_PER_INGESTED_BYTE = 16;
const LS_FULL_SWEEP_S = 300;
/** V8's default maximum semi-space on 64-bit: 8 MB x (kSystemPointerSize / 4) = 16 MiB; new space is two of them. */
const V8_SEMI_SPACE_BYTES = 16 * MiB;
const KIBANA_BASELINE_BYTES = 768 * MiB;
const KIBANA_TOUCH_BYTES_PER_S = 8 * MiB;
const KIBANA_FULL_SWEEP_S = 60;
const GRAFANA_BASELINE_BYTES = 128 * MiB;
/** GOGC=100: the heap may grow to twice the live heap before the next cycle, so half of it is where allocation goes. */
const GO_ACTIVE_FRACTION = 0.5;
const GRAFANA_TOUCH_BYTES_PER_S = 2 * MiB;
/** runtime.forcegcperiod: a Go program with no GC for 2 minutes gets one forced. */
const GO_FORCE_GC_PERIOD_S = 120;

/**
 * Elasticsearch 8's automatic heap for a data node (MachineDependentHeap.java, DATA role): of the
 * memory the JVM sees minus the CLI's 100 MiB, 40 % below 1 GiB (at least 128 MiB), else 50 %,
 * at most 31 GiB, in whole MiB. The stand-in computes the same from its own cgroup at start.
 */
export function elasticsearchHeapBytes(seenBytes: number, fraction = ES_HEAP_FRACTION): number {
  const available = seenBytes - ES_CLI_OVERHEAD_BYTES;
  const heap =
    available < GiB
      ? Math.max(Math.floor(available * 0.4), ES_MIN_HEAP_BYTES)
      : Math.min(Math.floor(available * fraction), ES_MAX_HEAP_BYTES);
  return Math.floor(heap / MiB) * MiB;
}

export interface ModelOptions {
  /** The memory the service sees (the stack's cap): Elasticsearch's heap follows it. */
  capBytes?: number;
  port?: number;
  /** Where the Elasticsearch stand-in listens, for Logstash's output and Kibana's poll. */
  elasticsearchUrl?: string;
}

export function elasticsearchModel(opts: ModelOptions = {}): StandinModel {
  const cap = opts.capBytes ?? DEFAULT_CAP_BYTES;
  const heap = elasticsearchHeapBytes(cap);
  return {
    of: 'elasticsearch',
    port: opts.port ?? 9200,
    health: '/_cluster/health',
    baselineBytes: Math.floor(heap * (1 + ES_OFFHEAP_FRACTION)),
    growthPerByte: ES_GROWTH_PER_BYTE,
    ceilingBytes: Math.floor(heap * (1 + ES_DIRECT_FRACTION + ES_OFFHEAP_FRACTION)),
    settings: {
      ceilingAction: 'exit' satisfies CeilingAction,
      exitCode: ES_OOM_EXIT_CODE,
      autoHeap: 1,
      memoryFraction: ES_HEAP_FRACTION,
      offheapFraction: ES_OFFHEAP_FRACTION,
      directFraction: ES_DIRECT_FRACTION,
      serverCliOverheadBytes: ES_CLI_OVERHEAD_BYTES,
      activeFraction: ES_ACTIVE_FRACTION,
      touchBytesPerS: ES_TOUCH_BYTES_PER_S,
      touchPerIngestedByte: ES_TOUCH_PER_INGESTED_BYTE,
      fullSweepS: ES_FULL_SWEEP_S,
    },
    sources: {
      heap:
        'Elasticsearch 8 sizes its heap to 50 % of the memory it sees (40 % below 1 GiB, min 128 MiB, max 31 GiB) ' +
        'after subtracting 100 MiB for its CLI: elastic/elasticsearch distribution/tools/server-cli ' +
        'MachineDependentHeap.java (DATA role) and OverheadSystemMemoryInfo.java (SERVER_CLI_OVERHEAD). ' +
        'The JVM reads the cgroup limit (container-aware); the stand-in reads the same files at start.',
      baselineBytes:
        'heap + 15 % off-heap, all resident from start: SystemJvmOptions.java passes -XX:+AlwaysPreTouch, so the ' +
        'whole heap is touched before the node listens. The 15 % off-heap (metaspace, code cache, G1 remembered ' +
        'sets and card table, thread stacks at -Xss1m) is our estimate, not a measured figure: about 300 MB ' +
        'beside a 2 GB heap.',
      growthPerByte:
        'model choice: 1.0 resident byte per byte indexed. An index is about the size of its raw JSON ' +
        '(_source plus inverted index and doc values) and Lucene reads recent segments through mmap; the ' +
        'stand-in holds it as anonymous memory, which the kernel cannot reclaim as it could page cache, so ' +
        'this is the pessimistic end of the range (1.0-1.5x in the brief).',
      ceilingBytes:
        'heap + direct memory + off-heap: JvmErgonomics.java sets -XX:MaxDirectMemorySize to heap / 2; past it ' +
        'the JVM throws OutOfMemoryError.',
      ceilingAction:
        'exit 127: Elasticsearch halts the JVM on an OutOfMemoryError (ElasticsearchUncaughtExceptionHandler: ' +
        'InternalError 128, OutOfMemoryError 127). Under a shared cap the kernel usually kills it first.',
      activeFraction:
        `${G1_YOUNG_SOURCE}. 0.3 is a model choice for a node that indexes all the time: G1 grows the young ` +
        'generation toward its maximum while pauses stay under MaxGCPauseMillis=200, and a steady indexing ' +
        'load keeps it well above the 5 % floor. The stand-in applies it to everything it holds (heap and off-heap).',
      touchBytesPerS:
        'model choice: 16 MiB/s allocated at idle (cluster-state and stats polling, the monitoring and ILM ' +
        'services, the scheduler), so the young generation is walked once in tens of seconds even with no load. ' +
        'Not a measured figure.',
      touchPerIngestedByte:
        'model choice: 6 bytes allocated per byte indexed. The bulk body is read into network buffers, parsed ' +
        'into a source map (several times its size as Java objects), analysed into tokens, written to the ' +
        'translog and buffered by Lucene (indices.memory.index_buffer_size, 10 % of heap) before a flush; ' +
        'each of those copies is short-lived young-generation garbage.',
      fullSweepS:
        'model choice: every 300 s the whole held memory is walked once, standing for a G1 concurrent marking ' +
        'cycle and the mixed collections after it: Elasticsearch\'s config/jvm.options sets ' +
        '-XX:InitiatingHeapOccupancyPercent=30, so a node whose old generation keeps filling with segments ' +
        `and caches starts one every few minutes. ${SWAP_SOURCE}.`,
      seed: `${SEED}: Elasticsearch 1-2 GB.`,
    },
  };
}

export function logstashModel(opts: ModelOptions = {}): StandinModel {
  const es = opts.elasticsearchUrl ?? 'http://127.0.0.1:9200';
  return {
    of: 'logstash',
    port: opts.port ?? 8080,
    health: '/',
    baselineBytes: 1 * GiB,
    growthPerByte: 8.0,
    ceilingBytes: 1 * GiB + 512 * MiB,
    settings: {
      ceilingAction: 'hold' satisfies CeilingAction,
      forwardUrl: `${es}/_bulk`,
      forwardIndex: 'logs',
      activeFraction: LS_ACTIVE_FRACTION,
      touchBytesPerS: LS_TOUCH_BYTES_PER_S,
      touchPerIngestedByte: LS_TOUCH_PER_INGESTED_BYTE,
      fullSweepS: LS_FULL_SWEEP_S,
    },
    sources: {
      heap: 'elastic/logstash config/jvm.options ships -Xms1g -Xmx1g.',
      baselineBytes:
        '1 GiB resident once running. Measured by users: a Logstash with -Xmx512m showed about 900 MB resident ' +
        '(elastic/logstash#12747, 7.10.2; the maintainer: -Xmx is not the process\'s memory: JIT code, thread ' +
        'stacks and direct buffers come on top), one with -Xmx128m 637 MB (elastic/logstash#3287), and default ' +
        'settings over 1 GB (control-center/serviced#191). With the shipped -Xms1g -Xmx1g, 1 GiB is the low end. ' +
        'The seed\'s 256-512 MB is below what users measure.',
      growthPerByte:
        'model choice: 8 bytes per byte received. Events become Java/JRuby objects many times the raw size; ' +
        'G1 keeps the heap pages it touched, and glibc keeps native arenas, so resident memory climbs with ' +
        'throughput (elastic/logstash#19248: RSS grows steadily on glibc while the heap stays bounded).',
      ceilingBytes:
        '1 GiB heap (-Xmx1g) + 512 MiB native (metaspace, code cache, thread stacks, retained malloc arenas: ' +
        'elastic/logstash#19248); past it the model holds.',
      port: 'logstash-input-http listens on 8080 by default; its forward target is Elasticsearch _bulk, as the elasticsearch output does.',
      activeFraction:
        `${G1_YOUNG_SOURCE} (Logstash 8 runs on the bundled JDK 17 with its default collector, G1). 0.3 is the ` +
        'same model choice as for Elasticsearch: a pipeline that receives all the time keeps the young generation large.',
      touchBytesPerS:
        'model choice: 8 MiB/s at idle (the pipeline flushes every 5 s, periodic metrics and monitoring). Not measured.',
      touchPerIngestedByte:
        'model choice: 16 bytes allocated per byte received or forwarded: each event becomes JRuby/Java ' +
        'objects (the same 8x as growthPerByte), filters copy fields, and the elasticsearch output serialises ' +
        'the batch again (the stand-in also counts the forwarded bytes as work). Short-lived, so it is ' +
        'young-generation allocation, not growth.',
      fullSweepS: `model choice: a G1 concurrent mark and mixed collections every 300 s, as for Elasticsearch. ${SWAP_SOURCE}.`,
      seed: `${SEED}: Logstash 256-512 MB.`,
    },
  };
}

export function kibanaModel(opts: ModelOptions = {}): StandinModel {
  const cap = opts.capBytes ?? DEFAULT_CAP_BYTES;
  const es = opts.elasticsearchUrl ?? 'http://127.0.0.1:9200';
  return {
    of: 'kibana',
    port: opts.port ?? 5601,
    health: '/api/status',
    baselineBytes: KIBANA_BASELINE_BYTES,
    growthPerByte: 0,
    ceilingBytes: Math.min(Math.floor(cap * 0.75), 4 * GiB),
    settings: {
      ceilingAction: 'hold' satisfies CeilingAction,
      pollUrl: `${es}/_cluster/health`,
      pollIntervalS: 2.5,
      // New space (two semi-spaces) as a share of what the stand-in holds.
      activeFraction: Number(((2 * V8_SEMI_SPACE_BYTES) / KIBANA_BASELINE_BYTES).toFixed(4)),
      touchBytesPerS: KIBANA_TOUCH_BYTES_PER_S,
      touchPerIngestedByte: 1,
      fullSweepS: KIBANA_FULL_SWEEP_S,
    },
    sources: {
      baselineBytes:
        '768 MiB: Kibana\'s own measurement of a freshly started Kibana doing no work found 727.9 MB of idle heap ' +
        '(elastic/kibana#264189, "Reduce Kibana baseline/idle memory", 2026), and resident memory is the heap plus ' +
        'code and buffers; Kibana 8.2 already measured up to 50 % more RSS than earlier releases ' +
        '(elastic/kibana#128061). The seed\'s 256-512 MB is below what Kibana measures today.',
      growthPerByte: 'Kibana ingests nothing in this stack; it only polls Elasticsearch, so it does not grow with the log volume.',
      ceilingBytes:
        'Kibana\'s Node heap scales with memory: in containers from 9.4, 75 % of the cgroup limit up to 4 GB ' +
        '(elastic.co "configure memory", kibana PR #246073); before, Node\'s default heap limit.',
      pollIntervalS: 'Kibana checks Elasticsearch every 2.5 s (elasticsearch.healthCheck.delay default) and answers 503 on /api/status while it cannot reach it.',
      activeFraction:
        'V8\'s young generation is its new space: two semi-spaces of at most 16 MiB each on 64-bit (v8 ' +
        'src/heap/heap.cc Heap::ConfigureHeap: max_semi_space_size_ = 8 MB x kSystemPointerSize / 4). ' +
        '32 MiB of the 768 MiB baseline: a small hot set.',
      touchBytesPerS:
        'model choice: 8 MiB/s at idle, one semi-space filled (one scavenge) every 2 s: Kibana is busy while ' +
        'idle (task manager polls Elasticsearch for work every 3 s by default in Kibana 8, 500 ms in later docs: ' +
        'xpack.task_manager.poll_interval; the ' +
        'Elasticsearch health check every 2.5 s). Not measured.',
      touchPerIngestedByte:
        'model choice: 1 byte allocated per byte of Elasticsearch answers polled (the response parsed into ' +
        'objects); the idle rate carries most of the load.',
      fullSweepS:
        'model choice: every 60 s the whole held memory is walked once, for V8\'s mark-compact of the old ' +
        'space (started by old-space growth and by its memory reducer when the process goes idle).',
      seed: `${SEED}: Kibana 256-512 MB.`,
    },
  };
}

/** Seconds between Go GC cycles at the idle allocation rate: live heap / allocation rate, at most forcegcperiod. */
function grafanaGcCycleSeconds(): number {
  const live = GRAFANA_BASELINE_BYTES * (1 - GO_ACTIVE_FRACTION);
  return Math.min(Math.round(live / GRAFANA_TOUCH_BYTES_PER_S), GO_FORCE_GC_PERIOD_S);
}

export function grafanaModel(opts: ModelOptions = {}): StandinModel {
  return {
    of: 'grafana',
    port: opts.port ?? 3000,
    health: '/api/health',
    baselineBytes: GRAFANA_BASELINE_BYTES,
    growthPerByte: 0,
    ceilingBytes: 256 * MiB,
    settings: {
      ceilingAction: 'hold' satisfies CeilingAction,
      activeFraction: GO_ACTIVE_FRACTION,
      touchBytesPerS: GRAFANA_TOUCH_BYTES_PER_S,
      touchPerIngestedByte: 0,
      fullSweepS: grafanaGcCycleSeconds(),
    },
    sources: {
      baselineBytes:
        'model choice: 128 MiB, the low end of the seed\'s 128-256 MB (its light plan says 100-150 MB). ' +
        'grafana.com installation docs recommend 512 MB minimum (older docs: 255 MB), but that is for the ' +
        'whole host, not Grafana\'s own resident set.',
      growthPerByte: 'Grafana only renders dashboards from Prometheus here; it ingests nothing.',
      ceilingBytes: `the seed's upper figure for Grafana, 256 MB (${SEED}).`,
      activeFraction:
        'Go\'s collector is not generational. With GOGC=100 (the default; Grafana does not change it) the heap ' +
        'grows to twice the live heap before the next cycle (go.dev/doc/gc-guide), so half of it is where new ' +
        'objects go.',
      touchBytesPerS:
        'model choice: 2 MiB/s at idle (alert rule evaluation, every 10 s by default, and background services). Not measured.',
      touchPerIngestedByte: 'Grafana ingests nothing here.',
      fullSweepS:
        'Go marks the whole live heap every cycle. With GOGC=100 a cycle starts when the allocation since ' +
        'the last one equals the live heap: (128 MiB x 0.5) / 2 MiB/s = 32 s; and at least every 120 s ' +
        '(runtime.forcegcperiod, src/runtime/proc.go).',
      seed: `${SEED}: Grafana 128-256 MB; light plan 100-150 MB.`,
    },
  };
}

/** The default model of one stand-in; `capBytes` is the memory it sees (the stack's cap). */
export function defaultStandinModel(of: string, opts: ModelOptions = {}): StandinModel {
  switch (of) {
    case 'elasticsearch':
      return elasticsearchModel(opts);
    case 'logstash':
      return logstashModel(opts);
    case 'kibana':
      return kibanaModel(opts);
    case 'grafana':
      return grafanaModel(opts);
    default:
      throw new InputError(
        `no stand-in for ${JSON.stringify(of)}`,
        `x-simulate.standin.of must be one of ${STANDIN_SERVICES.join(', ')}`,
      );
  }
}

/** The name the profile loader uses (src/profile/standin-launch.ts). */
export const standinDefaults = defaultStandinModel;

/** `forwardUrl` → `STANDIN_FORWARD_URL`; a key already in upper snake case keeps its spelling. */
function envName(key: string): string {
  const snake = /^[A-Z0-9_]+$/.test(key) ? key : key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  return snake.startsWith('STANDIN_') ? snake : `STANDIN_${snake}`;
}

/** The environment that configures docker/standin/standin.py for this model, listening on `port` on 127.0.0.1. */
export function standinEnv(model: StandinModel, port: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(model.settings)) env[envName(key)] = String(value);
  Object.assign(env, {
    STANDIN_OF: model.of,
    STANDIN_PORT: String(port),
    STANDIN_HOST: '127.0.0.1',
    STANDIN_HEALTH: model.health,
    STANDIN_BASELINE_BYTES: String(Math.round(model.baselineBytes)),
    STANDIN_GROWTH_PER_BYTE: String(model.growthPerByte),
    STANDIN_CEILING_BYTES: String(Math.round(model.ceilingBytes)),
    // Log lines reach the run's log as they happen.
    PYTHONUNBUFFERED: '1',
  });
  return env;
}
