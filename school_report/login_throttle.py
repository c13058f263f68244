"""Login throttling: per account and across the whole service.

Failures are counted by the SHA-256 of the login as typed, whether or not such an account
exists, so a lock-out tells nobody which logins are real; no network address is kept (a
school's staff room shares one). A wrong second-factor code counts as a failure too.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from school_report.clock import parse_iso, utc_now

WINDOW = timedelta(minutes=15)
FAILURES_BEFORE_ACCOUNT_LOCK = 5
# Across all accounts: a password-spraying script is slowed, then stopped.
FAILURES_BEFORE_SLOWING = 50
FAILURES_BEFORE_SERVICE_LOCK = 300
SLOW_DOWN_SECONDS = 3


@dataclass(frozen=True)
class LoginThrottle:
    state: str  # "open", "slow", "account_locked" or "service_locked"
    until: datetime | None = None

    @property
    def locked(self) -> bool:
        return self.state in ("account_locked", "service_locked")

    def minutes_left(self) -> int:
        if self.until is None:
            return 0
        return max(1, -int(-(self.until - utc_now()).total_seconds() // 60))


def _login_hash(login: str) -> str:
    return hashlib.sha256(login.strip().casefold().encode()).hexdigest()


def _since() -> str:
    return (utc_now() - WINDOW).isoformat(timespec="seconds")


def _unlocks_at(times: list[str], allowed: int) -> datetime:
    """When fewer than `allowed` of these failures (newest first) are left in the window."""
    return parse_iso(times[allowed - 1]) + WINDOW


def login_throttle(db: Database, login: str) -> LoginThrottle:
    since = _since()
    account = [
        at
        for (at,) in db.execute(
            "SELECT at FROM login_failures WHERE login_hash = ? AND at > ? ORDER BY at DESC",
            [_login_hash(login), since],
        )
    ]
    if len(account) >= FAILURES_BEFORE_ACCOUNT_LOCK:
        return LoginThrottle("account_locked", _unlocks_at(account, FAILURES_BEFORE_ACCOUNT_LOCK))
    (overall,) = db.execute("SELECT count(*) FROM login_failures WHERE at > ?", [since]).fetchone()
    if overall >= FAILURES_BEFORE_SERVICE_LOCK:
        times = [
            at
            for (at,) in db.execute(
                "SELECT at FROM login_failures WHERE at > ? ORDER BY at DESC LIMIT ?",
                [since, FAILURES_BEFORE_SERVICE_LOCK],
            )
        ]
        return LoginThrottle("service_locked", _unlocks_at(times, FAILURES_BEFORE_SERVICE_LOCK))
    return LoginThrottle("slow" if overall >= FAILURES_BEFORE_SLOWING else "open")


def record_login_failure(db: Database, login: str) -> None:
    db.execute(
        "INSERT INTO login_failures (login_hash, at) VALUES (?, ?)",
        [_login_hash(login), utc_now().isoformat(timespec="seconds")],
    )


def forget_login_failures(db: Database, login: str) -> None:
    """After a complete login: the person is who they said, so their count starts again.
    Old failures of every login are dropped too, keeping the table small."""
    db.execute(
        "DELETE FROM login_failures WHERE login_hash = ? OR at <= ?",
        [
            _login_hash(login),
            _since(),
        ],
    )
