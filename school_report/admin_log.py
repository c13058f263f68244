"""The admin audit log: every change an admin makes to the city's set-up, who made it and when.

Append-only (triggers refuse updates and deletes). Changes made with the `school-admin` command
are logged too, by `COMMAND_LINE`, so the log is whole whichever tool was used.
"""

import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from school_report.clock import now_iso


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a staff member, or the command line (no account)."""

    staff_id: int | None
    name: str


COMMAND_LINE = Actor(None, "school-admin")


@dataclass(frozen=True)
class LogEntry:
    id: int
    actor: str
    action: str
    subject: str
    school_id: int | None
    old_value: str | None
    new_value: str | None
    created_at: str


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def record(
    db: Database,
    by: Actor,
    action: str,
    subject: str,
    *,
    school_id: int | None = None,
    old: Any = None,
    new: Any = None,
) -> None:
    """Log one change. Call it inside the transaction that makes the change."""
    db.execute(
        "INSERT INTO admin_log "
        "(staff_id, actor, action, subject, school_id, old_value, new_value, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [by.staff_id, by.name, action, subject, school_id, _as_text(old), _as_text(new), now_iso()],
    )


def record_changes(
    db: Database,
    by: Actor,
    action: str,
    subject: str,
    old: dict[str, Any],
    new: dict[str, Any],
    school_id: int | None = None,
) -> None:
    """Log each field that differs between `old` and `new`, as `action.field`."""
    for field, value in new.items():
        if old.get(field) != value:
            record(
                db,
                by,
                f"{action}.{field}",
                subject,
                school_id=school_id,
                old=old.get(field),
                new=value,
            )


def log_entries(db: Database, school_id: int | None = None, limit: int = 200) -> list[LogEntry]:
    """The newest entries first; only one school's when `school_id` is given."""
    where, params = ("WHERE school_id = ?", [school_id]) if school_id is not None else ("", [])
    rows = db.execute(
        "SELECT id, actor, action, subject, school_id, old_value, new_value, created_at "
        f"FROM admin_log {where} ORDER BY id DESC LIMIT ?",
        [*params, limit],
    )
    return [LogEntry(*row) for row in rows]
