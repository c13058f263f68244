"""Login throttling: a lock per account, and a slowdown across the whole service.

Each try at a password or a second-factor code is counted before it is checked, in the same
write transaction that reads the count, so parallel requests cannot all pass a count none of
them has raised yet; a right password takes its own try back, a complete login clears the
account's count. Tries are counted by the SHA-256 of the login as typed, whether or not such an
account exists, so a lock-out tells nobody which logins are real; no network address is kept
(a school's staff room shares one).

Across all accounts the count only slows logins down, never stops them: a script spraying
passwords would otherwise be able to lock every staff member of the city out.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from school_report.clock import parse_iso, utc_now
from school_report.db import transaction

WINDOW = timedelta(minutes=15)
FAILURES_BEFORE_ACCOUNT_LOCK = 5
# Across all accounts: past this many failures in the window every try waits first.
FAILURES_BEFORE_SLOWING = 50
SLOW_DOWN_SECONDS = 3


@dataclass(frozen=True)
class LoginAttempt:
    """A try at logging in: refused while the account is locked, else counted already."""

    state: str  # "open", "slow" or "account_locked"
    until: datetime | None = None
    failure_id: int | None = None  # the row counting this try, taken back if it is right
    delay: float = 0

    @property
    def locked(self) -> bool:
        return self.state == "account_locked"

    def minutes_left(self) -> int:
        if self.until is None:
            return 0
        return max(1, -int(-(self.until - utc_now()).total_seconds() // 60))


def _login_hash(login: str) -> str:
    return hashlib.sha256(login.strip().casefold().encode()).hexdigest()


def _since() -> str:
    return (utc_now() - WINDOW).isoformat(timespec="seconds")


def _account_failures(db: Database, login: str) -> list[str]:
    """When this login's failures in the window were, newest first."""
    rows = db.execute(
        "SELECT at FROM login_failures WHERE login_hash = ? AND at > ? ORDER BY at DESC",
        [_login_hash(login), _since()],
    )
    return [at for (at,) in rows]


def begin_login_attempt(db: Database, login: str) -> LoginAttempt:
    """Count a try at `login` as a failure before its password or code is checked. A try
    refused by the lock is not counted, so the lock lifts when the page says it will."""
    with transaction(db):
        account = _account_failures(db, login)
        if len(account) >= FAILURES_BEFORE_ACCOUNT_LOCK:
            until = parse_iso(account[FAILURES_BEFORE_ACCOUNT_LOCK - 1]) + WINDOW
            return LoginAttempt("account_locked", until)
        (overall,) = db.execute(
            "SELECT count(*) FROM login_failures WHERE at > ?", [_since()]
        ).fetchone()
        cursor = db.execute(
            "INSERT INTO login_failures (login_hash, at) VALUES (?, ?)",
            [_login_hash(login), utc_now().isoformat(timespec="seconds")],
        )
    if overall >= FAILURES_BEFORE_SLOWING:
        return LoginAttempt("slow", failure_id=cursor.lastrowid, delay=SLOW_DOWN_SECONDS)
    return LoginAttempt("open", failure_id=cursor.lastrowid)


def password_was_right(db: Database, attempt: LoginAttempt) -> None:
    """The try was no failure; the account's other failures stay until the login completes
    (a right password with a wrong second factor is not yet the person)."""
    db.execute("DELETE FROM login_failures WHERE id = ?", [attempt.failure_id])


def forget_login_failures(db: Database, login: str) -> None:
    """After a complete login: the person is who they said, so their count starts again.
    Old failures of every login are dropped too, keeping the table small."""
    db.execute(
        "DELETE FROM login_failures WHERE login_hash = ? OR at <= ?", [_login_hash(login), _since()]
    )


def forget_old_failures(db: Database, now: datetime) -> int:
    """Drop failures older than the window (they count for nothing); how many went."""
    since = (now - WINDOW).isoformat(timespec="seconds")
    return db.execute("DELETE FROM login_failures WHERE at <= ?", [since]).rowcount
