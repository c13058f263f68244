"""Retention: closed cases are deleted once the city's retention period has passed since they
were closed (`retention_years`, 3 by default), with everything recorded about them, unless
they are on legal hold. `secure_delete` (set on every connection) overwrites what is deleted.

Everything that refers to a case is found from the schema's foreign keys, so a table added
later (by any feature) is purged with its case without a change here. The admin log counts
what was deleted, per table, and says nothing of what the cases were.

The same run forgets the traces that outlive their use: wrong return codes and failed logins
older than their throttling window (each a time of pupil or staff activity at a school), and
staff sessions that have timed out.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlite_utils import Database

from school_report.admin_log import COMMAND_LINE, Actor, record
from school_report.clock import utc_now
from school_report.db import transaction
from school_report.login_throttle import forget_old_failures
from school_report.reports import CODE_GUESS_WINDOW
from school_report.settings import get_setting
from school_report.staff import end_timed_out_sessions
from school_report.statistics import keep_purged_counts


class RetentionError(ValueError):
    """A retention command cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class PurgeResult:
    closed_before: str
    cases: int
    rows: dict[str, int]  # rows deleted per table, the cases' own included
    # rows of expired traces deleted per table (wrong codes, failed logins, ended sessions)
    traces: dict[str, int] = field(default_factory=dict)


def _closed_before(db: Database, now: datetime) -> str:
    years = int(get_setting(db, "retention_years"))
    try:
        cutoff = now.replace(year=now.year - years)
    except ValueError:  # 29 February
        cutoff = now.replace(year=now.year - years, day=28)
    return cutoff.isoformat(timespec="seconds")


def _referring(db: Database, table: str) -> list[tuple[str, str, str]]:
    """(table, column, referred column) of every foreign key pointing at `table`."""
    found = []
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for fk in db.execute(f"PRAGMA foreign_key_list('{name}')"):
            if fk[2] == table:
                found.append((name, fk[3], fk[4] or "id"))
    return found


def _delete(db: Database, table: str, where: str, rows: dict[str, int], seen: set[str]) -> None:
    """Delete `table`'s rows matching `where`, and first whatever refers to them."""
    for child, column, referred in _referring(db, table):
        if child in seen:
            continue
        _delete(
            db,
            child,
            f"{column} IN (SELECT {referred} FROM {table} WHERE {where})",
            rows,
            seen | {child},
        )
    cursor = db.execute(f"DELETE FROM {table} WHERE {where}")
    if cursor.rowcount:
        rows[table] = rows.get(table, 0) + cursor.rowcount


def _forget_expired_traces(db: Database, now: datetime) -> dict[str, int]:
    cutoff = (now - CODE_GUESS_WINDOW).isoformat(timespec="seconds")
    traces = {
        "code_failures": db.execute("DELETE FROM code_failures WHERE at <= ?", [cutoff]).rowcount,
        "login_failures": forget_old_failures(db, now),
        "staff_sessions": end_timed_out_sessions(db, now),
    }
    return {table: count for table, count in traces.items() if count}


def purge_expired_cases(
    db: Database, now: datetime | None = None, by: Actor = COMMAND_LINE
) -> PurgeResult:
    now = now or utc_now()
    closed_before = _closed_before(db, now)
    rows: dict[str, int] = {}
    with transaction(db):
        # The audit trail of a case may be deleted only while the case is listed here.
        db.execute(
            "INSERT INTO purging (report_id) SELECT id FROM reports "
            "WHERE status = 'closed' AND legal_hold = 0 AND closed_at IS NOT NULL "
            "AND closed_at < ?",
            [closed_before],
        )
        keep_purged_counts(db)  # published statistics stay as they were
        _delete(db, "reports", "id IN (SELECT report_id FROM purging)", rows, {"purging"})
        db.execute("DELETE FROM purging")
        cases = rows.get("reports", 0)
        if cases:
            record(
                db,
                by,
                "retention.purge",
                f"{cases} closed cases",
                new={"closed_before": closed_before, "rows": rows},
            )
        traces = _forget_expired_traces(db, now)
        if traces:
            record(db, by, "retention.forget_traces", "expired traces", new={"rows": traces})
    return PurgeResult(closed_before, cases, rows, traces)


def set_legal_hold(db: Database, report_id: int, hold: bool, by: Actor = COMMAND_LINE) -> None:
    """A case on legal hold is kept past its retention period until the hold is lifted."""
    with transaction(db):
        cursor = db.execute(
            "UPDATE reports SET legal_hold = ? WHERE id = ?", [int(hold), report_id]
        )
        if cursor.rowcount == 0:
            raise RetentionError(f"there is no report {report_id}")
        record(db, by, "retention.legal_hold", f"report {report_id}", new=hold)


def legal_holds(db: Database) -> list[int]:
    """The numbers of the reports on legal hold, lowest first."""
    return [row[0] for row in db.execute("SELECT id FROM reports WHERE legal_hold = 1 ORDER BY id")]
