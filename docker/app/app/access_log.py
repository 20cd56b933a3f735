"""A pure ASGI middleware: one JSON access-log line per request on stdout, and the request
histogram labelled by route template and status.

Lines are buffered in memory and written by a task every 200 ms, so a request never waits for
stdout (whoever runs the app must drain stdout: redirect it to a file or read the pipe).
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import List, Optional

from . import metrics
from .log_shipper import LogShipper

_PID = os.getpid()


class AccessLog:
    def __init__(self, shipper: Optional[LogShipper]) -> None:
        self.lines: List[str] = []
        self.shipper = shipper
        self._task: Optional[asyncio.Task] = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(0.2)
            self.flush()

    def flush(self) -> None:
        if not self.lines:
            return
        lines, self.lines = self.lines, []
        try:
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()
        except (OSError, ValueError):
            pass
        if self.shipper is not None:
            self.shipper.add(lines)


def _route_template(scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    # Unmatched paths share one label, so random URLs cannot blow up the series count.
    return path if path else "<unmatched>"


class AccessLogMiddleware:
    def __init__(self, app, log: AccessLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started_wall = time.time()
        t0 = time.perf_counter()
        status = 500
        size = 0

        async def send_wrapper(message):
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - t0
            route = _route_template(scope)
            method = scope["method"]
            metrics.API_REQUEST.labels(method, route, str(status)).observe(elapsed)
            state = scope.get("state") or {}
            client = scope.get("client")
            entry = {
                "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(started_wall))
                + f".{int(started_wall * 1000) % 1000:03d}Z",
                "service": "app",
                "pid": _PID,
                "method": method,
                "path": scope["path"],
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 3),
                "bytes": size,
                "cache": state.get("cache"),
                "client": client[0] if client else None,
            }
            qs = scope.get("query_string")
            if qs:
                entry["query"] = qs.decode("latin-1")
            self.log.lines.append(json.dumps(entry, separators=(",", ":")))
