"""Ships access-log lines to LOG_SHIP_URL in batches (newline-delimited JSON) in the background.

Requests only append to a bounded deque; a task POSTs batches every LOG_SHIP_INTERVAL seconds or
when LOG_SHIP_BATCH lines wait. The POST runs in a thread (urllib) so it never blocks the event
loop. A failed batch is dropped and counted, then shipping backs off (up to 30 s); a full buffer
drops the oldest lines, counted too. Logstash's http input needs
`additional_codecs => { "application/x-ndjson" => "json_lines" }` to split the body into events.
"""
from __future__ import annotations

import asyncio
import collections
import sys
import urllib.request
from typing import Deque, List, Optional

from . import metrics


class LogShipper:
    def __init__(self, url: str, batch: int, interval: float, buffer: int) -> None:
        self.url = url
        self.batch = batch
        self.interval = interval
        self.buffer: Deque[str] = collections.deque(maxlen=buffer)
        self._wake = asyncio.Event()
        self._task: Optional[asyncio.Task] = None
        self._failures_in_a_row = 0

    def add(self, lines: List[str]) -> None:
        overflow = len(self.buffer) + len(lines) - (self.buffer.maxlen or 0)
        if overflow > 0:
            metrics.LOG_SHIP_DROPPED.inc(overflow)
        self.buffer.extend(lines)
        if len(self.buffer) >= self.batch:
            self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        # Last chance for what is buffered; bounded so shutdown is not held up.
        try:
            await asyncio.wait_for(self._ship_all(), timeout=3)
        except (asyncio.TimeoutError, Exception):
            pass

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            await self._ship_all()
            if self._failures_in_a_row:
                await asyncio.sleep(min(30.0, 2.0 ** self._failures_in_a_row))

    async def _ship_all(self) -> None:
        while self.buffer:
            n = min(self.batch, len(self.buffer))
            lines = [self.buffer.popleft() for _ in range(n)]
            body = ("\n".join(lines) + "\n").encode()
            try:
                await asyncio.get_running_loop().run_in_executor(None, self._post, body)
            except Exception as exc:
                metrics.LOG_SHIP_FAILURES.inc()
                metrics.LOG_SHIP_DROPPED.inc(n)
                if self._failures_in_a_row == 0:
                    print(f"[log-ship] POST {self.url} failed: {exc}", file=sys.stderr, flush=True)
                self._failures_in_a_row += 1
                return
            self._failures_in_a_row = 0
            metrics.LOG_SHIP_BATCHES.inc()
            metrics.LOG_SHIP_LINES.inc(n)

    def _post(self, body: bytes) -> None:
        req = urllib.request.Request(
            self.url, data=body, method="POST",
            headers={"Content-Type": "application/x-ndjson"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            resp.read()
            if resp.status >= 300:
                raise RuntimeError(f"HTTP {resp.status}")
