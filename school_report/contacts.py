"""Contacts (延べ件数): each consultation of a case, on its own date, by its method and by who
consulted. A pupil's message becomes one by itself (a trigger, migration m018); staff record the
others (a call, a visit, an e-mail…) with `record_contact`. A staff reply is never a contact."""

from datetime import UTC, datetime

from sqlite_utils import Database

from school_report.clock import utc_now
from school_report.db import transaction
from school_report.migrations import CONSULTERS, CONTACT_METHODS
from school_report.refused import ReasonRefused


class ContactRefused(ReasonRefused):
    """A contact cannot be recorded as given; `reason` names why."""


def record_contact(
    db: Database,
    report_id: int,
    method: str,
    consulter: str,
    contacted_at: datetime,
    staff_id: int | None = None,
) -> int:
    """Record a consultation of the case `report_id` that happened at `contacted_at`; it counts
    in the period of that date, whenever it is recorded."""
    if method not in CONTACT_METHODS or method == "tablet":
        raise ContactRefused("bad_method")
    if consulter not in CONSULTERS:
        raise ContactRefused("bad_consulter")
    at = contacted_at.astimezone(UTC).isoformat(timespec="seconds")
    with transaction(db):
        if not db.execute("SELECT 1 FROM reports WHERE id = ?", [report_id]).fetchone():
            raise ContactRefused("not_found")
        return db.execute(
            "INSERT INTO contacts (report_id, method, consulter, contacted_at, previous_at, "
            "staff_id, created_at) VALUES (?, ?, ?, ?, (SELECT max(contacted_at) FROM contacts "
            "WHERE report_id = ? AND contacted_at <= ?), ?, ?)",
            [
                report_id,
                method,
                consulter,
                at,
                report_id,
                at,
                staff_id,
                utc_now().isoformat(timespec="seconds"),
            ],
        ).lastrowid
