"""Backups through SQLite's online backup API: a consistent copy while the service writes.

The copy is taken in one step, from one read snapshot (WAL lets writers go on meanwhile), into
a temporary file, private from its first byte, that is checked and only then renamed into
place, so a backup that exists is whole. A restore checks the copy first and replaces the
database's content in one write.

A restore brings back the past, and some of the past must not come back: the sessions and
failed logins of then are forgotten, each account keeps its present password, two-step login
and disabled state, and cases purged since are purged again. It is refused while
`school-admin serve` runs on the database: the server holds a shared lock on a file beside the
database (`SERVING_LOCK_SUFFIX`) for as long as it runs, which the kernel drops when the
process ends in any way, and a restore takes that lock exclusively.
"""

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from school_report.db import BUSY_TIMEOUT_MS, transaction
from school_report.migrations import migrate
from school_report.retention import purge_expired_cases

SERVING_LOCK_SUFFIX = ".serving"
# What a restore keeps of each account as it is now, not as it was in the backup.
_ACCOUNT_NOW = (
    "password_hash",
    "must_change_password",
    "password_changed_at",
    "totp_secret",
    "totp_pending_secret",
    "totp_last_step",
    "active",
)


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
    # Created private: what pupils wrote is never readable by others, not even for a moment.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    copy = sqlite3.connect(partial)
    try:
        db.conn.backup(copy)
        # One self-contained file, whatever journal the service uses.
        copy.execute("PRAGMA journal_mode = DELETE")
        if problems := _problems(copy):
            raise BackupError(f"the copy failed its check: {'; '.join(problems)}")
        copy.close()
        partial.rename(path)
    finally:
        copy.close()
        partial.unlink(missing_ok=True)


def _take_lock(db_path: Path, kind: int) -> int | None:
    """The open lock file, locked `kind` (shared or exclusive), or None if that lock is held
    elsewhere. Closing the file releases the lock, and so does the process ending."""
    fd = os.open(
        db_path.with_name(db_path.name + SERVING_LOCK_SUFFIX), os.O_RDWR | os.O_CREAT, 0o600
    )
    try:
        fcntl.flock(fd, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def hold_serving_lock(db_path: Path) -> None:
    """For the server: a shared lock (several servers may share a database), held until this
    process ends, so no restore can run under it."""
    if _take_lock(db_path, fcntl.LOCK_SH) is None:
        raise BackupError(f"{db_path} is being restored; start the service afterwards")


@contextmanager
def _no_server_running(db: Database) -> Iterator[None]:
    (_, _, file_name) = db.execute("PRAGMA database_list").fetchone()
    fd = _take_lock(Path(file_name), fcntl.LOCK_EX) if file_name else -1
    if fd is None:
        raise BackupError("the service is running on this database: stop it first")
    try:
        yield
    finally:
        if fd >= 0:
            os.close(fd)


def _accounts_now(db: Database) -> tuple[list[tuple], list[tuple]]:
    """Every account's credentials and state, and its recovery codes, by login; nothing if
    the database is too damaged to read (which may be why it is being restored)."""
    try:
        accounts = db.execute(f"SELECT login, {', '.join(_ACCOUNT_NOW)} FROM staff").fetchall()
        codes = db.execute(
            "SELECT st.login, c.code_hash, c.used_at FROM staff_recovery_codes c "
            "JOIN staff st ON st.id = c.staff_id"
        ).fetchall()
    except sqlite3.DatabaseError:
        return [], []
    return accounts, codes


def _keep_accounts(db: Database, accounts: list[tuple], codes: list[tuple]) -> None:
    settings = ", ".join(f"{column} = ?" for column in _ACCOUNT_NOW)
    for login, *now in accounts:
        db.execute(f"UPDATE staff SET {settings} WHERE login = ?", [*now, login])
        db.execute(
            "DELETE FROM staff_recovery_codes WHERE staff_id = "
            "(SELECT id FROM staff WHERE login = ?)",
            [login],
        )
    db.conn.executemany(
        "INSERT INTO staff_recovery_codes (staff_id, code_hash, used_at) "
        "SELECT id, ?, ? FROM staff WHERE login = ?",
        [(code_hash, used_at, login) for login, code_hash, used_at in codes],
    )


def restore_backup(db: Database, path: Path) -> None:
    """Replace the database's whole content with the backup at `path`, once it passes its
    check, and undo what must not come back with it (see the module's docstring)."""
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    with _no_server_running(db):
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            if problems := _problems(source):
                raise BackupError(f"{path} is not a sound backup: {'; '.join(problems)}")
            accounts, codes = _accounts_now(db)
            source.backup(db.conn)
        finally:
            source.close()
        migrate(db)
        _forget_the_past(db, accounts, codes)


def _forget_the_past(db: Database, accounts: list[tuple], codes: list[tuple]) -> None:
    with transaction(db):
        _keep_accounts(db, accounts, codes)
        db.execute("DELETE FROM staff_sessions")
        db.execute("DELETE FROM login_failures")
    purge_expired_cases(db)
