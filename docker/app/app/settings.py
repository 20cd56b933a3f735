"""Configuration from the environment, parsed once; a bad value stops the start with a clear line."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional


class SettingsError(ValueError):
    pass


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise SettingsError(f"{name}={value} must be >= {minimum}")
    return value


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean (true/false)")


def _choice(name: str, default: str, allowed: tuple) -> str:
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw not in allowed:
        raise SettingsError(f"{name}={raw!r} is not one of {', '.join(allowed)}")
    return raw


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    workers: int
    database_url: str
    db_pool_size: int
    db_pool_min: int
    db_pool_idle_lifetime: float
    db_command_timeout: float
    db_connect_wait: float
    redis_host: str
    redis_port: int
    redis_db: int
    redis_password: Optional[str]
    redis_ssl: bool
    redis_pool_size: int
    redis_timeout: float
    redis_retry_after: float
    ttl_conversation: int
    ttl_user: int
    ttl_document: int
    ttl_messages: int
    log_ship_url: Optional[str]
    log_ship_batch: int
    log_ship_interval: float
    log_ship_buffer: int
    # The seed's optimisations as switches (each on by default, as the seed says "do it"), so a
    # comparison can measure what each one buys: see README "Switches".
    cache_enabled: bool
    pagination: str
    db_indexes: bool
    eager_loading: bool
    seed_users: int
    seed_conversations: int
    seed_messages: int
    seed_documents: int
    seed_data_bytes: int


def load() -> Settings:
    ttl_conversation = _int("CACHE_TTL_CONVERSATION", 1800, 1)
    return Settings(
        host=os.environ.get("APP_HOST", "127.0.0.1"),
        port=_int("APP_PORT", 8000, 1),
        # One worker by default: the 4 GB box has 2 cores shared with PostgreSQL, Redis,
        # Prometheus and the load generator; one uvicorn worker already serves ~4,000 cached
        # GETs/s (FACTS.md), far above the 300 req/s target, and each extra worker costs
        # ~50-60 MB of RSS and a second copy of every pool.
        workers=_int("WEB_CONCURRENCY", 1, 1),
        database_url=os.environ.get("DATABASE_URL", "postgresql://app:app@127.0.0.1:5432/app"),
        # Per worker. 10 covers 300 req/s of ~2 ms queries many times over and keeps the
        # PostgreSQL backends (each with its own memory) few.
        db_pool_size=_int("DB_POOL_SIZE", 10, 1),
        # Connections a worker's pool opens at start (at most DB_POOL_SIZE), and how long a connection may sit
        # idle before the pool closes it (0: never). This asyncpg closes an idle connection after the lifetime
        # whatever min_size says, so a pool is held whole only with both: DB_POOL_MIN=DB_POOL_SIZE and 0.
        # asyncpg's own defaults: min_size = max_size = 10, 300 s.
        db_pool_min=_int("DB_POOL_MIN", 2, 1),
        db_pool_idle_lifetime=_float("DB_POOL_IDLE_LIFETIME", 60.0),
        db_command_timeout=_float("DB_COMMAND_TIMEOUT", 10.0),
        db_connect_wait=_float("DB_CONNECT_WAIT", 60.0),
        redis_host=os.environ.get("REDIS_HOST", "127.0.0.1"),
        redis_port=_int("REDIS_PORT", 6379, 1),
        redis_db=_int("REDIS_DB", 0, 0),
        redis_password=os.environ.get("REDIS_PASSWORD") or None,
        redis_ssl=_bool("REDIS_SSL", False),
        redis_pool_size=_int("REDIS_POOL_SIZE", 32, 1),
        # Short timeouts: a dead or stalled Redis must not hold a request longer than this.
        redis_timeout=_float("REDIS_TIMEOUT", 0.25),
        redis_retry_after=_float("REDIS_RETRY_AFTER", 1.0),
        ttl_conversation=ttl_conversation,
        ttl_user=_int("CACHE_TTL_USER", 3600, 1),
        ttl_document=_int("CACHE_TTL_DOCUMENT", 43200, 1),
        # Message pages belong to a conversation: same lifetime unless told otherwise.
        ttl_messages=_int("CACHE_TTL_MESSAGES", ttl_conversation, 1),
        log_ship_url=os.environ.get("LOG_SHIP_URL") or None,
        log_ship_batch=_int("LOG_SHIP_BATCH", 500, 1),
        log_ship_interval=_float("LOG_SHIP_INTERVAL", 1.0),
        log_ship_buffer=_int("LOG_SHIP_BUFFER", 20000, 1),
        cache_enabled=_bool("CACHE_ENABLED", True),
        pagination=_choice("PAGINATION", "cursor", ("cursor", "offset")),
        db_indexes=_bool("DB_INDEXES", True),
        eager_loading=_bool("EAGER_LOADING", True),
        seed_users=_int("SEED_USERS", 1000, 1),
        seed_conversations=_int("SEED_CONVERSATIONS", 10000, 1),
        seed_messages=_int("SEED_MESSAGES", 200000, 0),
        seed_documents=_int("SEED_DOCUMENTS", 2000, 0),
        # A size in bytes: seed set-based until pg_database_size reaches it (0: use the counts).
        seed_data_bytes=_int("SEED_DATA_BYTES", 0, 0),
    )
