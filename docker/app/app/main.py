"""The FastAPI app: routes, cache-aside reads, error mapping, startup and shutdown.

Handlers return the JSON bytes themselves (the cached bytes on a hit): no re-encoding on the hot
path, which is what keeps a cached GET cheap.
"""
from __future__ import annotations

import asyncio
import json
import os
from typing import Any, Optional

import asyncpg
from fastapi import Body, FastAPI, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from pydantic import BaseModel, Field, StrictStr, validator
from typing_extensions import Literal

from . import db as dbq
from . import metrics
from .access_log import AccessLog, AccessLogMiddleware
from .cache import Cache
from .db import Database
from .log_shipper import LogShipper
from .settings import load

settings = load()
database = Database()
cache = Cache(settings)
shipper = (
    LogShipper(settings.log_ship_url, settings.log_ship_batch, settings.log_ship_interval,
               settings.log_ship_buffer)
    if settings.log_ship_url else None
)
access_log = AccessLog(shipper)

app = FastAPI(title="simulate system-under-test", docs_url=None, redoc_url=None,
              openapi_url=None)
app.add_middleware(AccessLogMiddleware, log=access_log)

MAX_ID = 2**63 - 1  # ids are BIGINT: larger values are bad input (422), not a database error
LATEST_MESSAGES = 20
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
SIDEBAR_SIZE = 20
JSON = "application/json"


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _json(body: bytes, status: int = 200) -> Response:
    return Response(content=body, status_code=status, media_type=JSON)


def _error(status: int, message: str) -> Response:
    return _json(_dumps({"detail": message, "message": message}), status)


def _ts(value) -> str:
    return value.isoformat()


def _user(r) -> dict:
    return {"id": r["id"], "username": r["username"], "email": r["email"],
            "created_at": _ts(r["created_at"])}


def _message(r) -> dict:
    return {"id": r["id"], "conversation_id": r["conversation_id"], "role": r["role"],
            "content": r["content"], "created_at": _ts(r["created_at"])}


# ---- errors: malformed input is 422 with a message; a lost database is 503; never a bare 500

@app.exception_handler(RequestValidationError)
async def _invalid(request: Request, exc: RequestValidationError) -> Response:
    problems = []
    for err in exc.errors():
        loc = err.get("loc", ())
        if err.get("type") == "value_error.jsondecode":
            problems.append(f"body: invalid JSON ({err.get('msg')})")
            continue
        where = ".".join(str(p) for p in loc)
        problems.append(f"{where}: {err.get('msg')}")
    message = "invalid request: " + "; ".join(problems)
    return _json(_dumps({"message": message, "detail": jsonable_encoder(exc.errors())}), 422)


@app.exception_handler(StarletteHTTPException)
async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    response = _error(exc.status_code, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


_UNAVAILABLE = (
    OSError, asyncio.TimeoutError, asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.PostgresConnectionError, asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError, asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.QueryCanceledError,
)
for _exc in _UNAVAILABLE:
    @app.exception_handler(_exc)
    async def _db_unavailable(request: Request, exc: Exception) -> Response:
        return _error(503, f"database unavailable: {type(exc).__name__}")


# ---- lifecycle

async def _sample_pool_forever() -> None:
    while True:
        database.sample()
        await asyncio.sleep(1.0)


_background = []


@app.on_event("startup")
async def _startup() -> None:
    await database.open(settings)
    access_log.start()
    if shipper is not None:
        shipper.start()
    _background.append(asyncio.get_running_loop().create_task(_sample_pool_forever()))


@app.on_event("shutdown")
async def _shutdown() -> None:
    for task in _background:
        task.cancel()
    await access_log.stop()
    if shipper is not None:
        await shipper.stop()
    await cache.close()
    await database.close()


# ---- routes

@app.get("/health")
async def health() -> Response:
    try:
        async with database.acquire(timeout=2) as conn:
            await asyncio.wait_for(conn.fetchval("SELECT 1"), timeout=2)
        db_ok = True
    except Exception:
        db_ok = False
    # Redis down is not unhealthy: the app answers from PostgreSQL (and counts the failures).
    redis_ok = await cache.ping()
    body = {"status": "ok" if db_ok else "degraded", "database": "ok" if db_ok else "down",
            "redis": "off" if not cache.enabled else "ok" if redis_ok else "down", "pid": os.getpid()}
    return _json(_dumps(body), 200 if db_ok else 503)


@app.get("/metrics")
async def prometheus_metrics() -> Response:
    database.sample()
    try:
        async with database.acquire(timeout=2) as conn:
            row = await dbq.fetchrow(
                conn, "database_size",
                "SELECT pg_database_size(current_database()) AS size,"
                " (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS conns")
            metrics.SCRAPE_TIME.database_size = float(row["size"])
            metrics.SCRAPE_TIME.db_connections = float(row["conns"])
    except Exception:
        metrics.SCRAPE_TIME.database_size = float("nan")
        metrics.SCRAPE_TIME.db_connections = float("nan")
    return Response(content=metrics.render(), media_type=metrics.CONTENT_TYPE_LATEST)


def _id_path():
    return Path(..., ge=1, le=MAX_ID, description="a positive BIGINT id")


async def _from_cache(request: Request, kind: str, key: str, field: Optional[str] = None) -> Optional[Response]:
    """Cache-aside, the read half: the cached body as a response, or None (a miss: go to PostgreSQL).
    The access log and the route metrics say which it was."""
    cached = await cache.get(kind, key, field)
    request.state.cache = "miss" if cached is None else "hit"
    return None if cached is None else _json(cached)


@app.get("/users/{id}")
async def get_user(request: Request, id: int = _id_path()) -> Response:
    key = f"user:{id}"
    hit = await _from_cache(request, "user", key)
    if hit is not None:
        return hit
    async with database.acquire() as conn:
        row = await dbq.fetchrow(
            conn, "user_by_id",
            "SELECT id, username, email, created_at FROM users WHERE id = $1", id)
    if row is None:
        return _error(404, f"user {id} not found")
    body = _dumps(_user(row))
    await cache.set(key, body, settings.ttl_user)
    return _json(body)


@app.get("/conversations/{id}")
async def get_conversation(request: Request, id: int = _id_path()) -> Response:
    key = f"conversation:{id}"
    hit = await _from_cache(request, "conversation", key)
    if hit is not None:
        return hit
    async with database.acquire() as conn:
        if settings.eager_loading:
            # Two queries whatever the size (the seed's selectinload, without the ORM): the
            # conversation joined to its user, then its latest messages through the
            # (conversation_id, id) index.
            row = await dbq.fetchrow(
                conn, "conversation_with_user",
                "SELECT c.id, c.user_id, c.title, c.created_at, c.updated_at,"
                " u.username, u.email, u.created_at AS user_created_at"
                " FROM conversations c JOIN users u ON u.id = c.user_id WHERE c.id = $1", id)
            if row is None:
                return _error(404, f"conversation {id} not found")
            messages = await dbq.fetch(
                conn, "conversation_latest_messages",
                "SELECT id, conversation_id, role, content, created_at FROM messages"
                " WHERE conversation_id = $1 ORDER BY id DESC LIMIT $2", id, LATEST_MESSAGES)
        else:
            # EAGER_LOADING=false: what an ORM's lazy loading sends, each relation when it is
            # first touched and each message by its key (1 + 1 + 1 + N round trips), all while
            # the request holds its connection.
            conv = await dbq.fetchrow(
                conn, "lazy_conversation",
                "SELECT id, user_id, title, created_at, updated_at FROM conversations WHERE id = $1", id)
            if conv is None:
                return _error(404, f"conversation {id} not found")
            user = await dbq.fetchrow(
                conn, "lazy_user",
                "SELECT id, username, email, created_at FROM users WHERE id = $1", conv["user_id"])
            ids = await dbq.fetch(
                conn, "lazy_message_ids",
                "SELECT id FROM messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT $2",
                id, LATEST_MESSAGES)
            messages = []
            for r in ids:
                m = await dbq.fetchrow(
                    conn, "lazy_message",
                    "SELECT id, conversation_id, role, content, created_at FROM messages WHERE id = $1",
                    r["id"])
                if m is not None:
                    messages.append(m)
            row = {**dict(conv), "username": user["username"], "email": user["email"],
                   "user_created_at": user["created_at"]}
    body = _dumps({
        "id": row["id"], "title": row["title"], "created_at": _ts(row["created_at"]),
        "updated_at": _ts(row["updated_at"]),
        "user": {"id": row["user_id"], "username": row["username"], "email": row["email"],
                 "created_at": _ts(row["user_created_at"])},
        # oldest first, as a chat shows them
        "messages": [_message(m) for m in reversed(messages)],
    })
    await cache.set(key, body, settings.ttl_conversation)
    return _json(body)


# The page query: keyset pagination on the primary key (the seed's cursor paging).
MESSAGE_PAGE_SQL = (
    "SELECT id, conversation_id, role, content, created_at FROM messages"
    " WHERE conversation_id = $1 AND id > $2 ORDER BY id LIMIT $3"
)
# PAGINATION=offset: the same pages the way the seed says not to, skipping `cursor` rows.
MESSAGE_PAGE_OFFSET_SQL = (
    "SELECT id, conversation_id, role, content, created_at FROM messages"
    " WHERE conversation_id = $1 ORDER BY id LIMIT $2 OFFSET $3"
)


@app.get("/conversations/{id}/messages")
async def list_messages(
    request: Request,
    id: int = _id_path(),
    cursor: Optional[int] = Query(None, ge=0, le=MAX_ID,
                                  description="next_cursor of the page before (opaque to clients)"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, description=f"page size, capped at {MAX_LIMIT}"),
) -> Response:
    # The cursor is opaque: clients send back the next_cursor they were given. With cursor paging
    # it is the last message id seen; with PAGINATION=offset it is the number of rows to skip.
    # Same API, same walk, so a comparison of the two changes only the query.
    limit = min(limit, MAX_LIMIT)
    after = cursor or 0
    offset_mode = settings.pagination == "offset"
    key, field = f"messages:{id}", f"{'o' if offset_mode else ''}{after}:{limit}"
    hit = await _from_cache(request, "messages", key, field)
    if hit is not None:
        return hit
    async with database.acquire() as conn:
        # limit + 1 rows tell whether another page follows without a count query.
        if offset_mode:
            rows = await dbq.fetch(conn, "message_page_offset", MESSAGE_PAGE_OFFSET_SQL, id,
                                   limit + 1, after)
        else:
            rows = await dbq.fetch(conn, "message_page", MESSAGE_PAGE_SQL, id, after, limit + 1)
        if not rows:
            exists = await dbq.fetchval(
                conn, "conversation_exists", "SELECT 1 FROM conversations WHERE id = $1", id)
            if not exists:
                return _error(404, f"conversation {id} not found")
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (after + limit if offset_mode else rows[-1]["id"]) if more else None
    body = _dumps({
        "conversation_id": id, "limit": limit, "cursor": cursor,
        "messages": [_message(m) for m in rows],
        "next_cursor": next_cursor,
    })
    await cache.set(key, body, settings.ttl_messages, field=field)
    return _json(body)


@app.get("/users/{id}/conversations")
async def list_user_conversations(request: Request, id: int = _id_path()) -> Response:
    """A chat's sidebar: the user's latest conversations, each with its last message. The list
    where eager loading and N+1 differ most (2 queries, or 1 + one per conversation)."""
    key = f"user_conversations:{id}"
    hit = await _from_cache(request, "user_conversations", key)
    if hit is not None:
        return hit
    async with database.acquire() as conn:
        convs = await dbq.fetch(
            conn, "user_conversations",
            "SELECT id, title, updated_at FROM conversations WHERE user_id = $1"
            " ORDER BY updated_at DESC, id DESC LIMIT $2", id, SIDEBAR_SIZE)
        if not convs:
            exists = await dbq.fetchval(conn, "user_exists", "SELECT 1 FROM users WHERE id = $1", id)
            if not exists:
                return _error(404, f"user {id} not found")
        last: dict = {}
        if settings.eager_loading:
            rows = await dbq.fetch(
                conn, "last_messages",
                "SELECT m.id, m.conversation_id, m.role, m.content, m.created_at"
                " FROM unnest($1::bigint[]) AS c(id), LATERAL (SELECT * FROM messages"
                " WHERE conversation_id = c.id ORDER BY id DESC LIMIT 1) m",
                [c["id"] for c in convs])
            last = {r["conversation_id"]: r for r in rows}
        else:
            for c in convs:
                r = await dbq.fetchrow(
                    conn, "lazy_last_message",
                    "SELECT id, conversation_id, role, content, created_at FROM messages"
                    " WHERE conversation_id = $1 ORDER BY id DESC LIMIT 1", c["id"])
                if r is not None:
                    last[c["id"]] = r
    body = _dumps({"user_id": id, "conversations": [
        {"id": c["id"], "title": c["title"], "updated_at": _ts(c["updated_at"]),
         "last_message": _message(last[c["id"]]) if c["id"] in last else None}
        for c in convs]})
    await cache.set(key, body, settings.ttl_user)
    return _json(body)


class NewMessage(BaseModel):
    role: Literal["user", "assistant", "system"]
    # Strict: a number or a list is bad input, not something to coerce into text.
    content: StrictStr = Field(..., min_length=1, max_length=100_000)

    @validator("content")
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be blank")
        if "\x00" in v:
            raise ValueError("must not contain NUL characters")  # PostgreSQL text cannot hold it
        return v


@app.post("/conversations/{id}/messages", status_code=201)
async def post_message(request: Request, id: int = _id_path(),
                       message: NewMessage = Body(...)) -> Response:
    async with database.acquire() as conn:
        try:
            row = await dbq.fetchrow(
                conn, "insert_message",
                "WITH m AS (INSERT INTO messages (conversation_id, role, content)"
                " VALUES ($1, $2, $3) RETURNING id, conversation_id, role, content, created_at),"
                " c AS (UPDATE conversations SET updated_at = now() WHERE id = $1 RETURNING user_id)"
                " SELECT m.*, (SELECT user_id FROM c) AS owner_id FROM m", id, message.role,
                message.content)
        except asyncpg.exceptions.ForeignKeyViolationError:
            return _error(404, f"conversation {id} not found")
    # What this insert made stale: the conversation view (latest messages), its pages, and its
    # owner's sidebar (last message, order).
    await cache.delete(f"conversation:{id}", f"messages:{id}", f"user_conversations:{row['owner_id']}")
    return _json(_dumps(_message(row)), 201)


@app.get("/documents/{id}")
async def get_document(request: Request, id: int = _id_path()) -> Response:
    key = f"document:{id}"
    hit = await _from_cache(request, "document", key)
    if hit is not None:
        return hit
    async with database.acquire() as conn:
        row = await dbq.fetchrow(
            conn, "document_by_id",
            "SELECT id, user_id, title, content, created_at FROM documents WHERE id = $1", id)
    if row is None:
        return _error(404, f"document {id} not found")
    body = _dumps({"id": row["id"], "user_id": row["user_id"], "title": row["title"],
                   "content": row["content"], "created_at": _ts(row["created_at"])})
    await cache.set(key, body, settings.ttl_document)
    return _json(body)
