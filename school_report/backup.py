"""Backups through SQLite's online backup API: a consistent copy while the service writes.

The copy is taken in one step, from one read snapshot (WAL lets writers go on meanwhile), into
a temporary file that is checked and only then renamed into place, so a backup that exists is
whole. A restore checks the copy first and replaces the database's content in one write.
"""

import os
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from school_report.db import BUSY_TIMEOUT_MS


class BackupError(ValueError):
    """A backup cannot be taken or restored as asked; the message says why."""


def _problems(conn: sqlite3.Connection) -> list[str]:
    """What `PRAGMA integrity_check` finds, and whether this is this service's database."""
    try:
        found = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        return [str(error)]
    problems = [] if found == ["ok"] else found
    if not {"reports", "staff", "_sqlite_migrations"} <= tables:
        problems.append("not a school-report database")
    return problems


def take_backup(db: Database, path: Path) -> None:
    if path.exists():
        raise BackupError(f"{path} exists already; choose a new file")
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    copy = sqlite3.connect(partial)
    try:
        db.conn.backup(copy)
        # One self-contained file, whatever journal the service uses.
        copy.execute("PRAGMA journal_mode = DELETE")
        if problems := _problems(copy):
            raise BackupError(f"the copy failed its check: {'; '.join(problems)}")
        copy.close()
        os.chmod(partial, 0o600)
        partial.rename(path)
    finally:
        copy.close()
        partial.unlink(missing_ok=True)


def restore_backup(db: Database, path: Path) -> None:
    """Replace the database's whole content with the backup at `path`, once it passes its
    check. Stop the service first: its open pages would show the old content until then."""
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        if problems := _problems(source):
            raise BackupError(f"{path} is not a sound backup: {'; '.join(problems)}")
        source.backup(db.conn)
    finally:
        source.close()
