"""One SQLite connection per worker thread, never shared between threads."""

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from anyio import to_thread
from sqlite_utils import Database
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from school_report.db import connect

P = ParamSpec("P")
T = TypeVar("T")


# Worker threads at once, each with its own SQLite connection (schema and page cache, 1-3 MB).
# More would finish no sooner on a few cores, only hold more memory: anyio's default of 40 grew
# the server past 200 MB under load (bench/).
WORKER_THREADS = 4 * (os.cpu_count() or 1)


def limit_worker_threads() -> None:
    """Apply WORKER_THREADS to the running event loop (call it from the app's lifespan)."""
    to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS


class ConnectionPerThread:
    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()

    def get(self) -> Database:
        if not hasattr(self._local, "db"):
            self._local.db = connect(self.path)
        return self._local.db


async def call_domain(request: Request, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Run a domain function with this thread's connection in the thread pool, so SQLite and
    argon2 never block the event loop."""
    connections: ConnectionPerThread = request.app.state.connections
    return await run_in_threadpool(lambda: fn(connections.get(), *args, **kwargs))
