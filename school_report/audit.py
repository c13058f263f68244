"""A case's audit trail: one `case_events` row per thing that happened, append-only.

The schema's triggers refuse any change to a row once written, so the trail is what staff (and
the statistics) can trust. `staff_id` is None for what the pupil or the system did (opening a
report, danger words raising its urgency); `detail` is a small JSON object.
"""

import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from school_report.clock import now_iso


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


def case_trail(db: Database, report_id: int) -> list[CaseEvent]:
    """Everything that happened to a case, oldest first."""
    rows = db.execute(
        "SELECT e.id, e.kind, st.display_name, e.detail, e.created_at FROM case_events e "
        "LEFT JOIN staff st ON st.id = e.staff_id WHERE e.report_id = ? ORDER BY e.id",
        [report_id],
    )
    return [CaseEvent(*row[:3], json.loads(row[3]), row[4]) for row in rows]
