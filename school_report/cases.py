"""Case work on a report: status and outcome, assignment, headline, internal notes, the watch
flag, the coordination log, and replies that wait for a supervisor.

Every change is one row in the audit trail (`school_report.audit`), written in the same
transaction. Internal notes and the coordination log are never part of the pupil's thread.
Who may change a case: the staff who answer its thread (`routing.answer_condition`); anyone who
sees the report may read it and add notes. The watch flag and the coordination log are the
centre's.
"""

import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from sqlite_utils import Database

from school_report.audit import record_event
from school_report.clock import now_iso, utc_now
from school_report.db import transaction
from school_report.grounds import NOTIFICATION_AGENCIES
from school_report.migrations import AGENCIES, CONSENTS, OUTCOMES, STATUSES
from school_report.reports import (
    MAX_MESSAGE_CHARS,
    Report,
    SubmissionError,
    add_staff_reply,
    clean_text,
    mark_read,
    mark_replied,
)
from school_report.routing import answer_condition, note_condition, reads_every_pupil_message
from school_report.staff import Staff

MAX_HEADLINE_CHARS = 80  # the centre writes about 50; a little room, then it is not a headline
MAX_REASON_CHARS = 200
MAX_PERSON_CHARS = 80
MAX_SUMMARY_CHARS = 2000
OPEN_STATUSES = tuple(status for status in STATUSES if status != "closed")


class NotAllowed(PermissionError):
    """This staff member may not do this to this case; `reason` names why for the pages."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Case:
    """What case work has recorded on a report, beside the report itself."""

    report_id: int
    headline: str | None
    assignee_id: int | None
    assignee_name: str | None
    assignee_active: bool
    watch_case: bool
    watch_reason: str | None
    outcome: str | None
    closed_at: str | None
    urgency_source: str
    urgency_reason: list[str]
    urgency_confirmed_by: str | None
    urgency_confirmed_at: str | None
    danger_family: str | None = None  # the most severe family of danger the messages signal
    language_detected: str | None = None  # the language of the pupil's latest message

    @property
    def urgency_confirmed(self) -> bool:
        return self.urgency_confirmed_at is not None


CASE_SELECT = (
    "SELECT r.id, r.headline, r.assigned_to, a.display_name, coalesce(a.active, 0), "
    "r.watch_case, r.watch_reason, r.outcome, r.closed_at, r.urgency_source, r.urgency_reason, "
    "c.display_name, r.urgency_confirmed_at, r.danger_family, r.language_detected FROM reports r "
    "LEFT JOIN staff a ON a.id = r.assigned_to LEFT JOIN staff c ON c.id = r.urgency_confirmed_by"
)


def case_from_row(row: tuple) -> Case:
    return Case(
        row[0],
        row[1],
        row[2],
        row[3],
        bool(row[4]),
        bool(row[5]),
        row[6],
        row[7],
        row[8],
        row[9],
        json.loads(row[10] or "[]"),
        row[11],
        row[12],
        row[13],
        row[14],
    )


def case_of(db: Database, report_id: int) -> Case:
    return case_from_row(db.execute(f"{CASE_SELECT} WHERE r.id = ?", [report_id]).fetchone())


def cases_of(db: Database, report_ids: list[int]) -> dict[int, Case]:
    marks = ", ".join("?" for _ in report_ids)
    rows = db.execute(f"{CASE_SELECT} WHERE r.id IN ({marks})", report_ids)
    return {row[0]: case_from_row(row) for row in rows}


def as_seen_by(db: Database, staff: Staff, found: dict[int, Case]) -> dict[int, Case]:
    """The cases as this staff member's side may see them. The centre sees all of them. A
    school (its own report referred, or brought in by the centre) sees its own headline but not
    the centre's, no watch flag, and the danger words that raised the urgency only if it may
    read every pupil message (`routing.reads_every_pupil_message`)."""
    if staff.role == "centre" or not found:
        return found
    ids = list(found)
    whole = reads_every_pupil_message(db, staff, ids)
    by_centre = _headlines_by_centre(db, ids)
    return {
        report_id: replace(
            case,
            headline=None if report_id in by_centre else case.headline,
            watch_case=False,
            watch_reason=None,
            urgency_reason=case.urgency_reason
            if report_id in whole and case.urgency_source == "danger_words"
            else [],
            danger_family=case.danger_family if report_id in whole else None,
        )
        for report_id, case in found.items()
    }


def _headlines_by_centre(db: Database, report_ids: list[int]) -> set[int]:
    """The reports whose headline a centre counsellor wrote last."""
    marks = ", ".join("?" for _ in report_ids)
    rows = db.execute(
        "SELECT e.report_id FROM case_events e JOIN staff st ON st.id = e.staff_id "
        f"WHERE e.report_id IN ({marks}) AND st.role = 'centre' AND e.id = (SELECT max(l.id) "
        "FROM case_events l WHERE l.report_id = e.report_id AND l.kind = 'headline_changed')",
        report_ids,
    )
    return {report_id for (report_id,) in rows}


def case_for(db: Database, staff: Staff, report_id: int) -> Case:
    """The case of a report in this staff member's inbox, as their side may see it."""
    return as_seen_by(db, staff, {report_id: case_of(db, report_id)})[report_id]


def may_work(db: Database, staff: Staff, report_id: int) -> bool:
    """Whether the staff member answers this report's thread, and so may change its case."""
    condition, params = answer_condition(staff)
    row = db.execute(
        f"SELECT 1 FROM reports r WHERE r.id = ? AND {condition}", [report_id, *params]
    ).fetchone()
    return row is not None


def require_work(db: Database, staff: Staff, report_id: int) -> None:
    if not may_work(db, staff, report_id):
        raise NotAllowed("not_your_case")


def require_centre(staff: Staff) -> None:
    if staff.role != "centre":
        raise NotAllowed("centre_only")


def mark_unread(db: Database, staff: Staff, report: Report) -> None:
    """Leave the report unread for its inbox again. Unread belongs to the side that answers:
    a school reading what it referred cannot make it unread for the centre."""
    require_work(db, staff, report.id)
    mark_read(db, report, read=False)


def _current_status(db: Database, report_id: int) -> str:
    return db.execute("SELECT status FROM reports WHERE id = ?", [report_id]).fetchone()[0]


# Headline, status, outcome


def set_headline(db: Database, staff: Staff, report: Report, headline: str) -> None:
    require_work(db, staff, report.id)
    text = clean_text(headline, MAX_HEADLINE_CHARS, required=False, multiline=False)
    with transaction(db):
        db.execute("UPDATE reports SET headline = ? WHERE id = ?", [text, report.id])
        record_event(db, report.id, staff.id, "headline_changed", headline=text)


def set_status(
    db: Database, staff: Staff, report: Report, status: str, outcome: str | None = None
) -> None:
    """Move an open case to another open status, or close it with an outcome."""
    require_work(db, staff, report.id)
    if status not in STATUSES or status == "new":
        raise SubmissionError("bad_form")
    if status == "closed" and outcome not in OUTCOMES:
        raise SubmissionError("outcome_missing")
    with transaction(db):
        was = _current_status(db, report.id)
        if was == "closed":
            raise SubmissionError("case_closed")
        if was == status:
            return
        if status == "closed":
            db.execute(
                "UPDATE reports SET status = 'closed', outcome = ?, closed_at = ? WHERE id = ?",
                [outcome, now_iso(), report.id],
            )
            record_event(db, report.id, staff.id, "closed", was=was, outcome=outcome)
        else:
            db.execute("UPDATE reports SET status = ? WHERE id = ?", [status, report.id])
            record_event(db, report.id, staff.id, "status_changed", was=was, to=status)


def reopen(db: Database, staff: Staff, report: Report) -> None:
    """A closed case is worked again (in progress); the outcome it had is kept in the trail."""
    require_work(db, staff, report.id)
    with transaction(db):
        row = db.execute("SELECT status, outcome FROM reports WHERE id = ?", [report.id])
        status, outcome = row.fetchone()
        if status != "closed":
            raise SubmissionError("case_open")
        db.execute(
            "UPDATE reports SET status = 'in_progress', outcome = NULL, closed_at = NULL "
            "WHERE id = ?",
            [report.id],
        )
        record_event(db, report.id, staff.id, "reopened", outcome=outcome)


# Assignment


@dataclass(frozen=True)
class Colleague:
    id: int
    display_name: str


def _colleague_condition(staff: Staff) -> tuple[str, list]:
    """The accounts that work the same inbox as this staff member."""
    if staff.role == "centre":
        return "role = 'centre'", []
    return "role = ? AND school_id = ?", [staff.role, staff.school_id]


def colleagues(db: Database, staff: Staff) -> list[Colleague]:
    """The active staff a case of this staff member's inbox can be assigned to."""
    condition, params = _colleague_condition(staff)
    rows = db.execute(
        f"SELECT id, display_name FROM staff WHERE active = 1 AND {condition} "
        "ORDER BY display_name",
        params,
    )
    return [Colleague(*row) for row in rows]


def assign(db: Database, staff: Staff, report: Report, assignee_id: int | None) -> None:
    """Give the case to a colleague (or to nobody); reassigning is the same step."""
    require_work(db, staff, report.id)
    names = {colleague.id: colleague.display_name for colleague in colleagues(db, staff)}
    if assignee_id is not None and assignee_id not in names:
        raise SubmissionError("bad_form")
    with transaction(db):
        (was,) = db.execute("SELECT assigned_to FROM reports WHERE id = ?", [report.id]).fetchone()
        if was == assignee_id:
            return
        db.execute("UPDATE reports SET assigned_to = ? WHERE id = ?", [assignee_id, report.id])
        record_event(
            db,
            report.id,
            staff.id,
            "assigned",
            was=was,
            to=assignee_id,
            to_name=names.get(assignee_id),
        )


# Internal notes


@dataclass(frozen=True)
class Note:
    id: int
    staff_name: str
    body: str
    created_at: str


def add_note(db: Database, staff: Staff, report: Report, body: str) -> None:
    text = clean_text(body, MAX_MESSAGE_CHARS, required=True, multiline=True)
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO notes (report_id, staff_id, body, created_at) VALUES (?, ?, ?, ?)",
            [report.id, staff.id, text, now_iso()],
        )
        record_event(db, report.id, staff.id, "note_added", note_id=cursor.lastrowid)


def notes_of(db: Database, staff: Staff, report_id: int) -> list[Note]:
    """The report's internal notes this staff member's side may read, oldest first."""
    condition, params = note_condition(staff)
    rows = db.execute(
        "SELECT n.id, st.display_name, n.body, n.created_at FROM notes n "
        f"JOIN staff st ON st.id = n.staff_id WHERE n.report_id = ? AND {condition} "
        "ORDER BY n.id",
        [report_id, *params],
    )
    return [Note(*row) for row in rows]


# Watch cases


def set_watch(db: Database, staff: Staff, report: Report, watch: bool, reason: str = "") -> None:
    """Flag a case that may become a rights violation (留意ケース), with why; or clear it."""
    require_centre(staff)
    require_work(db, staff, report.id)
    text = clean_text(reason, MAX_REASON_CHARS, required=watch, multiline=False)
    with transaction(db):
        db.execute(
            "UPDATE reports SET watch_case = ?, watch_reason = ? WHERE id = ?",
            [int(watch), text if watch else None, report.id],
        )
        if watch:
            record_event(db, report.id, staff.id, "watch_flagged", reason=text)
        else:
            record_event(db, report.id, staff.id, "watch_cleared")


# Coordination log


@dataclass(frozen=True)
class Coordination:
    id: int
    report_id: int
    staff_name: str
    agency: str
    contact_person: str | None
    summary: str
    pupil_consent: str
    abuse_notification: bool
    contacted_at: str
    created_at: str


def log_coordination(
    db: Database,
    staff: Staff,
    report: Report,
    *,
    agency: str,
    contact_person: str,
    summary: str,
    pupil_consent: str,
    abuse_notification: bool,
    contacted_at: datetime,
) -> None:
    """One contact with an agency about the case; an abuse notification (虐待通告, Child Abuse
    Prevention Act art. 6) is such a contact, marked, with the time it was made."""
    require_centre(staff)
    require_work(db, staff, report.id)
    if agency not in AGENCIES or pupil_consent not in CONSENTS:
        raise SubmissionError("bad_form")
    if abuse_notification and agency not in NOTIFICATION_AGENCIES:
        # 児童虐待防止法 第6条: a 通告 goes to 児相, 市町村 or 福祉事務所, never to a school.
        raise SubmissionError("notification_agency")
    if contacted_at > utc_now():
        raise SubmissionError("in_the_future")
    person = clean_text(contact_person, MAX_PERSON_CHARS, required=False, multiline=False)
    text = clean_text(summary, MAX_SUMMARY_CHARS, required=True, multiline=True)
    with transaction(db):
        write_coordination(
            db, staff, report, agency, person, text, pupil_consent, abuse_notification, contacted_at
        )


def write_coordination(
    db: Database,
    staff: Staff,
    report: Report,
    agency: str,
    person: str | None,
    summary: str,
    pupil_consent: str,
    abuse_notification: bool,
    contacted_at: datetime,
) -> None:
    """Inside a transaction, with the fields checked: one coordination entry and its event."""
    cursor = db.execute(
        "INSERT INTO coordination (report_id, staff_id, agency, contact_person, summary, "
        "pupil_consent, abuse_notification, contacted_at, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            report.id,
            staff.id,
            agency,
            person,
            summary,
            pupil_consent,
            int(abuse_notification),
            contacted_at.astimezone(UTC).isoformat(timespec="seconds"),
            now_iso(),
        ],
    )
    record_event(
        db,
        report.id,
        staff.id,
        "coordination_logged",
        coordination_id=cursor.lastrowid,
        agency=agency,
        abuse_notification=abuse_notification,
    )


_COORDINATION_SELECT = (
    "SELECT c.id, c.report_id, st.display_name, c.agency, c.contact_person, c.summary, "
    "c.pupil_consent, c.abuse_notification, c.contacted_at, c.created_at FROM coordination c "
    "JOIN staff st ON st.id = c.staff_id"
)


def _coordination(row: tuple) -> Coordination:
    return Coordination(*row[:7], bool(row[7]), *row[8:])


def coordination_of(db: Database, report_id: int) -> list[Coordination]:
    rows = db.execute(
        f"{_COORDINATION_SELECT} WHERE c.report_id = ? ORDER BY c.contacted_at, c.id", [report_id]
    )
    return [_coordination(row) for row in rows]


def coordination_log(db: Database, staff: Staff, limit: int = 200) -> list[Coordination]:
    """The centre's latest contacts with agencies across all cases, newest first."""
    require_centre(staff)
    rows = db.execute(
        f"{_COORDINATION_SELECT} ORDER BY c.contacted_at DESC, c.id DESC LIMIT ?", [limit]
    )
    return [_coordination(row) for row in rows]


# Replies and supervisor review


def needs_review(db: Database, staff: Staff) -> bool:
    """A counsellor in training: their replies wait for a supervisor (a city setting per staff
    member, as SNS counselling services in Japan do)."""
    row = db.execute("SELECT needs_review FROM staff WHERE id = ?", [staff.id]).fetchone()
    return bool(row and row[0])


def send_reply(db: Database, staff: Staff, report: Report, body: str) -> None:
    """Reply to the pupil; a reply by a counsellor in training waits, unseen by the pupil, until
    a supervisor approves it."""
    require_work(db, staff, report.id)  # after a hand-over, only the side that answers replies
    add_staff_reply(db, staff, report, body, pending_review=needs_review(db, staff))


@dataclass(frozen=True)
class PendingReply:
    message_id: int
    report_id: int
    staff_name: str
    body: str
    created_at: str


def is_supervisor(db: Database, staff: Staff) -> bool:
    """Whether this person approves or returns the replies of counsellors in training (a
    capability the city gives, not every staff member outside training)."""
    row = db.execute("SELECT supervisor FROM staff WHERE id = ?", [staff.id]).fetchone()
    return bool(row and row[0])


def pending_replies(db: Database, staff: Staff) -> list[PendingReply]:
    """Replies waiting for this supervisor, across the reports they answer, oldest first."""
    if not is_supervisor(db, staff):
        return []
    condition, params = answer_condition(staff)
    rows = db.execute(
        "SELECT m.id, m.report_id, st.display_name, m.body, m.created_at FROM messages m "
        "JOIN reports r ON r.id = m.report_id JOIN staff st ON st.id = m.staff_id "
        f"WHERE m.review_state = 'pending' AND {condition} ORDER BY m.id",
        params,
    )
    return [PendingReply(*row) for row in rows]


def pending_reply_ids(db: Database, report_id: int) -> set[int]:
    rows = db.execute(
        "SELECT id FROM messages WHERE report_id = ? AND review_state = 'pending'", [report_id]
    )
    return {row[0] for row in rows}


def _require_supervisor(db: Database, staff: Staff, report: Report) -> None:
    require_work(db, staff, report.id)
    if not is_supervisor(db, staff):
        raise NotAllowed("not_a_supervisor")


def _waiting_reply(db: Database, report: Report, message_id: int) -> tuple[str, int]:
    """What the trainee wrote and who, while the reply still waits; inside the transaction."""
    row = db.execute(
        "SELECT body, staff_id FROM messages WHERE id = ? AND report_id = ? "
        "AND review_state = 'pending'",
        [message_id, report.id],
    ).fetchone()
    if row is None:
        raise SubmissionError("already_reviewed")
    return row


def approve_reply(db: Database, staff: Staff, report: Report, message_id: int, body: str) -> None:
    """A supervisor lets a waiting reply go to the pupil, as written or corrected; what the
    trainee wrote stays in the audit trail."""
    _require_supervisor(db, staff, report)
    text = clean_text(body, MAX_MESSAGE_CHARS, required=True, multiline=True)
    with transaction(db):
        row = _waiting_reply(db, report, message_id)
        db.execute(
            "UPDATE messages SET body = ?, pupil_visible = 1, review_state = 'approved' "
            "WHERE id = ?",
            [text, message_id],
        )
        mark_replied(db, report.id, staff.id)
        edited = {"written": row[0]} if text != row[0] else {}
        record_event(db, report.id, staff.id, "reply_approved", message_id=message_id, **edited)


def return_reply(db: Database, staff: Staff, report: Report, message_id: int, comment: str) -> None:
    """A supervisor sends a trainee's waiting reply back with a comment: the pupil never sees
    it; what the trainee wrote and the comment stay in the audit trail, for the trainee."""
    _require_supervisor(db, staff, report)
    why = clean_text(comment, MAX_MESSAGE_CHARS, required=True, multiline=True)
    with transaction(db):
        row = _waiting_reply(db, report, message_id)
        db.execute("DELETE FROM messages WHERE id = ?", [message_id])
        record_event(
            db,
            report.id,
            staff.id,
            "reply_returned",
            message_id=message_id,
            written=row[0],
            trainee_id=row[1],
            comment=why,
        )


# Advice from the weekly case review (支援方針会議)

MAX_ADVICE_CHARS = 2000


@dataclass(frozen=True)
class Advice:
    staff_name: str | None
    text: str
    meeting: str  # the day of the review, in the city's calendar
    created_at: str


def record_advice(db: Database, staff: Staff, report: Report, advice: str, meeting: date) -> None:
    """What the external lawyer and welfare advisers said about the case at the weekly review,
    kept on the case (in its append-only trail) and shown in the next review."""
    require_centre(staff)
    require_work(db, staff, report.id)
    text = clean_text(advice, MAX_ADVICE_CHARS, required=True, multiline=True)
    with transaction(db):
        record_event(
            db, report.id, staff.id, "advice_recorded", advice=text, meeting=meeting.isoformat()
        )


def advice_of(db: Database, report_id: int) -> list[Advice]:
    rows = db.execute(
        "SELECT st.display_name, json_extract(e.detail, '$.advice'), "
        "json_extract(e.detail, '$.meeting'), e.created_at FROM case_events e "
        "LEFT JOIN staff st ON st.id = e.staff_id "
        "WHERE e.report_id = ? AND e.kind = 'advice_recorded' ORDER BY e.id",
        [report_id],
    )
    return [Advice(*row) for row in rows]
