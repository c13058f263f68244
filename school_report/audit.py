"""A case's audit trail: one `case_events` row per thing that happened, append-only.

The schema's triggers refuse any change to a row once written, so the trail is what staff (and
the statistics) can trust. `staff_id` is None for what the pupil or the system did (opening a
report, danger words raising its urgency); `detail` is a small JSON object.
"""

import json
from dataclasses import dataclass, replace
from typing import Any

from sqlite_utils import Database

from school_report.clock import now_iso
from school_report.routing import event_condition, reads_every_pupil_message
from school_report.staff import Staff


@dataclass(frozen=True)
class CaseEvent:
    id: int
    kind: str
    staff_name: str | None
    detail: dict[str, Any]
    created_at: str


def record_event(
    db: Database, report_id: int, staff_id: int | None, kind: str, **detail: Any
) -> None:
    db.execute(
        "INSERT INTO case_events (report_id, staff_id, kind, detail, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [report_id, staff_id, kind, json.dumps(detail, ensure_ascii=False), now_iso()],
    )


def case_trail(db: Database, report_id: int, viewer: Staff | None = None) -> list[CaseEvent]:
    """Everything that happened to a case, oldest first; for a staff `viewer`, what their side
    may read (`routing.event_condition`): the checklist items that raised the urgency only for
    the centre, and the danger words only for a viewer who may read every message the words
    could have come from."""
    condition, params = event_condition(viewer) if viewer else ("1", [])
    rows = db.execute(
        "SELECT e.id, e.kind, st.display_name, e.detail, e.created_at FROM case_events e "
        f"LEFT JOIN staff st ON st.id = e.staff_id WHERE e.report_id = ? AND {condition} "
        "ORDER BY e.id",
        [report_id, *params],
    )
    trail = [CaseEvent(*row[:3], json.loads(row[3]), row[4]) for row in rows]
    hidden = _hidden_details(db, viewer, report_id) if viewer else set()
    if not hidden:
        return trail
    return [
        replace(event, detail={k: v for k, v in event.detail.items() if k not in hidden})
        for event in trail
    ]


def _hidden_details(db: Database, viewer: Staff, report_id: int) -> set[str]:
    hidden = set() if viewer.role == "centre" else {"keys"}
    if report_id not in reads_every_pupil_message(db, viewer, [report_id]):
        hidden.add("words")
    return hidden
