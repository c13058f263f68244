"""通告: the centre's notification of suspected abuse (児童虐待防止法 第6条), followed to the end.

A 通告 goes to the 児童相談所, the 市町村 (a city's ward office) or a 福祉事務所 — never to a
school (`grounds.notification_to_agency`). It records when, to which agency, by whom and under
which duty; it is also a contact in the coordination log (marked as an abuse notification, so
the annual statistics count it). The national guideline asks the 児童相談所 to confirm the
child's safety (安全確認) within 48 hours: until the agency's answer is recorded, a 通告 older
than that shows as overdue on the case, in the queue and in the weekly review.
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from school_report.audit import record_event
from school_report.cases import require_centre, require_work, write_coordination
from school_report.clock import now_iso, utc_now
from school_report.db import transaction
from school_report.grounds import ABUSE_NOTIFICATION_DUTY, GroundRefused, notification_to_agency
from school_report.reports import Report, SubmissionError, clean_text
from school_report.staff import Staff

SAFETY_CHECK_HOURS = 48  # 48時間ルール: the safety check within 48 hours of a 通告
MAX_SUMMARY_CHARS = 2000
MAX_PERSON_CHARS = 80


@dataclass(frozen=True)
class AgencyNotification:
    id: int
    agency: str
    duty: str
    staff_name: str
    contact_person: str | None
    summary: str
    notified_at: str
    answer: str | None
    safety_confirmed: bool | None
    answered_at: str | None
    late: bool  # no answer 48 hours on, when it was read

    @property
    def safety_check_due(self) -> datetime:
        return datetime.fromisoformat(self.notified_at) + timedelta(hours=SAFETY_CHECK_HOURS)

    def overdue(self, now: datetime) -> bool:
        """No answer recorded 48 hours after the 通告."""
        return self.answered_at is None and now > self.safety_check_due


def notify_agency(
    db: Database,
    staff: Staff,
    report: Report,
    *,
    agency: str,
    contact_person: str,
    summary: str,
    notified_at: datetime,
) -> None:
    require_centre(staff)
    require_work(db, staff, report.id)
    try:
        notification_to_agency(agency)
    except GroundRefused as refused:
        raise SubmissionError(refused.reason) from refused
    if notified_at > utc_now():
        raise SubmissionError("in_the_future")
    person = clean_text(contact_person, MAX_PERSON_CHARS, required=False, multiline=False)
    text = clean_text(summary, MAX_SUMMARY_CHARS, required=True, multiline=True)
    at = notified_at.astimezone(UTC).isoformat(timespec="seconds")
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO agency_notifications (report_id, staff_id, agency, duty, "
            "contact_person, summary, notified_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [report.id, staff.id, agency, ABUSE_NOTIFICATION_DUTY, person, text, at, now_iso()],
        )
        write_coordination(db, staff, report, agency, person, text, "not_asked", True, notified_at)
        record_event(
            db,
            report.id,
            staff.id,
            "agency_notified",
            notification_id=cursor.lastrowid,
            agency=agency,
            ground="legal_duty",
            duty=ABUSE_NOTIFICATION_DUTY,
        )


def record_agency_answer(
    db: Database,
    staff: Staff,
    report: Report,
    notification_id: int,
    *,
    answer: str,
    safety_confirmed: bool,
    answered_at: datetime,
) -> None:
    """The agency's answer to a 通告 (such as "安全確認済み"), which stops the 48-hour clock."""
    require_centre(staff)
    require_work(db, staff, report.id)
    if answered_at > utc_now():
        raise SubmissionError("in_the_future")
    text = clean_text(answer, MAX_SUMMARY_CHARS, required=True, multiline=True)
    with transaction(db):
        changed = db.execute(
            "UPDATE agency_notifications SET answer = ?, safety_confirmed = ?, answered_at = ?, "
            "answer_staff_id = ? WHERE id = ? AND report_id = ? AND answered_at IS NULL",
            [
                text,
                int(safety_confirmed),
                answered_at.astimezone(UTC).isoformat(timespec="seconds"),
                staff.id,
                notification_id,
                report.id,
            ],
        ).rowcount
        if not changed:
            raise SubmissionError("bad_form")
        record_event(
            db,
            report.id,
            staff.id,
            "agency_answered",
            notification_id=notification_id,
            safety_confirmed=safety_confirmed,
        )


def notifications_of(
    db: Database, report_id: int, now: datetime | None = None
) -> list[AgencyNotification]:
    """The case's 通告, oldest first, each `late` if unanswered 48 hours on at `now`."""
    now = now or utc_now()
    rows = db.execute(
        "SELECT n.id, n.agency, n.duty, st.display_name, n.contact_person, n.summary, "
        "n.notified_at, n.answer, n.safety_confirmed, n.answered_at FROM agency_notifications n "
        "JOIN staff st ON st.id = n.staff_id WHERE n.report_id = ? ORDER BY n.id",
        [report_id],
    )
    found = [
        AgencyNotification(*row[:8], None if row[8] is None else bool(row[8]), row[9], False)
        for row in rows
    ]
    return [replace(notice, late=notice.overdue(now)) for notice in found]


def overdue_safety_checks(
    db: Database, report_ids: list[int], now: datetime | None = None
) -> set[int]:
    """The reports among these with a 通告 still unanswered 48 hours on."""
    if not report_ids:
        return set()
    cutoff = ((now or utc_now()) - timedelta(hours=SAFETY_CHECK_HOURS)).isoformat(
        timespec="seconds"
    )
    marks = ", ".join("?" for _ in report_ids)
    rows = db.execute(
        f"SELECT DISTINCT report_id FROM agency_notifications WHERE report_id IN ({marks}) "
        "AND answered_at IS NULL AND notified_at < ?",
        [*report_ids, cutoff],
    )
    return {report_id for (report_id,) in rows}
