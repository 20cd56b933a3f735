"""asyncpg pool and timed queries: every query is observed in db_query_duration_seconds."""
from __future__ import annotations

import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Optional

import asyncpg

from . import metrics
from .settings import Settings


class Database:
    def __init__(self) -> None:
        self.pool: Optional[asyncpg.Pool] = None
        # Connections checked out right now, and the most at once since start: what the seed's
        # "eager loading cuts database connections" is about (a request that holds its connection
        # through N+1 round trips keeps more of them busy at the same rate).
        self.in_use = 0
        self.peak_in_use = 0

    async def open(self, s: Settings) -> None:
        self.pool = await asyncpg.create_pool(
            s.database_url,
            min_size=min(s.db_pool_min, s.db_pool_size),
            max_size=s.db_pool_size,
            command_timeout=s.db_command_timeout,
            # By default idle connections go back after a minute: fewer PG backends at rest (DB_POOL_IDLE_LIFETIME).
            max_inactive_connection_lifetime=s.db_pool_idle_lifetime,
        )
        metrics.DB_POOL_MAX.set(s.db_pool_size)
        self.sample()

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    def sample(self) -> None:
        """Copy the pool's counts into the gauges (called every second and at each scrape)."""
        if self.pool is None:
            return
        size = self.pool.get_size()
        metrics.DB_POOL_OPEN.set(size)
        metrics.DB_POOL_IN_USE.set(size - self.pool.get_idle_size())

    @asynccontextmanager
    async def acquire(self, timeout: float = 5.0) -> AsyncIterator[asyncpg.Connection]:
        assert self.pool is not None
        async with self.pool.acquire(timeout=timeout) as conn:
            self.in_use += 1
            held_from = time.perf_counter()
            if self.in_use > self.peak_in_use:
                self.peak_in_use = self.in_use
                metrics.DB_CONNECTIONS_PEAK.set(self.peak_in_use)
            try:
                yield conn
            finally:
                self.in_use -= 1
                # Seconds of connection held, summed: its rate is the average number of
                # connections in use (Little's law), whatever the sampling.
                metrics.DB_CONNECTION_SECONDS.inc(time.perf_counter() - held_from)


async def fetch(conn: asyncpg.Connection, name: str, sql: str, *args: Any) -> list:
    t0 = time.perf_counter()
    try:
        return await conn.fetch(sql, *args)
    finally:
        metrics.DB_QUERY.labels(name).observe(time.perf_counter() - t0)


async def fetchrow(conn: asyncpg.Connection, name: str, sql: str, *args: Any):
    t0 = time.perf_counter()
    try:
        return await conn.fetchrow(sql, *args)
    finally:
        metrics.DB_QUERY.labels(name).observe(time.perf_counter() - t0)


async def fetchval(conn: asyncpg.Connection, name: str, sql: str, *args: Any):
    t0 = time.perf_counter()
    try:
        return await conn.fetchval(sql, *args)
    finally:
        metrics.DB_QUERY.labels(name).observe(time.perf_counter() - t0)
