"""Opening the SQLite database with the settings every connection needs."""

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlite_utils import Database

BUSY_TIMEOUT_MS = 5000


def connect(path: str | Path) -> Database:
    """Open (creating if needed) the database at `path`.

    WAL lets pupils write while staff read; synchronous=FULL makes a commit survive power loss,
    not only a process crash, because a pupil who was told "sent" must never lose the report.
    The connection is in autocommit mode: writes that belong together go through `transaction`.
    """
    if str(path) != ":memory:":
        _create_private(Path(path))
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    return Database(conn)


def _create_private(path: Path) -> None:
    """A new database file is created readable by its owner only (0600, whatever the umask),
    before SQLite writes a byte: it holds what pupils wrote. SQLite gives its -wal and -shm
    files the database file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


@contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """One atomic write. BEGIN IMMEDIATE takes the write lock up front, so concurrent writers
    wait for `busy_timeout` instead of failing when a read turns into a write."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


def is_healthy(db: Database) -> bool:
    return db.execute("SELECT 1").fetchone() == (1,)
