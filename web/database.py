"""One SQLite connection per worker thread, never shared between threads."""

import threading
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from sqlite_utils import Database
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from school_report.db import connect

P = ParamSpec("P")
T = TypeVar("T")


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
