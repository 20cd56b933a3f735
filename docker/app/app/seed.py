"""Schema creation and the one-time seed, run by run.py before uvicorn starts.

Two ways to seed a fresh database:
- counts (SEED_USERS, SEED_CONVERSATIONS, ...): rows generated in Python and loaded with COPY in a
  single transaction; a few seconds, for small test stacks;
- a size (SEED_DATA_BYTES, what `simulate --data 3g` asks for): set-based SQL (generate_series)
  in batches of about 64 MB until pg_database_size reaches the size, the secondary indexes built
  after the rows, long-tailed sizes (messages of tens of bytes to several KB, conversations of a
  few messages to thousands, documents of tens of KB with a tail of much larger ones).
Either way the marker row appears only with the data, and an advisory lock keeps two starting
instances from seeding at once.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import random
import sys
import time

import asyncpg

from .schema import DDL, index_ddl
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
            elif settings.seed_data_bytes > 0:
                await seed_to_size(conn, settings.seed_data_bytes)
            else:
                await conn.execute(index_ddl(True))  # before the COPY, as the small seed always did
                await _seed(conn, settings)
            # DB_INDEXES: the secondary indexes present (built if missing) or dropped, whatever the
            # seed or a kept copy of the data left behind.
            await conn.execute(index_ddl(settings.db_indexes))
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


# ---- seeding to a size -------------------------------------------------------------------

BATCH_BYTES = 64 * 1024 * 1024
# Bytes an index entry costs on average (btree leaf tuple + item pointer + page fill), used to
# stop adding rows when rows + the indexes still to build reach the target.
_INDEX_BYTES_PER_ROW = {"messages": 2 * 40, "documents": 2 * 36, "conversations": 2 * 36, "users": 3 * 40}


def _corpus(rng: random.Random, size: int) -> bytes:
    """Text that slices of every message and document come from: words of the chat vocabulary
    and made-up ones, so values differ row to row and compress about as much as prose."""
    made_up = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(3, 11))) for _ in range(4000)]
    vocab = _WORDS * 40 + made_up
    out, n = [], 0
    while n < size:
        w = rng.choice(vocab)
        out.append(w)
        n += len(w) + 1
    return " ".join(out).encode()[:size]


# One batch: users, their conversations (message counts Pareto-distributed: most a handful, a few
# thousands, so cursor chains go many pages deep), the messages in arrival order across
# conversations, and documents (log-uniform 8-160 KB, 2 % of them 0.5-2 MB).
# $1 first user id, $2 users, $3 first conversation id, $4 conversations, $5 first document id,
# $6 documents, $7 corpus, $8 epoch of the batch's first row.
_BATCH_SQL = [
    # (statement, which of the batch's arguments it takes)
    ("""INSERT INTO users (id, username, email, created_at)
        SELECT g, 'user' || g, 'user' || g || '@example.com', to_timestamp($3::bigint) + g * interval '1 second'
        FROM generate_series($1::bigint, $1::bigint + $2 - 1) g""", (1, 2, 8)),
    ("""INSERT INTO conversations (id, user_id, title, created_at, updated_at)
        SELECT g, $1::bigint + floor(random() * $2::bigint)::bigint,
               'conversation ' || g || ': ' || convert_from(substring($5::bytea FROM 1 + floor(random() * 100000)::int FOR 24), 'UTF8'),
               to_timestamp($6::bigint), to_timestamp($6::bigint)
        FROM generate_series($3::bigint, $3::bigint + $4 - 1) g""", (1, 2, 3, 4, 7, 8)),
    ("""INSERT INTO messages (conversation_id, role, content, created_at)
        SELECT c.id, CASE WHEN k % 2 = 1 THEN 'user' ELSE 'assistant' END,
               convert_from(substring($3::bytea FROM 1 + floor(random() * (length($3::bytea) - l.len::int))::int FOR l.len::int), 'UTF8'),
               to_timestamp($4::bigint) + k * interval '30 seconds'
        FROM (SELECT g AS id, least(3000, floor(2 / (1 - random()) ^ (1 / 1.1)))::int AS n
              FROM generate_series($1::bigint, $1::bigint + $2 - 1) g) c
        CROSS JOIN LATERAL generate_series(1, c.n) k
        CROSS JOIN LATERAL (SELECT floor(exp(ln(20) + random() * ln(300)))::int + (k * 0) AS len) l
        ORDER BY random()""", (3, 4, 7, 8)),
    ("""INSERT INTO documents (id, user_id, title, content, created_at)
        SELECT g, $1::bigint + floor(random() * $2::bigint)::bigint, 'document ' || g,
               convert_from(substring($5::bytea FROM 1 + floor(random() * (length($5::bytea) - l.len::int))::int FOR l.len::int), 'UTF8'),
               to_timestamp($6::bigint)
        FROM generate_series($3::bigint, $3::bigint + $4 - 1) g
        CROSS JOIN LATERAL (SELECT CASE WHEN random() < 0.02
                                   THEN floor(exp(ln(512 * 1024) + random() * ln(4)))::int
                                   ELSE floor(exp(ln(8 * 1024) + random() * ln(20)))::int END + (g * 0) AS len) l""",
     (1, 2, 5, 6, 7, 8)),
]
# Per batch of about 64 MB: ~20 MB of documents (mean ~70 KB before compression), ~45 MB of
# messages (mean ~1 KB, ~11 a
# conversation), the rest users and conversations.
_BATCH_USERS, _BATCH_CONVERSATIONS, _BATCH_DOCUMENTS = 400, 4000, 300

_SECONDARY_INDEXES = [
    "CREATE INDEX IF NOT EXISTS messages_conversation_id_id_idx ON messages (conversation_id, id)",
    "CREATE INDEX IF NOT EXISTS conversations_user_id_idx ON conversations (user_id)",
    "CREATE INDEX IF NOT EXISTS documents_user_id_idx ON documents (user_id)",
]


async def _size_estimate(conn: asyncpg.Connection) -> "tuple[int, int]":
    """(database bytes now + the indexes still to build, rows)."""
    row = await conn.fetchrow(
        "SELECT pg_database_size(current_database()) AS db,"
        " (SELECT count(*) FROM messages) AS m, (SELECT count(*) FROM documents) AS d,"
        " (SELECT count(*) FROM conversations) AS c, (SELECT count(*) FROM users) AS u")
    pending = row["m"] * _INDEX_BYTES_PER_ROW["messages"] // 2 + row["c"] * 36 + row["d"] * 36
    return row["db"] + pending, row["m"] + row["d"] + row["c"] + row["u"]


async def seed_to_size(conn: asyncpg.Connection, target: int) -> None:
    started = time.monotonic()
    rng = random.Random(42)
    corpus = _corpus(rng, 4 * 1024 * 1024)
    await conn.execute("SELECT setseed(0.42)")
    # The secondary indexes go after the rows: one sorted build instead of a random insert per row.
    for stmt in _SECONDARY_INDEXES:
        await conn.execute(f"DROP INDEX IF EXISTS {stmt.split()[5]}")
    await conn.execute("SET synchronous_commit = off")
    await conn.execute("SET work_mem = '256MB'")
    await conn.execute("SET maintenance_work_mem = '512MB'")
    # Ids are loaded explicitly; the rows are consistent by construction, so the per-row
    # foreign-key triggers are skipped (the app's role owns the database and is a superuser).
    await conn.execute("SET session_replication_role = replica")
    users = conversations = documents = 0
    size, rows = await _size_estimate(conn)
    epoch = 1_704_067_200  # 2024-01-01
    while size < target:
        async with conn.transaction():
            args = (users + 1, _BATCH_USERS, conversations + 1, _BATCH_CONVERSATIONS,
                    documents + 1, _BATCH_DOCUMENTS, corpus, epoch + conversations * 10)
            for sql, which in _BATCH_SQL:
                await conn.execute(sql, *(args[i - 1] for i in which))
        users += _BATCH_USERS
        conversations += _BATCH_CONVERSATIONS
        documents += _BATCH_DOCUMENTS
        size, rows = await _size_estimate(conn)
        # One line a batch, parsed by simulate for its progress display: keep the format.
        print(f"[seed] progress rows={rows} bytes={size} target={target}"
              f" elapsed={time.monotonic() - started:.1f}", file=sys.stderr, flush=True)
    await conn.execute("SET session_replication_role = DEFAULT")
    print(f"[seed] indexes rows={rows} bytes={size} target={target}"
          f" elapsed={time.monotonic() - started:.1f}", file=sys.stderr, flush=True)
    for stmt in _SECONDARY_INDEXES:
        await conn.execute(stmt)
    for table in ("users", "conversations", "messages", "documents"):
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" GREATEST((SELECT max(id) FROM {table}), 1))")
    counts = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM users) u, (SELECT count(*) FROM conversations) c,"
        " (SELECT count(*) FROM messages) m, (SELECT count(*) FROM documents) d")
    await conn.execute(
        "INSERT INTO seed_marker (users, conversations, messages, documents, seconds)"
        " VALUES ($1, $2, $3, $4, $5)", counts["u"], counts["c"], counts["m"], counts["d"],
        time.monotonic() - started)
    await conn.execute("VACUUM (ANALYZE) users, conversations, messages, documents")
    db = await conn.fetchval("SELECT pg_database_size(current_database())")
    print(f"[seed] done users={counts['u']} conversations={counts['c']} messages={counts['m']}"
          f" documents={counts['d']} bytes={db} seconds={time.monotonic() - started:.1f}",
          file=sys.stderr, flush=True)
