"""Triage: each report's urgency (suggested by its topic and by danger words, then confirmed or
changed by staff), the centre's emergency checklist (一次判断), overdue first replies, and the
queue that sorts every report by urgency and by how long the pupil has waited.

City settings read here (the admin pages edit them; keep their shapes):
- `emergency_checklist`: a list of {"key", "label_ja", "label_en"}. Ticking any item makes the
  case urgent.
- `overdue_minutes`: {"urgent": 15, "high": 480, "normal": 1440, "low": 2400}, one whole
  number per urgency. Each counts minutes of the centre's opening hours only (`hours.py`:
  weekdays, times, holidays), from the moment the report arrived until a first reply reaches
  the pupil. So "15 minutes in opening hours" is 15; "same day" is written as one opening day
  (480 at 10:00-18:00: by closing time for a report that arrives at opening, by the same time
  the next working day otherwise); "3 working days" is three opening days (1440). If the city
  changes its opening hours, these numbers keep their minutes, not their days.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from school_report.audit import record_event
from school_report.cases import Case, cases_of, require_work
from school_report.clock import now_iso, parse_iso, utc_now
from school_report.db import transaction
from school_report.hours import CentreHours, centre_hours, city_zone
from school_report.migrations import STATUSES, URGENCIES
from school_report.reports import _REPORT_SELECT, Report, SubmissionError, _report
from school_report.routing import inbox_condition
from school_report.settings import get_setting
from school_report.staff import Staff

QUEUE_LIMIT = 200


# Urgency


def set_urgency(db: Database, staff: Staff, report: Report, urgency: str) -> None:
    """Staff change the urgency; the change, who made it and when are kept."""
    require_work(db, staff, report.id)
    if urgency not in URGENCIES:
        raise SubmissionError("bad_form")
    with transaction(db):
        (was,) = db.execute("SELECT urgency FROM reports WHERE id = ?", [report.id]).fetchone()
        if was == urgency:
            _confirm(db, staff, report.id, urgency)
            return
        db.execute(
            "UPDATE reports SET urgency = ?, urgency_source = 'staff', urgency_reason = NULL, "
            "urgency_confirmed_by = ?, urgency_confirmed_at = ? WHERE id = ?",
            [urgency, staff.id, now_iso(), report.id],
        )
        record_event(
            db, report.id, staff.id, "urgency_changed", was=was, to=urgency, reason="staff"
        )


def confirm_urgency(db: Database, staff: Staff, report: Report) -> None:
    """Staff agree with the suggested urgency (from the topic or danger words)."""
    require_work(db, staff, report.id)
    with transaction(db):
        (urgency,) = db.execute("SELECT urgency FROM reports WHERE id = ?", [report.id]).fetchone()
        _confirm(db, staff, report.id, urgency)


def _confirm(db: Database, staff: Staff, report_id: int, urgency: str) -> None:
    db.execute(
        "UPDATE reports SET urgency_confirmed_by = ?, urgency_confirmed_at = ? WHERE id = ?",
        [staff.id, now_iso(), report_id],
    )
    record_event(db, report_id, staff.id, "urgency_confirmed", urgency=urgency)


# The emergency checklist


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label_ja: str
    label_en: str
    ticked_by: str | None
    ticked_at: str | None

    def label(self, language: str) -> str:
        return self.label_ja if language == "ja" else self.label_en


def checklist(db: Database, report_id: int) -> list[ChecklistItem]:
    """The city's checklist with this case's ticks; a tick on an item the city has since
    removed is still shown, under its key."""
    ticks = {
        key: (name, at)
        for key, name, at in db.execute(
            "SELECT t.item_key, st.display_name, t.ticked_at FROM checklist_ticks t "
            "JOIN staff st ON st.id = t.staff_id WHERE t.report_id = ?",
            [report_id],
        )
    }
    items = get_setting(db, "emergency_checklist")
    known = {item["key"] for item in items}
    listed = [(item["key"], item["label_ja"], item["label_en"]) for item in items]
    listed += [(key, key, key) for key in ticks if key not in known]
    return [ChecklistItem(*item, *ticks.get(item[0], (None, None))) for item in listed]


def tick_checklist(db: Database, staff: Staff, report: Report, keys: set[str]) -> None:
    """Save which items are ticked now; any ticked item makes the case urgent at once."""
    require_work(db, staff, report.id)
    if not keys <= {item.key for item in checklist(db, report.id)}:
        raise SubmissionError("bad_form")
    with transaction(db):
        ticked = {
            key
            for (key,) in db.execute(
                "SELECT item_key FROM checklist_ticks WHERE report_id = ?", [report.id]
            )
        }
        for key in sorted(keys - ticked):
            db.execute(
                "INSERT INTO checklist_ticks (report_id, item_key, staff_id, ticked_at) "
                "VALUES (?, ?, ?, ?)",
                [report.id, key, staff.id, now_iso()],
            )
            record_event(db, report.id, staff.id, "checklist_ticked", key=key)
        for key in sorted(ticked - keys):
            db.execute(
                "DELETE FROM checklist_ticks WHERE report_id = ? AND item_key = ?",
                [report.id, key],
            )
            record_event(db, report.id, staff.id, "checklist_unticked", key=key)
        (was,) = db.execute("SELECT urgency FROM reports WHERE id = ?", [report.id]).fetchone()
        if keys - ticked and was != "urgent":
            db.execute(
                "UPDATE reports SET urgency = 'urgent', urgency_source = 'checklist', "
                "urgency_reason = ?, urgency_confirmed_by = ?, urgency_confirmed_at = ? "
                "WHERE id = ?",
                [json.dumps(sorted(keys)), staff.id, now_iso(), report.id],
            )
            record_event(
                db,
                report.id,
                staff.id,
                "urgency_changed",
                was=was,
                to="urgent",
                reason="checklist",
                keys=sorted(keys),
            )


# Overdue first replies


def opening_deadline(hours: CentreHours, start: datetime, minutes: int) -> datetime:
    """The moment `minutes` of opening hours have passed since `start` (in the city's zone)."""
    left = timedelta(minutes=minutes)
    day = start.date()
    for _ in range(400 + minutes // 60):
        if hours.is_working_day(day):
            opens = max(start, datetime.combine(day, hours.opens, tzinfo=start.tzinfo))
            closes = datetime.combine(day, hours.closes, tzinfo=start.tzinfo)
            if opens < closes:
                if opens + left <= closes:
                    return opens + left
                left -= closes - opens
        day += timedelta(days=1)
    raise ValueError("the centre has no opening hours")


@dataclass(frozen=True)
class Deadlines:
    """When each unanswered report becomes overdue, by the city's settings read once."""

    hours: CentreHours
    zone: ZoneInfo
    minutes: dict[str, int]

    def due_at(self, report: Report) -> datetime | None:
        minutes = self.minutes.get(report.urgency)
        if report.first_reply_at or report.status == "closed" or not minutes:
            return None
        start = parse_iso(report.created_at).astimezone(self.zone)
        return opening_deadline(self.hours, start, minutes)


def deadlines(db: Database) -> Deadlines:
    return Deadlines(centre_hours(db), city_zone(db), get_setting(db, "overdue_minutes"))


# The queue


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows. `status` is "open" (all but closed), "all" or a status;
    `assignee` is "" (anyone), "me", "none" or a staff id."""

    school_id: int | None = None
    topic_id: int | None = None
    status: str = "open"
    assignee: str = ""
    watch: bool = False

    @property
    def centre_only(self) -> bool:
        """Whether it filters the city-wide queue in a way only the centre may."""
        return self.school_id is not None or self.topic_id is not None or self.watch


@dataclass(frozen=True)
class QueueRow:
    report: Report
    case: Case
    due_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class Facet:
    value: str
    label_ja: str
    label_en: str
    count: int

    def label(self, language: str) -> str:
        return self.label_ja if language == "ja" else self.label_en


@dataclass
class QueueCounts:
    """How many reports each choice of a filter would show, the other filters kept."""

    status: dict[str, int] = field(default_factory=dict)
    schools: list[Facet] = field(default_factory=list)
    topics: list[Facet] = field(default_factory=list)
    assignees: list[Facet] = field(default_factory=list)
    watch: int = 0


_URGENCY_RANK = "CASE r.urgency " + " ".join(
    f"WHEN '{urgency}' THEN {rank}" for rank, urgency in enumerate(URGENCIES)
)
TRIAGE_ORDER = (
    f"{_URGENCY_RANK} END, r.first_reply_at IS NOT NULL, "
    "CASE WHEN r.first_reply_at IS NULL THEN r.created_at END, "
    "r.staff_unread DESC, r.last_pupil_message_at DESC, r.id"
)
INBOX_ORDER = "r.staff_unread DESC, r.created_at DESC, r.id DESC"


def _where(staff: Staff, filters: QueueFilter, skip: str = "") -> tuple[str, list]:
    """The SQL condition for the filters, leaving out the one named `skip` (to count it)."""
    condition, params = inbox_condition(staff)
    clauses, values = [condition], list(params)
    if skip != "status" and filters.status != "all":
        if filters.status == "open":
            clauses.append("r.status != 'closed'")
        else:
            clauses.append("r.status = ?")
            values.append(filters.status)
    if skip != "school" and filters.school_id is not None:
        clauses.append("r.school_id = ?")
        values.append(filters.school_id)
    if skip != "topic" and filters.topic_id is not None:
        clauses.append("r.topic_id = ?")
        values.append(filters.topic_id)
    if skip != "assignee" and filters.assignee:
        if filters.assignee == "none":
            clauses.append("r.assigned_to IS NULL")
        else:
            clauses.append("r.assigned_to = ?")
            values.append(staff.id if filters.assignee == "me" else int(filters.assignee))
    if skip != "watch" and filters.watch:
        clauses.append("r.watch_case = 1")
    return " AND ".join(clauses), values


def queue(db: Database, staff: Staff, filters: QueueFilter) -> list[QueueRow]:
    """The centre's queue (most urgent first, then whoever has waited longest for a first
    reply); for a school's inbox the same rows, unread first, then newest."""
    condition, params = _where(staff, filters)
    order = TRIAGE_ORDER if staff.role == "centre" else INBOX_ORDER
    reports = [
        _report(row)
        for row in db.execute(
            f"{_REPORT_SELECT} WHERE {condition} ORDER BY {order} LIMIT ?",
            [*params, QUEUE_LIMIT],
        )
    ]
    if not reports:
        return []
    cases = cases_of(db, [report.id for report in reports])
    clock, now = deadlines(db), utc_now()
    rows = []
    for report in reports:
        due = clock.due_at(report)
        rows.append(QueueRow(report, cases[report.id], due, due is not None and due < now))
    return rows


def _facet(
    db: Database, staff: Staff, filters: QueueFilter, skip: str, key: str, label: str, label_en=""
) -> list[Facet]:
    """Counts by the column `key`, labelled by `label` (and `label_en` where it differs)."""
    condition, params = _where(staff, filters, skip)
    rows = db.execute(
        f"SELECT {key}, {label}, {label_en or label}, count(*) FROM reports r "
        "JOIN schools s ON s.id = r.school_id JOIN topics t ON t.id = r.topic_id "
        "LEFT JOIN staff a ON a.id = r.assigned_to "
        f"WHERE {condition} GROUP BY {key} ORDER BY {label}",
        params,
    )
    return [
        Facet("" if value is None else str(value), ja or "", en or "", n)
        for value, ja, en, n in rows
    ]


def queue_counts(db: Database, staff: Staff, filters: QueueFilter) -> QueueCounts:
    counts = QueueCounts()
    by_status = {f.value: f.count for f in _facet(db, staff, filters, "status", "r.status", "''")}
    counts.status = {status: by_status.get(status, 0) for status in STATUSES}
    counts.status["open"] = sum(n for status, n in by_status.items() if status != "closed")
    counts.status["all"] = sum(by_status.values())
    counts.assignees = _facet(db, staff, filters, "assignee", "r.assigned_to", "a.display_name")
    if staff.role == "centre":
        counts.schools = _facet(db, staff, filters, "school", "r.school_id", "s.name")
        counts.topics = _facet(
            db, staff, filters, "topic", "r.topic_id", "t.label_ja", "t.label_en"
        )
        condition, params = _where(staff, filters, "watch")
        (counts.watch,) = db.execute(
            f"SELECT count(*) FROM reports r WHERE {condition} AND r.watch_case = 1", params
        ).fetchone()
    return counts
