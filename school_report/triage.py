"""Triage: each report's urgency (suggested by its topic and by danger words, then confirmed or
changed by staff), the centre's emergency checklist (一次判断), overdue first replies, and the
queue that sorts every report by urgency and by how long the pupil has waited.

City settings read here (the admin pages edit them; keep their shapes):
- `emergency_checklist`: a list of {"key", "label_ja", "label_en"}. Ticking any item makes the
  case urgent, and it stays urgent while an item is ticked: staff untick first to lower it.
- `overdue_minutes`: {"urgent": 15, "high": 480, "normal": 1440, "low": 2400}, one whole
  number per urgency. Each counts minutes of the centre's opening hours only (`hours.py`:
  weekdays, times, holidays), from the moment the report arrived until a first reply reaches
  the pupil. So "15 minutes in opening hours" is 15 and "3 working days" is three opening days
  (1440 at 10:00-18:00). "High: the same day" is a rule of its own: a high report is due by
  the closing time of the day it arrives, or of the next opening day if it arrives after
  closing time or on a closed day (a report at 17:00 is due at 18:00 that day; one at 19:00,
  at 18:00 the next opening day); its minutes can only bring that earlier (480, a whole
  opening day, never does). If the city changes its opening hours, the numbers keep their
  minutes, not their days. The rule is `overdue.Deadlines`; the daily digest counts by it too.
"""

import json
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from threading import Lock

from sqlite_utils import Database

from school_report.agency_notifications import overdue_safety_checks
from school_report.audit import record_event
from school_report.cases import (
    Case,
    Colleague,
    PendingReply,
    as_seen_by,
    cases_of,
    colleagues,
    pending_replies,
    require_centre,
    require_work,
)
from school_report.clock import now_iso, utc_now
from school_report.db import transaction
from school_report.hand_overs import hand_overs_to
from school_report.migrations import STATUSES, URGENCIES
from school_report.overdue import deadlines
from school_report.reports import (
    _REPORT_SELECT,
    Report,
    SubmissionError,
    _report,
    clean_text,
    unread_count,
)
from school_report.routing import inbox_condition
from school_report.settings import get_setting
from school_report.staff import Staff
from school_report.text import plain_text

# Urgency

MAX_URGENCY_REASON_CHARS = 500


def set_urgency(db: Database, staff: Staff, report: Report, urgency: str, reason: str = "") -> None:
    """Staff change the urgency; the change, who made it and when are kept. Lowering it needs
    the reason (根拠), kept in the audit trail. While an item of the emergency checklist is
    ticked the case stays urgent: staff untick it first."""
    require_work(db, staff, report.id)
    if urgency not in URGENCIES:
        raise SubmissionError("bad_form")
    why = clean_text(reason, MAX_URGENCY_REASON_CHARS, required=False, multiline=True) or ""
    with transaction(db):
        (was,) = db.execute("SELECT urgency FROM reports WHERE id = ?", [report.id]).fetchone()
        if urgency != "urgent" and _ticked(db, report.id):
            raise SubmissionError("checklist_ticked")
        if was == urgency:
            _confirm(db, staff, report.id, urgency)
            return
        lowered = URGENCIES.index(urgency) > URGENCIES.index(was)
        if lowered and not why:
            raise SubmissionError("urgency_reason_missing")
        db.execute(
            "UPDATE reports SET urgency = ?, urgency_source = 'staff', urgency_reason = NULL, "
            "urgency_confirmed_by = ?, urgency_confirmed_at = ? WHERE id = ?",
            [urgency, staff.id, now_iso(), report.id],
        )
        because = {"why": why} if why else {}
        record_event(
            db,
            report.id,
            staff.id,
            "urgency_changed",
            was=was,
            to=urgency,
            reason="staff",
            **because,
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


def _ticked(db: Database, report_id: int) -> set[str]:
    rows = db.execute("SELECT item_key FROM checklist_ticks WHERE report_id = ?", [report_id])
    return {key for (key,) in rows}


def tick_checklist(db: Database, staff: Staff, report: Report, keys: set[str]) -> None:
    """Save which items are ticked now; any ticked item makes the case urgent at once. The
    checklist is the centre's own first judgement."""
    require_centre(staff)
    require_work(db, staff, report.id)
    if not keys <= {item.key for item in checklist(db, report.id)}:
        raise SubmissionError("bad_form")
    with transaction(db):
        ticked = _ticked(db, report.id)
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


# The queue

PAGE_SIZE = 50
_COUNTS_KEPT = 256

# The centre works open cases most urgent first, within 緊急 the most severe family of danger
# first (`danger_rank`), then whoever has waited longest for a first reply (the terms of the
# `reports_open_queue` index); closed cases most recently closed
# first; "all", newest first. A school's inbox: unread first (what it answers: a report it
# referred or was brought in on is the centre's to read), then newest.
TRIAGE_ORDER = (
    "r.urgency_rank, r.danger_rank, r.waiting_since IS NULL, r.waiting_since, "
    "r.staff_unread DESC, "
    "r.last_pupil_message_at DESC, r.id"
)
CLOSED_ORDER = "r.closed_at DESC, r.id DESC"
NEWEST_ORDER = "r.created_at DESC, r.id DESC"
INBOX_ORDER = "(r.staff_unread AND r.answered_by != 'centre') DESC, r.created_at DESC, r.id DESC"


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows. `status` is "open" (all but closed), "all" or a status;
    `assignee` is "" (anyone), "me", "none" or a staff id; `page` counts from 0."""

    school_id: int | None = None
    topic_id: int | None = None
    status: str = "open"
    assignee: str = ""
    watch: bool = False
    page: int = 0

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
    # Handed to this side: "unread" until someone here opens it, then "read"; else None.
    hand_over: str | None = None
    safety_check_overdue: bool = False  # a 通告 unanswered 48 hours on (the centre's)


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    page: int
    more: bool  # another page follows


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


def _where(staff: Staff, filters: QueueFilter, skip: str = "") -> tuple[str, list]:
    """The SQL condition for the filters, leaving out the one named `skip` (to count it).
    Every open status is also written as "not closed", so the open-case indexes apply."""
    condition, params = inbox_condition(staff)
    clauses, values = [condition], list(params)
    if skip != "status" and filters.status != "all":
        if filters.status != "closed":
            clauses.append("r.status != 'closed'")
        if filters.status != "open":
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


def _order(staff: Staff, filters: QueueFilter) -> str:
    if staff.role != "centre":
        return INBOX_ORDER
    return {"closed": CLOSED_ORDER, "all": NEWEST_ORDER}.get(filters.status, TRIAGE_ORDER)


def queue(db: Database, staff: Staff, filters: QueueFilter) -> QueuePage:
    """One page of the staff member's inbox; for the centre, the city-wide triage queue."""
    condition, params = _where(staff, filters)
    order = _order(staff, filters)
    # The page's ids first, sorting only what the order needs; then their rows.
    reports = [
        _report(row)
        for row in db.execute(
            f"{_REPORT_SELECT} WHERE r.id IN (SELECT r.id FROM reports r WHERE {condition} "
            f"ORDER BY {order} LIMIT ? OFFSET ?) ORDER BY {order}",
            [*params, PAGE_SIZE + 1, filters.page * PAGE_SIZE],
        )
    ]
    more, reports = len(reports) > PAGE_SIZE, reports[:PAGE_SIZE]
    if not reports:
        return QueuePage([], filters.page, more=False)
    ids = [report.id for report in reports]
    cases = as_seen_by(db, staff, cases_of(db, ids))
    clock, now = deadlines(db), utc_now()
    handed = hand_overs_to(db, staff, ids)
    late = overdue_safety_checks(db, ids, now) if staff.role == "centre" else set()
    rows = []
    for report in reports:
        if report.answered_by != staff.role:  # unread is the answering side's, not a reader's
            report = replace(report, staff_unread=False)
        due = clock.due_at(report)
        overdue = due is not None and due < now
        rows.append(
            QueueRow(
                report, cases[report.id], due, overdue, handed.get(report.id), report.id in late
            )
        )
    return QueuePage(rows, filters.page, more)


# Counts per filter choice. The centre's are summed from `queue_counts`, kept by triggers for
# every combination of what it filters by (its inbox condition and filters name only those
# columns); a school counts its own few reports directly. Staff pages ask every few seconds and
# reports change less often, so counts are also kept in memory per database and
# `queue_changes.version` (moved by the same triggers, and by hand-overs). Labels are looked up
# fresh, so a renamed school shows its new name at once.

_kept_counts: OrderedDict[tuple, dict[str, dict[str, int]]] = OrderedDict()
_kept_counts_lock = Lock()

# Filter name: the column it counts by.
_FACETS = {
    "status": "r.status",
    "assignee": "r.assigned_to",
    "school": "r.school_id",
    "topic": "r.topic_id",
}


def _count_by(db: Database, staff: Staff, filters: QueueFilter, skip: str) -> dict[str, int]:
    condition, params = _where(staff, filters, skip)
    source, count = ("queue_counts", "sum(r.reports)")
    if staff.role != "centre":
        source, count = ("reports", "count(*)")
    if skip == "watch":
        sql = f"SELECT '1', {count} FROM {source} r WHERE {condition} AND r.watch_case = 1"
    else:
        column = _FACETS[skip]
        sql = f"SELECT {column}, {count} FROM {source} r WHERE {condition} GROUP BY {column}"
    return {"" if value is None else str(value): n for value, n in db.execute(sql, params) if n}


def _counts(db: Database, staff: Staff, filters: QueueFilter) -> dict[str, dict[str, int]]:
    facets = ["status", "assignee"] + (
        ["school", "topic", "watch"] if staff.role == "centre" else []
    )
    key_filters = replace(filters, page=0)
    me = staff.id if filters.assignee == "me" else None
    (instance, version) = db.execute("SELECT instance, version FROM queue_changes").fetchone()
    key = (instance, version, staff.role, staff.school_id, me, key_filters)
    with _kept_counts_lock:
        if key in _kept_counts:
            _kept_counts.move_to_end(key)
            return _kept_counts[key]
    counts = {facet: _count_by(db, staff, key_filters, facet) for facet in facets}
    with _kept_counts_lock:
        _kept_counts[key] = counts
        while len(_kept_counts) > _COUNTS_KEPT:
            _kept_counts.popitem(last=False)
    return counts


def _labelled(counts: dict[str, int], labels: Iterable[tuple]) -> list[Facet]:
    """Facets in the order of `labels` ((value, ja, en) rows), those with a count only."""
    return [
        Facet(str(value), ja or "", en or "", counts[str(value)])
        for value, ja, en in labels
        if str(value) in counts
    ] + ([Facet("", "", "", counts[""])] if "" in counts else [])


def queue_counts(db: Database, staff: Staff, filters: QueueFilter) -> QueueCounts:
    counts = _counts(db, staff, filters)
    by_status = counts["status"]
    result = QueueCounts(
        status={status: by_status.get(status, 0) for status in STATUSES},
        assignees=_labelled(
            counts["assignee"],
            db.execute("SELECT id, display_name, display_name FROM staff ORDER BY display_name"),
        ),
    )
    result.status["open"] = sum(n for status, n in by_status.items() if status != "closed")
    result.status["all"] = sum(by_status.values())
    if staff.role == "centre":
        result.schools = _labelled(
            counts["school"], db.execute("SELECT id, name, name FROM schools ORDER BY name")
        )
        result.topics = _labelled(
            counts["topic"],
            (
                (topic_id, plain_text(ja), plain_text(en))
                for topic_id, ja, en in db.execute(
                    "SELECT id, label_ja, label_en FROM topics ORDER BY label_ja"
                )
            ),
        )
        result.watch = counts["watch"].get("1", 0)
    return result


@dataclass(frozen=True)
class Inbox:
    """Everything an inbox page shows, read in one go (one trip to the database thread)."""

    queue: QueuePage
    counts: QueueCounts
    unread: int
    pending: list[PendingReply]
    colleagues: list[Colleague]


def inbox(db: Database, staff: Staff, filters: QueueFilter, *, with_colleagues: bool) -> Inbox:
    """The staff member's inbox page: the queue, its counts, what waits for them; the
    colleagues a filter can name only where the page draws its filters."""
    return Inbox(
        queue(db, staff, filters),
        queue_counts(db, staff, filters),
        unread_count(db, staff),
        pending_replies(db, staff),
        colleagues(db, staff) if with_colleagues else [],
    )
