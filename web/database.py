"""One SQLite connection per worker thread, never shared between threads."""

import threading
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from anyio import to_thread
from sqlite_utils import Database
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from school_report.cores import cores_per_process
from school_report.db import connect

P = ParamSpec("P")
T = TypeVar("T")


# Worker threads at once, each with its own SQLite connection: one per core (of this process's
# share, with `serve --workers`). Every SQLite call
# hands the GIL back and forth with the event loop that renders the pages, so more threads than
# cores finish nothing sooner and slow everything: with a million reports, 10 staff at once got
# 87 inbox pages a second (p99 about 300 ms) from 8 threads and 141 (p99 about 110 ms) from 2
# (bench/). Argon2 has its own thread per core (`school_report.codes`); anyio's default of 40
# threads also grew the server past 200 MB under load.
WORKER_THREADS = cores_per_process()


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
