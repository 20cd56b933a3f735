#!/usr/bin/python3
"""Entry point: create the schema, seed once, then serve with uvicorn.

    /usr/bin/python3 run.py          (cwd = docker/app)

/health answers only after this has finished the schema and the seed, because uvicorn starts
after them. See README.md for the environment variables.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from app.settings import SettingsError, load  # noqa: E402  (no prometheus_client import yet)


def _prepare_metrics_dir(workers: int) -> "str | None":
    """Several workers share metrics through files; this must happen before prometheus_client
    is imported anywhere (the workers import it after we set the variable)."""
    os.environ.setdefault("PROMETHEUS_DISABLE_CREATED_SERIES", "true")
    os.environ["APP_ROOT_PID"] = str(os.getpid())
    if workers <= 1:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        return None
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    created = None
    if not path:
        path = os.path.join(tempfile.gettempdir(), f"app-metrics-{os.getpid()}")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
        created = path
    # Files left by an earlier run would add their counts to ours.
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, exist_ok=True)
    return created


def main() -> int:
    try:
        settings = load()
    except SettingsError as exc:
        print(f"run.py: bad environment: {exc}", file=sys.stderr)
        return 2

    from app.seed import ensure_schema_and_seed

    try:
        asyncio.run(ensure_schema_and_seed(settings))
    except Exception as exc:  # one clear line; the process driver shows stderr
        print(f"run.py: schema/seed failed: {exc}", file=sys.stderr)
        return 1
    if "--seed-only" in sys.argv[1:]:
        return 0  # `simulate setup --data SIZE` builds a kept dataset: schema and rows, no server

    created_dir = _prepare_metrics_dir(settings.workers)
    import uvicorn

    from app.nodelay_protocol import NoDelayHttpProtocol

    try:
        uvicorn.run(
            "app.main:app",
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            http=NoDelayHttpProtocol,
            loop="asyncio",  # not uvloop even if installed: same event loop under every driver
            access_log=False,  # our middleware writes one JSON line per request instead
            log_level=os.environ.get("UVICORN_LOG_LEVEL", "warning"),
            timeout_keep_alive=5,
            backlog=2048,
        )
    finally:
        if created_dir:
            shutil.rmtree(created_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
