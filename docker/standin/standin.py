#!/usr/bin/python3
"""A stand-in for a service Debian does not package (Elasticsearch, Logstash, Kibana, Grafana).

It answers the real service's port and health endpoint and holds memory the way the real one
does: a baseline held from start, growth with what it ingests, and a ceiling. The memory is real
(every page is written), so the kernel and the memory cgroup count it as resident. It is never the
real service: every response carries `X-Standin: true` and health JSON says `"standin": true`.

Configured only by environment variables (the simulator's process driver sets them from the
profile's `x-simulate.standin`; see src/profile/standin-models.ts for the figures and sources):

  STANDIN_OF                elasticsearch | logstash | kibana | grafana
  STANDIN_PORT, STANDIN_HOST  where to listen (host default 127.0.0.1)
  STANDIN_HEALTH            health path (default: the real service's)
  STANDIN_BASELINE_BYTES    resident bytes held from start (the process's own anonymous memory counts)
  STANDIN_GROWTH_PER_BYTE   resident bytes added per byte ingested
  STANDIN_CEILING_BYTES     where growth stops; what happens then is STANDIN_CEILING_ACTION:
  STANDIN_CEILING_ACTION    hold: stop growing (a JVM whose heap is full of collectable garbage)
                            oom:  keep allocating until the kernel kills it (a heap that keeps growing)
                            exit: log an OutOfMemoryError and exit STANDIN_EXIT_CODE (default 127)
  STANDIN_AUTO_HEAP=1       Elasticsearch's automatic heap: heap = STANDIN_MEMORY_FRACTION (0.5) of the
                            memory the process sees (cgroup limit or MemTotal) minus 100 MiB; 40 % below
                            1 GiB; baseline = heap * (1 + STANDIN_OFFHEAP_FRACTION); ceiling = heap *
                            (1 + STANDIN_DIRECT_FRACTION + STANDIN_OFFHEAP_FRACTION). Overrides the
                            baseline and ceiling variables, like ES overriding nothing the user set.
  STANDIN_FORWARD_URL       logstash: forward every batch to this Elasticsearch _bulk URL
  STANDIN_FORWARD_INDEX     logstash: index name for forwarded events (default logs)
  STANDIN_POLL_URL, STANDIN_POLL_INTERVAL_S   kibana: poll Elasticsearch

Heap activity (all off by default: the memory is then written once and never again). A real JVM or
Node or Go process keeps touching its heap, so under swap its cold pages come back (major faults)
instead of staying out for free. One background thread does the touching:

  STANDIN_ACTIVE_FRACTION   share of the held memory that is hot (a JVM's young generation, V8's new
                            space, the half of a Go heap that GOGC=100 lets grow); default 1.0
  STANDIN_TOUCH_BYTES_PER_S bytes of the hot region written per second at idle (the allocation rate):
                            a rolling pointer writes one byte per 4 KiB page and wraps around
  STANDIN_TOUCH_PER_INGESTED_BYTE  extra hot bytes written per byte ingested, forwarded or polled
                            (allocation per unit of work)
  STANDIN_FULL_SWEEP_S      every this many seconds read one byte of EVERY held page, as a full or
                            mixed GC marks the old generation; 0 = never
Touching rewrites pages that are already resident, so it does not change the resident size.
"""

import http.client
import json
import mmap
import os
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = 4096
KiB = 1024
MiB = 1024 * 1024
GiB = 1024 * MiB
CHUNK = 64 * MiB
# Growth below this is accumulated, so a stream of small batches does not make tiny allocations.
MIN_STEP = 256 * KiB
READ_STEP = 1 * MiB
# cgroup v1 reports "no limit" as a page-rounded LONG_MAX.
UNLIMITED = 1 << 60

DEFAULT_HEALTH = {
    'elasticsearch': '/_cluster/health',
    'logstash': '/',
    'kibana': '/api/status',
    'grafana': '/api/health',
}


def log(event, **fields):
    parts = ' '.join(f'{k}={json.dumps(v) if isinstance(v, str) and " " in v else v}' for k, v in fields.items())
    sys.stdout.write(f'{time.strftime("%Y-%m-%dT%H:%M:%S")} standin[{CONFIG.of}] {event} {parts}\n'.rstrip() + '\n')
    sys.stdout.flush()


def env_str(name, default=''):
    value = os.environ.get(name, '').strip()
    return value if value else default


def env_num(name, default, cast=float):
    raw = env_str(name)
    if not raw:
        return default
    try:
        return cast(float(raw)) if cast is int else cast(raw)
    except ValueError:
        sys.stderr.write(f'standin: {name}={raw!r} is not a number\n')
        sys.exit(2)


class Config:
    def __init__(self):
        self.of = env_str('STANDIN_OF')
        if self.of not in DEFAULT_HEALTH:
            sys.stderr.write(f'standin: STANDIN_OF must be one of {", ".join(DEFAULT_HEALTH)}, got {self.of!r}\n')
            sys.exit(2)
        self.host = env_str('STANDIN_HOST', '127.0.0.1')
        self.port = env_num('STANDIN_PORT', 0, int)
        if self.port <= 0:
            sys.stderr.write('standin: STANDIN_PORT is required\n')
            sys.exit(2)
        self.health = env_str('STANDIN_HEALTH', DEFAULT_HEALTH[self.of])
        self.baseline = env_num('STANDIN_BASELINE_BYTES', 0, int)
        self.growth = env_num('STANDIN_GROWTH_PER_BYTE', 0.0)
        self.ceiling = env_num('STANDIN_CEILING_BYTES', 0, int)
        self.ceiling_action = env_str('STANDIN_CEILING_ACTION', 'hold')
        if self.ceiling_action not in ('hold', 'oom', 'exit'):
            sys.stderr.write(f'standin: STANDIN_CEILING_ACTION must be hold, oom or exit, got {self.ceiling_action!r}\n')
            sys.exit(2)
        self.exit_code = env_num('STANDIN_EXIT_CODE', 127, int)
        self.auto_heap = env_str('STANDIN_AUTO_HEAP', '0').lower() in ('1', 'true', 'yes')
        self.memory_fraction = env_num('STANDIN_MEMORY_FRACTION', 0.5)
        self.offheap_fraction = env_num('STANDIN_OFFHEAP_FRACTION', 0.15)
        self.direct_fraction = env_num('STANDIN_DIRECT_FRACTION', 0.5)
        self.cli_overhead = env_num('STANDIN_SERVER_CLI_OVERHEAD_BYTES', 100 * MiB, int)
        self.forward_url = env_str('STANDIN_FORWARD_URL')
        self.forward_index = env_str('STANDIN_FORWARD_INDEX', 'logs')
        self.poll_url = env_str('STANDIN_POLL_URL')
        self.poll_interval = env_num('STANDIN_POLL_INTERVAL_S', 10.0)
        self.active_fraction = env_num('STANDIN_ACTIVE_FRACTION', 1.0)
        if not 0.0 <= self.active_fraction <= 1.0:
            sys.stderr.write(f'standin: STANDIN_ACTIVE_FRACTION must be between 0 and 1, got {self.active_fraction}\n')
            sys.exit(2)
        self.touch_rate = env_num('STANDIN_TOUCH_BYTES_PER_S', 0.0)
        self.touch_per_byte = env_num('STANDIN_TOUCH_PER_INGESTED_BYTE', 0.0)
        self.full_sweep_s = env_num('STANDIN_FULL_SWEEP_S', 0.0)
        if min(self.touch_rate, self.touch_per_byte, self.full_sweep_s) < 0:
            sys.stderr.write('standin: STANDIN_TOUCH_BYTES_PER_S, STANDIN_TOUCH_PER_INGESTED_BYTE and STANDIN_FULL_SWEEP_S must not be negative\n')
            sys.exit(2)


# ---------------------------------------------------------------- memory the process sees


def cgroup_memory_limit():
    """The memory limit of our cgroup as the JVM reads it, or None. Returns (bytes, where)."""
    try:
        with open('/proc/self/cgroup') as f:
            lines = f.read().splitlines()
    except OSError:
        return None, 'no /proc/self/cgroup'
    for line in lines:
        parts = line.split(':', 2)
        if len(parts) == 3 and 'memory' in parts[1].split(','):
            # cgroup v1. Like the JDK: the cgroup's own limit, else memory.stat's
            # hierarchical_memory_limit (the smallest limit of its ancestors).
            base = '/sys/fs/cgroup/memory'
            path = base + parts[2] if os.path.isdir(base + parts[2]) else base  # in a container: mounted at /
            best = read_int(path + '/memory.limit_in_bytes')
            hier = None
            try:
                with open(path + '/memory.stat') as f:
                    for stat in f:
                        if stat.startswith('hierarchical_memory_limit '):
                            hier = int(stat.split()[1])
            except OSError:
                pass
            values = [v for v in (best, hier) if v is not None and v < UNLIMITED]
            return (min(values), path) if values else (None, path)
    for line in lines:
        parts = line.split(':', 2)
        if len(parts) == 3 and parts[0] == '0' and parts[1] == '':
            # cgroup v2: the smallest memory.max from our cgroup up to the root.
            base = '/sys/fs/cgroup'
            path = base + parts[2] if os.path.isdir(base + parts[2]) else base
            values = []
            cur = path
            while cur.startswith(base):
                try:
                    with open(cur + '/memory.max') as f:
                        raw = f.read().strip()
                    if raw != 'max':
                        values.append(int(raw))
                except OSError:
                    pass
                if cur == base:
                    break
                cur = os.path.dirname(cur)
            return (min(values), path) if values else (None, path)
    return None, 'no memory controller'


def read_int(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def meminfo(key):
    with open('/proc/meminfo') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1]) * KiB
    return 0


def rss_anon():
    """This process's anonymous resident memory: what cgroup v1 counts as rss."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('RssAnon:'):
                return int(line.split()[1]) * KiB
    return 0


def es_auto_heap(seen, fraction):
    """Elasticsearch's MachineDependentHeap for a data node, on `seen` minus the CLI overhead."""
    available = seen - CONFIG.cli_overhead
    if available < GiB:
        heap = max(int(available * 0.4), 128 * MiB)
    else:
        heap = min(int(available * fraction), 31 * GiB)
    return heap // MiB * MiB  # the heap is given to the JVM in whole megabytes


# ---------------------------------------------------------------- the model and the memory that backs it


class Memory:
    """Holds `target - overhead` bytes of touched memory, where target is the model's resident size."""

    def __init__(self, config, seen_limit, seen_total):
        self.config = config
        self.lock = threading.Lock()
        self.chunks = []
        self.held = 0
        self.pending = 0  # model bytes not yet allocated (below MIN_STEP)
        self.ingested = 0
        self.docs = 0
        self.ceiling_hit = False
        self.runaway = False
        self.seen_limit = seen_limit  # cgroup limit, or None
        self.seen = min(seen_limit, seen_total) if seen_limit else seen_total
        self.heap = None
        self.baseline = config.baseline
        self.ceiling = config.ceiling
        if config.auto_heap:
            self.heap = es_auto_heap(self.seen, config.memory_fraction)
            self.baseline = int(self.heap * (1 + config.offheap_fraction))
            self.ceiling = int(self.heap * (1 + config.direct_fraction + config.offheap_fraction))
        if self.ceiling and self.ceiling < self.baseline:
            self.ceiling = self.baseline
        # What the interpreter itself already holds counts toward the baseline: the cgroup sees
        # the whole process, and the model describes the whole process.
        self.overhead = rss_anon()

    def model_bytes(self):
        model = self.baseline + int(self.config.growth * self.ingested)
        if self.ceiling and self.config.ceiling_action == 'hold':
            model = min(model, self.ceiling)
        return model

    def _allocate(self, n):
        while n > 0:
            size = min(n, CHUNK)
            # A private anonymous mapping (what a JVM heap is), then one byte written per page: the
            # kernel charges a page to the cgroup only when it is touched.
            block = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
            pages = (size + PAGE - 1) // PAGE
            block[::PAGE] = b'\x01' * pages
            self.chunks.append(block)
            self.held += size
            n -= size

    def settle(self):
        """Allocate up to the model (called at start and after each ingest)."""
        with self.lock:
            want = max(0, self.model_bytes() - self.overhead)
            if want - self.held >= MIN_STEP or (want > self.held and self.held == 0):
                self._allocate(want - self.held)
            return self.held

    def ingest(self, nbytes, docs=0):
        if TOUCHER:
            TOUCHER.work(nbytes)
        with self.lock:
            self.ingested += nbytes
            self.docs += docs
            crossed = bool(self.ceiling) and not self.ceiling_hit and self.baseline + self.config.growth * self.ingested > self.ceiling
            if crossed:
                self.ceiling_hit = True
        self.settle()
        if crossed:
            self.on_ceiling()

    def on_ceiling(self):
        action = self.config.ceiling_action
        log('ceiling', action=action, ceiling_bytes=self.ceiling, ingested_bytes=self.ingested)
        if action == 'exit':
            # What the JVM prints before Elasticsearch's uncaught-exception handler halts it.
            log('fatal', error='java.lang.OutOfMemoryError: Java heap space', exit_code=self.config.exit_code)
            os._exit(self.config.exit_code)
        if action == 'oom':
            if not self.seen_limit:
                # Without a cgroup limit the runaway would fill the host and the global OOM killer
                # could pick any process on it: fail like the JVM instead.
                log('fatal', error='OutOfMemoryError (no cgroup limit: not running away on the host)', exit_code=self.config.exit_code)
                os._exit(self.config.exit_code)
            self.runaway = True
            threading.Thread(target=self._run_away, daemon=True).start()

    def _run_away(self):
        # A heap that keeps growing: allocate until the kernel's OOM killer ends the process. The
        # bound (twice the memory seen, to allow for swap) only matters if it never comes.
        bound = 2 * self.seen
        log('runaway', bound_bytes=bound)
        while self.held + self.overhead < bound:
            with self.lock:
                self._allocate(8 * MiB)
            time.sleep(0.01)
        log('fatal', error='runaway reached twice the memory it sees without being killed', exit_code=self.config.exit_code)
        os._exit(self.config.exit_code)

    def snapshot(self):
        with self.lock:
            return {
                'of': self.config.of,
                'standin': True,
                'resident_bytes_model': self.model_bytes() if not self.runaway else self.held + self.overhead,
                'baseline_bytes': self.baseline,
                'growth_per_byte': self.config.growth,
                'ceiling_bytes': self.ceiling,
                'ceiling_action': self.config.ceiling_action,
                'ceiling_reached': self.ceiling_hit,
                'ingested_bytes': self.ingested,
                'docs': self.docs,
                'held_bytes': self.held,
                'overhead_bytes': self.overhead,
                'rss_anon_bytes': rss_anon(),
                'seen_memory_bytes': self.seen,
                'cgroup_limit_bytes': self.seen_limit,
                'heap_bytes': self.heap,
                **(TOUCHER.snapshot() if TOUCHER else {'touching': False}),
            }


# ---------------------------------------------------------------- heap activity: the collector and the allocator


def major_faults():
    """This process's major page faults (/proc/self/stat field 12): pages read back from swap or disk."""
    try:
        with open('/proc/self/stat') as f:
            return int(f.read().rsplit(')', 1)[1].split()[9])
    except (OSError, ValueError, IndexError):
        return 0


class Toucher:
    """Keeps touching the held memory as a managed runtime keeps touching its heap.

    The hot region (the first STANDIN_ACTIVE_FRACTION of the held bytes) stands for the young
    generation: the allocator writes new objects into it and the young collector copies survivors
    out, so every page of it is written again each time allocation wraps around it. A rolling
    pointer writes one byte per page at STANDIN_TOUCH_BYTES_PER_S, plus
    STANDIN_TOUCH_PER_INGESTED_BYTE for each byte of work. Every STANDIN_FULL_SWEEP_S the whole
    held memory is read once, as a marking cycle reads every live object of the old generation.
    All of it rewrites or reads pages that are already resident (or swapped out and brought back):
    the resident size does not change.
    """

    TICK = 0.05  # seconds between rounds: small slices keep the thread's CPU even and bounded
    STEP_PAGES = 64  # pages per C-level slice; the GIL is held for one slice (one page fault each, under swap)
    # Work debt beyond two passes over the hot region changes nothing: every page is fresh by then.
    DEBT_PASSES = 2
    # Work is paid off at most this fast, so a huge ingest does not spin a core (1 GiB/s of touching
    # is 262144 page writes a second: a few per cent of one core when the pages are resident).
    WORK_RATE_MAX = 1 * GiB

    def __init__(self, memory, config):
        self.memory = memory
        self.rate = config.touch_rate
        self.per_byte = config.touch_per_byte
        self.fraction = config.active_fraction
        self.sweep_s = config.full_sweep_s
        self.lock = threading.Lock()
        self.debt = 0.0  # bytes of work-driven touching not yet done
        self.touched = 0  # bytes of hot region written (counted a page at a time)
        self.swept = 0  # bytes read by full sweeps
        self.sweeps = 0
        self.last_sweep_s = 0.0
        self.cursor = (0, 0, 0)  # chunk index, offset in that chunk, offset in the hot region
        self.ones = b'\x01' * self.STEP_PAGES
        threading.Thread(target=self._loop, name='toucher', daemon=True).start()

    @staticmethod
    def wanted(config):
        return config.touch_rate > 0 or config.touch_per_byte > 0 or config.full_sweep_s > 0

    def work(self, nbytes):
        if self.per_byte <= 0 or nbytes <= 0:
            return
        with self.lock:
            cap = self.DEBT_PASSES * self.hot_bytes()
            self.debt = min(self.debt + self.per_byte * nbytes, max(cap, 0))

    def hot_bytes(self):
        return int(self.memory.held * self.fraction) // PAGE * PAGE

    def _touch_hot(self, nbytes):
        """Write one byte per page of the next `nbytes` of the hot region; returns bytes touched."""
        hot = self.hot_bytes()
        if hot <= 0:
            return 0
        chunks = self.memory.chunks  # only ever appended to, so indexing it without the lock is safe
        ci, off, pos = self.cursor
        done = 0
        while done < nbytes:
            if pos >= hot or ci >= len(chunks):
                ci, off, pos = 0, 0, 0  # wrap: allocation starts again at the bottom of the young generation
            block = chunks[ci]
            if off >= len(block):
                ci, off = ci + 1, 0
                continue
            n = min(self.STEP_PAGES * PAGE, len(block) - off, hot - pos, nbytes - done + PAGE - 1)
            pages = (n + PAGE - 1) // PAGE
            block[off:off + n:PAGE] = self.ones[:pages]
            off += pages * PAGE
            pos += pages * PAGE
            done += pages * PAGE
        self.cursor = (ci, off, pos)
        self.touched += done
        return done

    def _sweep(self):
        """Read one byte of every held page, yielding the GIL between slices."""
        started = time.monotonic()
        faults = major_faults()
        nbytes = 0
        for block in list(self.memory.chunks):
            for off in range(0, len(block), self.STEP_PAGES * PAGE):
                block[off:off + self.STEP_PAGES * PAGE:PAGE]  # noqa: B018 - the read is the point
                nbytes += min(self.STEP_PAGES * PAGE, len(block) - off)
                time.sleep(0)
        self.swept += nbytes
        self.sweeps += 1
        self.last_sweep_s = time.monotonic() - started
        faults = major_faults() - faults
        # Only worth a line when it was slow or pages came back from swap: that is the cost swap adds.
        if faults > 0 or self.last_sweep_s >= 1.0:
            log('full-sweep', bytes=nbytes, seconds=round(self.last_sweep_s, 3), major_faults=faults)

    def _loop(self):
        last = time.monotonic()
        next_sweep = last + self.sweep_s if self.sweep_s > 0 else None
        carry = 0.0  # idle touching owed (when a round ran late), at most one second of it
        while True:
            time.sleep(self.TICK)
            now = time.monotonic()
            dt, last = now - last, now
            carry = min(carry + self.rate * dt, self.rate)
            with self.lock:
                paid = min(self.debt, self.WORK_RATE_MAX * dt)
                self.debt -= paid
            want = carry + paid
            if want >= PAGE:
                done = self._touch_hot(int(want))
                # What is left (the hot region may be empty yet) stays owed, as idle touching.
                carry = max(0.0, min(carry, want - done))
            if next_sweep is not None and now >= next_sweep:
                self._sweep()
                next_sweep = time.monotonic() + self.sweep_s

    def snapshot(self):
        return {
            'touching': True,
            'active_fraction': self.fraction,
            'hot_bytes': self.hot_bytes(),
            'touch_bytes_per_s': self.rate,
            'touch_per_ingested_byte': self.per_byte,
            'full_sweep_s': self.sweep_s,
            'touched_bytes': self.touched,
            'swept_bytes': self.swept,
            'full_sweeps': self.sweeps,
            'last_sweep_seconds': round(self.last_sweep_s, 3),
            'major_faults': major_faults(),
        }


# ---------------------------------------------------------------- Logstash: forward to Elasticsearch


class Forwarder:
    """Logstash's elasticsearch output: a bounded queue, retried with back-off while ES is down."""

    QUEUE_MAX = 256  # batches; when full the HTTP input answers 429, as Logstash's does when blocked

    def __init__(self, url, index):
        self.url = urllib.parse.urlsplit(url)
        self.index = index
        self.queue = []
        self.cond = threading.Condition()
        self.forwarded = 0
        self.failures = 0
        threading.Thread(target=self._loop, daemon=True).start()

    def offer(self, lines):
        with self.cond:
            if len(self.queue) >= self.QUEUE_MAX:
                return False
            self.queue.append(lines)
            self.cond.notify()
            return True

    def _loop(self):
        backoff = 2.0  # Logstash's elasticsearch output: retry_initial_interval 2 s, doubling to 64 s
        while True:
            with self.cond:
                while not self.queue:
                    self.cond.wait()
                lines = self.queue[0]
            action = json.dumps({'index': {'_index': self.index}}).encode()
            body = b''.join(action + b'\n' + line + b'\n' for line in lines)
            try:
                conn = http.client.HTTPConnection(self.url.hostname, self.url.port or 80, timeout=30)
                conn.request('POST', self.url.path or '/_bulk', body=body, headers={'Content-Type': 'application/x-ndjson'})
                resp = conn.getresponse()
                resp.read()
                conn.close()
                if resp.status >= 300:
                    raise OSError(f'HTTP {resp.status}')
            except OSError as err:
                self.failures += 1
                log('forward-failed', error=str(err), retry_in_s=backoff, queued=len(self.queue))
                time.sleep(backoff)
                backoff = min(backoff * 2, 64.0)
                continue
            backoff = 2.0
            if TOUCHER:
                TOUCHER.work(len(body))  # serialising the batch for the output allocates again
            with self.cond:
                self.queue.pop(0)
            self.forwarded += 1
            log('forwarded', events=len(lines), bytes=len(body))


# ---------------------------------------------------------------- Kibana: poll Elasticsearch


class Poller:
    def __init__(self, url, interval):
        self.url = urllib.parse.urlsplit(url)
        self.interval = interval
        self.ok = None  # unknown until the first poll
        self.polls = 0
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while True:
            try:
                conn = http.client.HTTPConnection(self.url.hostname, self.url.port or 80, timeout=5)
                conn.request('GET', self.url.path or '/')
                resp = conn.getresponse()
                answer = resp.read()
                conn.close()
                if TOUCHER:
                    TOUCHER.work(len(answer))
                ok = resp.status < 300
                detail = f'HTTP {resp.status}'
            except OSError as err:
                ok, detail = False, str(err)
            self.polls += 1
            if ok != self.ok:
                log('poll', ok=ok, detail=detail)
            self.ok = ok
            time.sleep(self.interval)


# ---------------------------------------------------------------- HTTP


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'  # keep-alive, as the real services and their clients use
    server_version = 'standin'

    def log_message(self, fmt, *args):  # our own log lines only
        pass

    # -- helpers

    def send(self, status, payload, content_type='application/json'):
        body = payload if isinstance(payload, bytes) else (json.dumps(payload) + '\n').encode()
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('X-Standin', 'true')
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def body_chunks(self):
        """The request body, a piece at a time (never the whole of a large body in memory)."""
        if self.headers.get('Transfer-Encoding', '').lower() == 'chunked':
            while True:
                size = int(self.rfile.readline().split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline() not in (b'\r\n', b'\n', b''):
                        pass
                    return
                while size > 0:
                    piece = self.rfile.read(min(size, READ_STEP))
                    if not piece:
                        return
                    size -= len(piece)
                    yield piece
                self.rfile.readline()
        else:
            left = int(self.headers.get('Content-Length') or 0)
            while left > 0:
                piece = self.rfile.read(min(left, READ_STEP))
                if not piece:
                    return
                left -= len(piece)
                yield piece

    def path_parts(self):
        path = urllib.parse.urlsplit(self.path).path
        return path, [p for p in path.split('/') if p]

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path, parts = self.path_parts()
        if path == '/_standin/memory':
            return self.send(200, MEMORY.snapshot())
        return getattr(self, 'get_' + CONFIG.of)(path, parts)

    def do_POST(self):
        path, parts = self.path_parts()
        return getattr(self, 'post_' + CONFIG.of)(path, parts)

    do_PUT = do_POST

    # -- Elasticsearch

    def get_elasticsearch(self, path, parts):
        if path == CONFIG.health or path == '/_cluster/health':
            return self.send(200, {
                'cluster_name': 'standin', 'status': 'green', 'timed_out': False, 'number_of_nodes': 1,
                'number_of_data_nodes': 1, 'active_primary_shards': len(INDICES), 'active_shards': len(INDICES),
                'unassigned_shards': 0, 'standin': True,
            })
        if path == '/':
            return self.send(200, {'name': 'standin', 'cluster_name': 'standin', 'tagline': 'You Know, for Search',
                                   'version': {'number': 'standin'}, 'standin': True})
        if path == '/_cat/indices':
            lines = ''.join(f'green open {name} standin 1 0 {docs} 0 {size}b {size}b\n' for name, (docs, size) in sorted(INDICES.items()))
            return self.send(200, lines.encode(), 'text/plain; charset=UTF-8')
        if parts and parts[-1] == '_count':
            if len(parts) == 2:
                count = INDICES.get(parts[0], (0, 0))[0]
            else:
                count = MEMORY.docs
            return self.send(200, {'count': count, '_shards': {'total': 1, 'successful': 1, 'skipped': 0, 'failed': 0}})
        return self.send(404, {'error': {'type': 'standin_unsupported', 'reason': f'GET {path}'}, 'status': 404})

    def post_elasticsearch(self, path, parts):
        if parts and parts[-1] == '_bulk':
            return self.es_bulk(parts[0] if len(parts) == 2 else None)
        if len(parts) >= 2 and parts[1] in ('_doc', '_create'):
            nbytes = 0
            for piece in self.body_chunks():
                nbytes += len(piece)
            index_add(parts[0], 1, nbytes)
            MEMORY.ingest(nbytes, 1)
            log('index', index=parts[0], bytes=nbytes)
            return self.send(201, {'_index': parts[0], '_id': str(MEMORY.docs), 'result': 'created', '_version': 1})
        if path in ('/_search',) or (parts and parts[-1] == '_search'):
            for _ in self.body_chunks():
                pass
            return self.send(200, {'hits': {'total': {'value': MEMORY.docs, 'relation': 'eq'}, 'hits': []}})
        for _ in self.body_chunks():
            pass
        return self.send(404, {'error': {'type': 'standin_unsupported', 'reason': f'POST {path}'}, 'status': 404})

    def es_bulk(self, default_index):
        """Count bytes and documents of an ndjson bulk body, streaming: only action lines are parsed."""
        nbytes = 0
        counts = {}
        expect_action = True
        partial = b''
        for piece in self.body_chunks():
            nbytes += len(piece)
            start = 0
            while start < len(piece):
                nl = piece.find(b'\n', start)
                end = len(piece) if nl < 0 else nl
                if expect_action:
                    partial += piece[start:end]
                if nl < 0:
                    break
                if expect_action:
                    line, partial = partial.strip(), b''
                    if line:
                        index, has_source = bulk_action(line, default_index)
                        counts[index] = counts.get(index, 0) + 1
                        expect_action = not has_source
                else:
                    expect_action = True
                start = nl + 1
        if expect_action and partial.strip():
            index, _ = bulk_action(partial.strip(), default_index)
            counts[index] = counts.get(index, 0) + 1
        docs = sum(counts.values())
        for index, n in counts.items():
            index_add(index, n, nbytes * n // max(docs, 1))
        MEMORY.ingest(nbytes, docs)
        log('bulk', docs=docs, bytes=nbytes, resident_model=MEMORY.model_bytes())
        # Built as bytes, not as one dict per document: tens of thousands of Python objects would
        # leave the interpreter's arenas bigger than the model says for the rest of the run.
        items = b','.join(
            b','.join([json.dumps({'index': {'_index': index, 'status': 201, 'result': 'created'}}).encode()] * n)
            for index, n in counts.items()
        )
        return self.send(200, b'{"took":1,"errors":false,"items":[' + items + b']}\n')

    # -- Logstash (HTTP input; GET / answers like the 9600 node API)

    def get_logstash(self, path, parts):
        if path == CONFIG.health or path == '/':
            return self.send(200, {'host': 'standin', 'version': 'standin', 'status': 'green',
                                   'pipeline': {'workers': os.cpu_count(), 'batch_size': 125},
                                   'forwarded_batches': FORWARDER.forwarded if FORWARDER else 0,
                                   'standin': True})
        return self.send(404, {'error': f'GET {path}'})

    def post_logstash(self, path, parts):
        data = b''.join(self.body_chunks())
        lines = [line for line in data.split(b'\n') if line.strip()]
        MEMORY.ingest(len(data), len(lines))
        if FORWARDER and lines and not FORWARDER.offer(lines):
            log('queue-full', events=len(lines))
            return self.send(429, b'Too Many Requests\n', 'text/plain')
        log('input', events=len(lines), bytes=len(data))
        return self.send(200, b'ok\n', 'text/plain')

    # -- Kibana

    def get_kibana(self, path, parts):
        if path == CONFIG.health or path == '/api/status':
            level = 'available' if (POLLER is None or POLLER.ok) else 'unavailable'
            # Kibana answers 503 while it cannot reach Elasticsearch.
            return self.send(200 if level == 'available' else 503, {
                'name': 'standin', 'version': {'number': 'standin'},
                'status': {'overall': {'level': level, 'summary': 'stand-in'}}, 'standin': True,
            })
        return self.send(404, {'statusCode': 404, 'error': 'Not Found'})

    def post_kibana(self, path, parts):
        for _ in self.body_chunks():
            pass
        return self.send(404, {'statusCode': 404, 'error': 'Not Found'})

    # -- Grafana

    def get_grafana(self, path, parts):
        if path == CONFIG.health or path == '/api/health':
            return self.send(200, {'commit': 'standin', 'database': 'ok', 'version': 'standin', 'standin': True})
        return self.send(404, {'message': 'Not found'})

    def post_grafana(self, path, parts):
        for _ in self.body_chunks():
            pass
        return self.send(404, {'message': 'Not found'})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that hangs up is not our failure; anything else is logged as one line.
        err = sys.exc_info()[1]
        if isinstance(err, (ConnectionError, TimeoutError)):
            return
        log('request-error', client=f'{client_address[0]}:{client_address[1]}', error=repr(err))


INDICES = {}
INDICES_LOCK = threading.Lock()


def index_add(index, docs, nbytes):
    with INDICES_LOCK:
        old_docs, old_bytes = INDICES.get(index, (0, 0))
        INDICES[index] = (old_docs + docs, old_bytes + nbytes)


def bulk_action(line, default_index):
    """(index, whether a source line follows) for one bulk action line."""
    try:
        action = json.loads(line)
        (op, meta), = action.items()
    except (ValueError, AttributeError):
        return default_index or 'unknown', True
    index = (meta or {}).get('_index') or default_index or 'unknown'
    return index, op != 'delete'


def tame_malloc():
    """Make glibc give freed request buffers back to the kernel, so resident memory follows the model.

    By default glibc raises its mmap threshold after a large free (up to 32 MiB) and keeps freed heap
    memory in per-thread arenas; a stand-in that reads bodies in 1 MiB pieces would then keep some
    of them resident. Setting the threshold fixes it (and turns the dynamic adjustment off).
    """
    try:
        import ctypes

        libc = ctypes.CDLL('libc.so.6')
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
        libc.mallopt(M_MMAP_THRESHOLD, 128 * KiB)
        libc.mallopt(M_TRIM_THRESHOLD, 1 * MiB)
        libc.mallopt(M_ARENA_MAX, 2)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to tune


def main():
    global CONFIG, MEMORY, FORWARDER, POLLER, TOUCHER
    CONFIG = Config()
    tame_malloc()
    limit, where = cgroup_memory_limit()
    total = meminfo('MemTotal')
    MEMORY = Memory(CONFIG, limit, total)
    log('start', service=env_str('STANDIN_SERVICE', CONFIG.of), pid=os.getpid(), port=CONFIG.port, cgroup=where, cgroup_limit_bytes=limit if limit else 'none',
        seen_bytes=MEMORY.seen, heap_bytes=MEMORY.heap if MEMORY.heap else 'n/a', baseline_bytes=MEMORY.baseline,
        growth_per_byte=CONFIG.growth, ceiling_bytes=MEMORY.ceiling, ceiling_action=CONFIG.ceiling_action)

    # Hold the baseline before listening, as Elasticsearch pre-touches its heap before it binds.
    started = time.monotonic()
    MEMORY.settle()
    log('baseline-held', held_bytes=MEMORY.held, overhead_bytes=MEMORY.overhead, rss_anon_bytes=rss_anon(),
        seconds=round(time.monotonic() - started, 2))
    if Toucher.wanted(CONFIG):
        TOUCHER = Toucher(MEMORY, CONFIG)
        log('touching', active_fraction=CONFIG.active_fraction, hot_bytes=TOUCHER.hot_bytes(), touch_bytes_per_s=CONFIG.touch_rate,
            touch_per_ingested_byte=CONFIG.touch_per_byte, full_sweep_s=CONFIG.full_sweep_s)

    FORWARDER = Forwarder(CONFIG.forward_url, CONFIG.forward_index) if CONFIG.forward_url else None
    POLLER = Poller(CONFIG.poll_url, CONFIG.poll_interval) if CONFIG.poll_url else None

    try:
        server = Server((CONFIG.host, CONFIG.port), Handler)
    except OSError as err:
        log('fatal', error=f'cannot listen on {CONFIG.host}:{CONFIG.port}: {err}')
        sys.exit(1)

    def on_term(signum, frame):
        log('stop', signal=signal.Signals(signum).name)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    log('listening', url=f'http://{CONFIG.host}:{CONFIG.port}{CONFIG.health}')
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    log('exit', code=0)


CONFIG = None
MEMORY = None
FORWARDER = None
POLLER = None
TOUCHER = None

VERSION = 'standin 1 (python ' + sys.version.split()[0] + ')'

if __name__ == '__main__':
    if sys.argv[1:] == ['--version']:
        print(VERSION)
        sys.exit(0)
    main()
