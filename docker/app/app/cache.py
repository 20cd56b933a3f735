"""Redis cache-aside with a short circuit breaker.

Every failure is counted (cache_errors_total) and the request goes on with PostgreSQL. After a
failure Redis is skipped for REDIS_RETRY_AFTER seconds (counted in cache_bypassed_total), so a
dead Redis costs one fast failure a second, not a timeout on every request.
"""
from __future__ import annotations

import time
from typing import Optional

import redis.asyncio as aioredis
from redis.asyncio.connection import Connection, SSLConnection

from . import metrics
from .settings import Settings


class Cache:
    def __init__(self, s: Settings) -> None:
        # CACHE_ENABLED=false: no Redis call at all (every read goes to PostgreSQL, nothing is
        # counted as a hit or a miss), the "without Redis" side of the seed's Redis claim.
        self.enabled = s.cache_enabled
        self.retry_after = s.redis_retry_after
        self._down_until = 0.0
        # Keys whose invalidation failed while Redis was unreachable: deleted before the next
        # read once it answers again, so a recovered Redis never serves what a POST made stale.
        self._pending: set = set()
        pool = aioredis.BlockingConnectionPool(
            connection_class=SSLConnection if s.redis_ssl else Connection,
            max_connections=s.redis_pool_size,
            timeout=s.redis_timeout,  # wait for a free pooled connection at most this long
            host=s.redis_host, port=s.redis_port, db=s.redis_db, password=s.redis_password,
            socket_timeout=s.redis_timeout, socket_connect_timeout=s.redis_timeout,
        )
        self.client = aioredis.Redis(connection_pool=pool)

    async def close(self) -> None:
        try:
            await self.client.close()
            await self.client.connection_pool.disconnect()
        except Exception:
            pass

    def _available(self, op: str) -> bool:
        if self._down_until and time.monotonic() < self._down_until:
            metrics.CACHE_BYPASSED.labels(op).inc()
            return False
        return True

    def _failed(self, op: str) -> None:
        metrics.CACHE_ERRORS.labels(op).inc()
        self._down_until = time.monotonic() + self.retry_after

    def _ok(self) -> None:
        self._down_until = 0.0

    @property
    def healthy(self) -> bool:
        return not (self._down_until and time.monotonic() < self._down_until)

    async def get(self, kind: str, key: str, field: Optional[str] = None) -> Optional[bytes]:
        """The cached bytes, or None on a miss or when Redis cannot answer (then not a miss)."""
        if not self.enabled or not self._available("get"):
            return None
        try:
            if self._pending:
                keys = list(self._pending)
                if "*" in self._pending:
                    await self.client.flushdb()
                else:
                    await self.client.delete(*keys)
                self._pending.difference_update(keys)
            value = await (self.client.hget(key, field) if field else self.client.get(key))
        except Exception:
            self._failed("get")
            return None
        self._ok()
        if value is None:
            metrics.CACHE_MISSES.labels(kind).inc()
        else:
            metrics.CACHE_HITS.labels(kind).inc()
        return value

    async def set(self, key: str, value: bytes, ttl: int, field: Optional[str] = None) -> None:
        if not self.enabled or not self._available("set"):
            return
        try:
            if field:
                # A hash per conversation holds its message pages: one DEL drops them all.
                async with self.client.pipeline(transaction=False) as pipe:
                    pipe.hset(key, field, value)
                    pipe.expire(key, ttl)
                    await pipe.execute()
            else:
                await self.client.set(key, value, ex=ttl)
        except Exception:
            self._failed("set")
            return
        self._ok()

    async def delete(self, *keys: str) -> bool:
        """Invalidation is attempted even when the breaker is open: a stale entry is worse than a
        short wait. On failure the keys are remembered and deleted before the next read."""
        if not self.enabled:
            return True
        try:
            await self.client.delete(*keys)
        except Exception:
            self._failed("delete")
            self._pending.update(keys)
            if len(self._pending) > 100_000:
                # Too many to remember: drop the whole cache once Redis is back instead.
                self._pending = {"*"}
            return False
        self._ok()
        return True

    async def ping(self) -> bool:
        if not self.enabled:
            return False
        try:
            await self.client.ping()
        except Exception:
            return False
        return True
