"""The weekly case review (支援方針会議): every centre case open at any time in a week, as the
agenda the centre takes to its external lawyer and welfare advisers.

No pupil names, grades or classes, and no school names: the advisers need what a case is and
how it stands, not who the child is.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlite_utils import Database

from school_report.agency_notifications import overdue_safety_checks
from school_report.cases import require_centre
from school_report.hours import city_zone
from school_report.routing import inbox_condition, note_condition
from school_report.staff import Staff
from school_report.text import plain_text

NOTE_HEADLINE_CHARS = 50


@dataclass(frozen=True)
class ReviewRow:
    report_id: int
    created_at: str
    topic_ja: str
    topic_en: str
    school_kind: str
    urgency: str
    status: str
    assignee_name: str | None
    headline: str | None
    latest_note: str | None  # its first line, cut to about 50 characters
    watch_case: bool
    watch_reason: str | None
    safety_check_overdue: bool = False  # a 通告 unanswered 48 hours on (at the review)
    latest_advice: str | None = None  # what the advisers said last time, before this week

    def topic(self, language: str) -> str:
        return self.topic_ja if language == "ja" else self.topic_en


def note_headline(body: str | None) -> str | None:
    if not body:
        return None
    first_line = body.strip().splitlines()[0]
    if len(first_line) <= NOTE_HEADLINE_CHARS:
        return first_line
    return first_line[: NOTE_HEADLINE_CHARS - 1] + "…"


def _utc(db: Database, day: date) -> str:
    local = datetime.combine(day, time(0), tzinfo=city_zone(db))
    return local.astimezone(UTC).isoformat(timespec="seconds")


def weekly_review(db: Database, staff: Staff, week_start: date) -> list[ReviewRow]:
    """The cases opened before the week ended and not closed before it began, oldest first."""
    require_centre(staff)
    start, end = _utc(db, week_start), _utc(db, week_start + timedelta(days=7))
    condition, params = inbox_condition(staff)
    notes, note_params = note_condition(staff)
    rows = db.execute(
        "SELECT r.id, r.created_at, t.label_ja, t.label_en, s.kind, r.urgency, r.status, "
        "a.display_name, r.headline, (SELECT n.body FROM notes n WHERE n.report_id = r.id "
        f"AND n.created_at < ? AND {notes} ORDER BY n.id DESC LIMIT 1), "
        "r.watch_case, r.watch_reason, (SELECT json_extract(e.detail, '$.advice') "
        "FROM case_events e WHERE e.report_id = r.id AND e.kind = 'advice_recorded' "
        "AND e.created_at < ? ORDER BY e.id DESC LIMIT 1) FROM reports r "
        "JOIN topics t ON t.id = r.topic_id JOIN schools s ON s.id = r.school_id "
        "LEFT JOIN staff a ON a.id = r.assigned_to "
        f"WHERE {condition} AND r.created_at < ? AND (r.closed_at IS NULL OR r.closed_at >= ?) "
        "ORDER BY r.created_at, r.id",
        [end, *note_params, end, *params, end, start],
    )
    rows = rows.fetchall()
    late = overdue_safety_checks(db, [row[0] for row in rows])
    return [
        ReviewRow(
            row[0],
            row[1],
            plain_text(row[2]),
            plain_text(row[3]),
            *row[4:9],
            note_headline(row[9]),
            bool(row[10]),
            row[11],
            row[0] in late,
            note_headline(row[12]),
        )
        for row in rows
    ]
