"""Schema creation and the one-time seed, run by run.py before uvicorn starts.

Rows are generated in Python and loaded with COPY (asyncpg copy_records_to_table) in a single
transaction, so a crash mid-seed leaves nothing behind and the marker row appears only with the
data. An advisory lock keeps two starting instances from seeding at once.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import random
import sys
import time

import asyncpg

from .schema import DDL
from .settings import Settings

SEED_LOCK_KEY = 7_263_100_301  # any constant: the advisory-lock id of "schema + seed"

_WORDS = (
    "memory cache redis postgres index query latency cursor page deploy server worker pool "
    "metric alert budget docker compose token stream vector embed model prompt answer user "
    "assistant system context window retry timeout backoff shard replica vacuum analyze plan "
    "hello thanks please could you explain why how what when where summary draft review fix"
).split()
_ROLES = ("user", "assistant")


def _log(msg: str) -> None:
    print(f"[seed] {msg}", file=sys.stderr, flush=True)


def _sentence(rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(rng.choices(_WORDS, k=rng.randint(lo, hi)))


async def connect_with_retry(settings: Settings) -> asyncpg.Connection:
    """PostgreSQL may still be starting next to us: retry for DB_CONNECT_WAIT seconds."""
    deadline = time.monotonic() + settings.db_connect_wait
    delay = 0.2
    while True:
        try:
            return await asyncpg.connect(settings.database_url, timeout=5)
        except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"cannot connect to DATABASE_URL after {settings.db_connect_wait:.0f}s: {exc}"
                ) from exc
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


async def ensure_schema_and_seed(settings: Settings) -> None:
    conn = await connect_with_retry(settings)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", SEED_LOCK_KEY)
        try:
            await conn.execute(DDL)
            done = await conn.fetchval("SELECT count(*) FROM seed_marker")
            if done:
                _log("already seeded; skipping")
                return
            await _seed(conn, settings)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", SEED_LOCK_KEY)
    finally:
        await conn.close()


async def _seed(conn: asyncpg.Connection, s: Settings) -> None:
    started = time.monotonic()
    rng = random.Random(42)  # same data every time: runs stay comparable
    base = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    step = dt.timedelta(seconds=30)

    users = [(i, f"user{i}", f"user{i}@example.com", base) for i in range(1, s.seed_users + 1)]
    conversations = [
        (i, rng.randint(1, s.seed_users), f"conversation {i}: {_sentence(rng, 2, 6)}", base, base)
        for i in range(1, s.seed_conversations + 1)
    ]
    # Skewed like real chat data: low ids get long threads (conversation 1 holds ~1 % of all
    # messages), most get a handful, some none.
    n_conv = s.seed_conversations
    messages = []
    append = messages.append
    for i in range(1, s.seed_messages + 1):
        conv = min(n_conv, 1 + int(n_conv * rng.random() ** 2))
        append((i, conv, _ROLES[i & 1], _sentence(rng, 5, 40), base + step * i))
    documents = []
    for i in range(1, s.seed_documents + 1):
        # "a few KB" of text each
        body = _sentence(rng, 300, 900)
        documents.append((i, rng.randint(1, s.seed_users), f"document {i}", body, base))
    generated = time.monotonic()

    async with conn.transaction():
        await conn.copy_records_to_table(
            "users", records=users, columns=["id", "username", "email", "created_at"])
        await conn.copy_records_to_table(
            "conversations", records=conversations,
            columns=["id", "user_id", "title", "created_at", "updated_at"])
        await conn.copy_records_to_table(
            "messages", records=messages,
            columns=["id", "conversation_id", "role", "content", "created_at"])
        await conn.copy_records_to_table(
            "documents", records=documents,
            columns=["id", "user_id", "title", "content", "created_at"])
        # Explicit ids were loaded: move the identity sequences past them so inserts work.
        for table in ("users", "conversations", "messages", "documents"):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" GREATEST((SELECT max(id) FROM {table}), 1))")
        await conn.execute(
            "INSERT INTO seed_marker (users, conversations, messages, documents, seconds)"
            " VALUES ($1, $2, $3, $4, $5)",
            len(users), len(conversations), len(messages), len(documents),
            time.monotonic() - started)
    # Fresh statistics, so the planner picks the indexes from the first request on.
    await conn.execute("ANALYZE users, conversations, messages, documents")
    _log(
        f"seeded {len(users)} users, {len(conversations)} conversations, {len(messages)} messages,"
        f" {len(documents)} documents in {time.monotonic() - started:.1f}s"
        f" (generate {generated - started:.1f}s, load {time.monotonic() - generated:.1f}s)")
