"""Prometheus metrics with the seed's names.

Import this only after run.py has set PROMETHEUS_MULTIPROC_DIR (when WEB_CONCURRENCY > 1):
prometheus_client decides at import time whether values live in per-process mmap files.
"""
from __future__ import annotations

import os
from typing import Iterable, List

from prometheus_client import (
    CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, CounterMetricFamily

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

# Latency buckets around the seed's targets: 60 ms average, p95 alerts at 2-3 s, p99 < 1 s.
_API_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.0, 3.0, 5.0, 10.0)
_DB_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

CACHE_HITS = Counter("cache_hits", "Redis cache hits", ["cache"])
CACHE_MISSES = Counter("cache_misses", "Redis cache misses", ["cache"])
CACHE_ERRORS = Counter(
    "cache_errors", "Redis operations that failed (the request fell back to PostgreSQL)", ["op"])
CACHE_BYPASSED = Counter(
    "cache_bypassed", "Cache lookups skipped because Redis failed moments ago", ["op"])
DB_QUERY = Histogram(
    "db_query_duration_seconds", "PostgreSQL query time", ["query"], buckets=_DB_BUCKETS)
API_REQUEST = Histogram(
    "api_request_duration_seconds", "HTTP request time, by route template",
    ["method", "route", "status"], buckets=_API_BUCKETS)
DB_POOL_IN_USE = Gauge(
    "db_pool_connections_in_use", "PostgreSQL connections checked out of the pool (in use)",
    multiprocess_mode="livesum")
DB_CONNECTION_SECONDS = Counter(
    "db_connection_hold_seconds", "Seconds PostgreSQL connections were checked out of the pool, summed"
    " (its rate: the average number in use)")
DB_CONNECTIONS_PEAK = Gauge(
    "db_connections_peak", "Most PostgreSQL connections checked out at once since the app started",
    multiprocess_mode="max")
DB_POOL_OPEN = Gauge(
    "db_pool_connections_open", "PostgreSQL connections open in the pool (in use + idle)",
    multiprocess_mode="livesum")
DB_POOL_MAX = Gauge(
    "db_pool_max_size", "Pool capacity (sum over workers)", multiprocess_mode="livesum")
LOG_SHIP_BATCHES = Counter("log_ship_batches", "Access-log batches shipped to LOG_SHIP_URL")
LOG_SHIP_LINES = Counter("log_ship_lines", "Access-log lines shipped to LOG_SHIP_URL")
LOG_SHIP_FAILURES = Counter("log_ship_failures", "Access-log batches that failed to ship")
LOG_SHIP_DROPPED = Counter(
    "log_ship_dropped_lines", "Access-log lines dropped (failed batch or full buffer)")


# Create every child up front so each series exists (at 0) from the first scrape: rate() and
# "did it grow" checks need the series before the first event.
for _kind in ("user", "conversation", "messages", "document", "user_conversations"):
    CACHE_HITS.labels(_kind)
    CACHE_MISSES.labels(_kind)
for _op in ("get", "set", "delete"):
    CACHE_ERRORS.labels(_op)
for _op in ("get", "set"):
    CACHE_BYPASSED.labels(_op)


def _read_proc_tree(root_pid: int) -> List[int]:
    """root_pid and all its descendants (uvicorn's supervisor and its workers)."""
    pids, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return pids


_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICKS = os.sysconf("SC_CLK_TCK")


class AppProcessCollector:
    """process_* for the whole app: with several workers, the sum over the supervisor and every
    worker (what the app costs the box), not just whichever worker answered the scrape."""

    def __init__(self) -> None:
        self.root_pid = int(os.environ.get("APP_ROOT_PID") or os.getpid())

    def collect(self) -> Iterable:
        rss = vms = cpu = 0.0
        for pid in _read_proc_tree(self.root_pid):
            try:
                with open(f"/proc/{pid}/statm") as f:
                    parts = f.read().split()
                vms += int(parts[0]) * _PAGE
                rss += int(parts[1]) * _PAGE
                with open(f"/proc/{pid}/stat") as f:
                    stat = f.read().rsplit(")", 1)[1].split()
                cpu += (int(stat[11]) + int(stat[12])) / _TICKS
            except (OSError, IndexError, ValueError):
                continue
        yield GaugeMetricFamily(
            "process_resident_memory_bytes", "Resident memory of the app (all its processes)",
            value=rss)
        yield GaugeMetricFamily(
            "process_virtual_memory_bytes", "Virtual memory of the app (all its processes)",
            value=vms)
        yield CounterMetricFamily(
            "process_cpu_seconds", "User and system CPU time of the app (all its processes)",
            value=cpu)


class ScrapeTimeCollector:
    """Values read fresh at every scrape (set by the /metrics handler just before rendering)."""

    def __init__(self) -> None:
        self.database_size = float("nan")
        self.db_connections = float("nan")

    def collect(self) -> Iterable:
        yield GaugeMetricFamily(
            "postgresql_database_size", "Size of the app's PostgreSQL database in bytes",
            value=self.database_size)
        # PostgreSQL's own count (pg_stat_activity), every worker's pool and anyone else connected:
        # what the seed's `db_connections > 80` alert is about (max_connections is 100).
        yield GaugeMetricFamily(
            "db_connections", "Client connections to PostgreSQL (pg_stat_activity), all workers",
            value=self.db_connections)


SCRAPE_TIME = ScrapeTimeCollector()
_PROCESS = AppProcessCollector()

if MULTIPROCESS:
    from prometheus_client import multiprocess

    def render() -> bytes:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(_PROCESS)
        registry.register(SCRAPE_TIME)
        return generate_latest(registry)
else:
    # Replace the default single-process collector with ours (same metric names).
    from prometheus_client import PROCESS_COLLECTOR
    REGISTRY.unregister(PROCESS_COLLECTOR)
    REGISTRY.register(_PROCESS)
    REGISTRY.register(SCRAPE_TIME)

    def render() -> bytes:
        return generate_latest(REGISTRY)

__all__ = ["CONTENT_TYPE_LATEST", "render"]
