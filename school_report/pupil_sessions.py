"""A pupil's session on a tablet: kept here, on the server, for the few minutes the pupil uses it.

The tablet's cookie holds only a random handle: what it stands for is known here alone (by the
handle's hash), so a teacher who looks at the cookie learns nothing. A session keeps

- the step the pupil is on, with what they typed (never a return code), so a page loaded again
  (a redirect after each posted form, a reload, Back) is rebuilt from here and no form that
  the browser's history keeps carries a code;
- the report the pupil just sent and its return code, sealed under the handle (a stream of
  HMAC-SHA256 of the handle, used once), so the words are shown again only to the session that
  sent the report, even after a crash between storing it and answering;
- the thread their code opened.

A session dies after `PUPIL_IDLE_SECONDS` without use, and at once at quick exit.
"""

import hashlib
import hmac
import json
import secrets
from datetime import timedelta
from typing import Any

from sqlite_utils import Database

from school_report.clock import utc_now
from school_report.codes import ReturnCode
from school_report.db import transaction

PUPIL_IDLE_SECONDS = 180


def _hash(handle: str) -> str:
    return hashlib.sha256(handle.encode()).hexdigest()


def _now() -> str:
    return utc_now().isoformat(timespec="seconds")


def _idle_since() -> str:
    return (utc_now() - timedelta(seconds=PUPIL_IDLE_SECONDS)).isoformat(timespec="seconds")


def live_pupil_session(db: Database, handle: str | None, school_id: int) -> str:
    """The handle if its session at this school is alive (its clock restarts), else the handle
    of a new one; sessions left idle are dropped."""
    with transaction(db):
        if handle:
            touched = db.execute(
                "UPDATE pupil_sessions SET last_seen_at = ? "
                "WHERE handle_hash = ? AND school_id = ? AND last_seen_at >= ?",
                [_now(), _hash(handle), school_id, _idle_since()],
            )
            if touched.rowcount:
                return handle
        db.execute("DELETE FROM pupil_sessions WHERE last_seen_at < ?", [_idle_since()])
        handle = secrets.token_urlsafe(24)
        db.execute(
            "INSERT INTO pupil_sessions (handle_hash, school_id, last_seen_at) VALUES (?, ?, ?)",
            [_hash(handle), school_id, _now()],
        )
    return handle


def _column(db: Database, handle: str | None, column: str) -> Any:
    if not handle:
        return None
    row = db.execute(
        f"SELECT {column} FROM pupil_sessions WHERE handle_hash = ? AND last_seen_at >= ?",
        [_hash(handle), _idle_since()],
    ).fetchone()
    return row[0] if row else None


def end_pupil_session(db: Database, handle: str | None) -> None:
    """Quick exit: the handle opens nothing from now on, whoever holds a copy of it."""
    if handle:
        with transaction(db):
            db.execute("DELETE FROM pupil_sessions WHERE handle_hash = ?", [_hash(handle)])


def keep_step(db: Database, handle: str, step: dict[str, Any], shows_code: bool) -> None:
    """The step now shown, with the fields it is shown again from (never a return code). Once
    the pupil moves on from the step that `shows_code`, the sent report's code is forgotten."""
    with transaction(db):
        db.execute(
            "UPDATE pupil_sessions SET step = ?, "
            "sent_code = CASE WHEN ? THEN sent_code END, "
            "sent_report_id = CASE WHEN ? THEN sent_report_id END WHERE handle_hash = ?",
            [json.dumps(step, ensure_ascii=False), shows_code, shows_code, _hash(handle)],
        )


def kept_step(db: Database, handle: str | None) -> dict[str, Any] | None:
    step = _column(db, handle, "step")
    return json.loads(step) if step else None


def open_thread_for(db: Database, handle: str, report_id: int) -> None:
    """The pupil typed this report's code: the session may read its thread."""
    with transaction(db):
        db.execute(
            "UPDATE pupil_sessions SET thread_report_id = ? WHERE handle_hash = ?",
            [report_id, _hash(handle)],
        )


def sent_report(db: Database, handle: str | None) -> int | None:
    """The report this session sent, while it lasts and until the pupil moves on."""
    return _column(db, handle, "sent_report_id")


def pupil_session_report(db: Database, handle: str | None) -> int | None:
    """The report whose thread the session's code opened, while it lasts."""
    return _column(db, handle, "thread_report_id")


def _keystream(handle: str, length: int) -> bytes:
    return hmac.new(handle.encode(), b"return-code", hashlib.sha256).digest()[:length]


def _seal(handle: str, code: ReturnCode) -> str:
    plain = bytes(part for group in code.groups for part in group)
    return bytes(a ^ b for a, b in zip(plain, _keystream(handle, len(plain)), strict=True)).hex()


def _unseal(handle: str, sealed: str) -> ReturnCode:
    raw = bytes.fromhex(sealed)
    plain = bytes(a ^ b for a, b in zip(raw, _keystream(handle, len(raw)), strict=True))
    return ReturnCode(tuple((plain[i], plain[i + 1]) for i in range(0, len(plain), 2)))


def keep_sent_code(db: Database, handle: str, report_id: int, code: ReturnCode) -> None:
    """Within the transaction that stores the report: its code, sealed under the handle."""
    db.execute(
        "UPDATE pupil_sessions SET sent_report_id = ?, sent_code = ? WHERE handle_hash = ?",
        [report_id, _seal(handle, code), _hash(handle)],
    )


def sent_code(db: Database, handle: str | None, submission_key: str | None = None):
    """The return code of the report this session sent (of the form with this submission key,
    if one is given), while the session lasts; otherwise None."""
    if not handle:
        return None
    row = db.execute(
        "SELECT s.sent_code, r.submission_key FROM pupil_sessions s "
        "JOIN reports r ON r.id = s.sent_report_id "
        "WHERE s.handle_hash = ? AND s.last_seen_at >= ?",
        [_hash(handle), _idle_since()],
    ).fetchone()
    if not row or (submission_key is not None and row[1] != submission_key):
        return None
    return _unseal(handle, row[0])
