"""Which thread a pupil's tablet may read, for the few minutes after they typed its code.

The tablet's cookie holds only a random handle: the report it opens is known here alone (by the
handle's hash), so a teacher who looks at the cookie learns nothing. A handle dies after
`PUPIL_IDLE_SECONDS` without use, as the pupil's cookie does.
"""

import hashlib
import secrets
from datetime import timedelta

from sqlite_utils import Database

from school_report.clock import utc_now
from school_report.db import transaction

PUPIL_IDLE_SECONDS = 180


def _hash(handle: str) -> str:
    return hashlib.sha256(handle.encode()).hexdigest()


def _idle_since() -> str:
    return (utc_now() - timedelta(seconds=PUPIL_IDLE_SECONDS)).isoformat(timespec="seconds")


def open_pupil_session(db: Database, report_id: int) -> str:
    """A new handle that opens this report's thread; handles left idle are dropped."""
    handle = secrets.token_urlsafe(24)
    with transaction(db):
        db.execute("DELETE FROM pupil_sessions WHERE last_seen_at < ?", [_idle_since()])
        db.execute(
            "INSERT INTO pupil_sessions (handle_hash, report_id, last_seen_at) VALUES (?, ?, ?)",
            [_hash(handle), report_id, utc_now().isoformat(timespec="seconds")],
        )
    return handle


def pupil_session_report(db: Database, handle: str | None) -> int | None:
    """The report the handle opens, if it was used in the last idle minutes; its clock
    restarts."""
    if not handle:
        return None
    with transaction(db):
        row = db.execute(
            "SELECT report_id FROM pupil_sessions WHERE handle_hash = ? AND last_seen_at >= ?",
            [_hash(handle), _idle_since()],
        ).fetchone()
        if row:
            db.execute(
                "UPDATE pupil_sessions SET last_seen_at = ? WHERE handle_hash = ?",
                [utc_now().isoformat(timespec="seconds"), _hash(handle)],
            )
    return row[0] if row else None
