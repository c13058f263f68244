"""Hand-overs between a school and the centre, each with the pupil's consent on record.

A nurse or school team refers a report it answers to the centre: the centre answers it from
then on, with the thread so far and the school's reason; the school keeps reading it. The centre
brings in the nurse or the team of the pupil's school: they read the thread or only the
centre's summary, and do not answer. Who sees which report, message and note is decided in
`routing` alone; this module records hand-overs and tells the pupil of them in the thread.

The pupil's view comes first: a hand-over the pupil refused needs a legal duty to notify
(Child Abuse Prevention Act art. 6), and so does the centre bringing in a school without
asking, because the centre tells pupils it will not tell their school without asking first.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlite_utils import Database

from school_report import notifications
from school_report.audit import record_event
from school_report.clock import now_iso
from school_report.db import transaction
from school_report.migrations import CONSENTS, HAND_OVER_SHARES
from school_report.refused import ReasonRefused
from school_report.routing import answers_report, centre_answers
from school_report.staff import Staff
from school_report.text import clean_text

if TYPE_CHECKING:  # reports calls this module when a pupil writes: no import back at run time
    from school_report.reports import Report

MAX_REASON_CHARS = 1000
MAX_SUMMARY_CHARS = 2000
SCHOOL_RECIPIENTS = ("nurse", "school_team")


class HandOverRefused(ReasonRefused):
    """A hand-over cannot be made as asked; `reason` names why for the UI."""


@dataclass(frozen=True)
class HandOver:
    id: int
    direction: str
    to_recipient: str
    staff_name: str
    pupil_consent: str
    legal_duty: bool
    reason: str
    shares: str
    summary: str | None
    created_at: str


@dataclass(frozen=True)
class PupilNotice:
    """What the pupil is told of a hand-over: who else knows now and why, never the staff's
    own words about it."""

    to_recipient: str
    direction: str
    legal_duty: bool
    pupil_agreed: bool
    shares: str
    created_at: str


def hand_overs_of(db: Database, report_id: int) -> list[HandOver]:
    rows = db.execute(
        "SELECT h.id, h.direction, h.to_recipient, st.display_name, h.pupil_consent, "
        "h.legal_duty, h.reason, h.shares, h.summary, h.created_at FROM hand_overs h "
        "JOIN staff st ON st.id = h.staff_id WHERE h.report_id = ? ORDER BY h.id",
        [report_id],
    )
    return [HandOver(*row[:5], bool(row[5]), *row[6:]) for row in rows]


def pupil_notices(db: Database, report_id: int) -> list[PupilNotice]:
    rows = db.execute(
        "SELECT to_recipient, direction, legal_duty, pupil_consent = 'agreed', shares, "
        "created_at FROM hand_overs WHERE report_id = ? ORDER BY id",
        [report_id],
    )
    return [PupilNotice(r[0], r[1], bool(r[2]), bool(r[3]), r[4], r[5]) for r in rows]


def _already_sees(db: Database, report: "Report", to_recipient: str) -> bool:
    if report.recipient == to_recipient:
        return True
    found = db.execute(
        "SELECT 1 FROM hand_overs WHERE report_id = ? AND to_recipient = ?",
        [report.id, to_recipient],
    ).fetchone()
    return found is not None


def hand_over_targets(db: Database, staff: Staff, report: "Report") -> list[str]:
    """To whom this staff member may hand the report now: a school that answers it may refer
    it to the centre; the centre may bring in the school's nurse or team."""
    if not answers_report(db, staff, report.id):
        return []
    targets = SCHOOL_RECIPIENTS if staff.role == "centre" else ("centre",)
    return [slug for slug in targets if not _already_sees(db, report, slug)]


def hand_over(
    db: Database,
    staff: Staff,
    report: "Report",
    to_recipient: str,
    *,
    pupil_consent: str,
    legal_duty: bool,
    reason: str,
    shares: str = "thread",
    summary: str = "",
) -> None:
    """Hand the report over, record it in the case's audit trail and tell the receiving side."""
    if to_recipient not in hand_over_targets(db, staff, report):
        raise HandOverRefused("hand_over_not_possible")
    if pupil_consent not in CONSENTS:
        raise HandOverRefused("consent_missing")
    if shares not in HAND_OVER_SHARES:
        raise HandOverRefused("hand_over_form")
    if staff.role != "centre":
        shares = "thread"  # the centre answers the pupil from now on: it needs the thread
    reason = _clean(reason, MAX_REASON_CHARS, "reason", required=True)
    summary = _clean(summary, MAX_SUMMARY_CHARS, "summary", required=shares == "summary")
    if not legal_duty and (
        pupil_consent == "refused" or (staff.role == "centre" and pupil_consent != "agreed")
    ):
        raise HandOverRefused("consent_needed")
    direction = "centre_to_school" if staff.role == "centre" else "school_to_centre"
    now = now_iso()
    with transaction(db):
        db.execute(
            "INSERT INTO hand_overs (report_id, direction, to_recipient, staff_id, pupil_consent, "
            "legal_duty, reason, shares, summary, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                report.id,
                direction,
                to_recipient,
                staff.id,
                pupil_consent,
                int(legal_duty),
                reason,
                shares,
                summary if shares == "summary" else None,
                now,
            ],
        )
        record_event(
            db,
            report.id,
            staff.id,
            "handed_over",
            to=to_recipient,
            consent=pupil_consent,
            legal_duty=legal_duty,
        )
        notifications.queue_hand_over_mail(db, report.id, to_recipient)


def _clean(text: str, limit: int, field: str, *, required: bool) -> str | None:
    """The field's text, or a refusal worded for staff and named for the field (such as
    `reason_missing`, `summary_too_long`): the pupils' refusals would not fit."""
    named = {"empty": f"{field}_missing", "too_long": f"{field}_too_long"}
    return clean_text(
        text,
        limit,
        required=required,
        multiline=True,
        refuse=lambda reason: HandOverRefused(named.get(reason, "hand_over_form")),
    )


def after_pupil_message(db: Database, report_id: int, *, keep_from_school: bool) -> None:
    """Inside the transaction that stored the pupil's newest message: mark it as kept from the
    school if the pupil asked, and queue the mails that say someone wrote. The request counts
    only while the centre has the thread: asked of a nurse's own report, it would hide the
    message from its only reader."""
    if keep_from_school and centre_answers(db, report_id):
        db.execute(
            "UPDATE messages SET keep_from_school = 1 WHERE id = (SELECT max(id) FROM messages "
            "WHERE report_id = ? AND author = 'pupil')",
            [report_id],
        )
    notifications.queue_report_mail(db, report_id, "pupil_wrote")


def kept_from_school_count(db: Database, report_id: int) -> int:
    (count,) = db.execute(
        "SELECT count(*) FROM messages WHERE report_id = ? AND keep_from_school = 1", [report_id]
    ).fetchone()
    return count


@dataclass(frozen=True)
class HandOverPanel:
    """What the hand-over panel of a report page shows this staff member."""

    hand_overs: list[HandOver]
    targets: list[str]  # to whom they may hand the report now
    answers: bool  # the pupil's thread is with them
    kept_from_school: int  # the pupil's messages kept from the school (told to the centre)


def hand_over_panel(db: Database, staff: Staff, report: "Report") -> HandOverPanel:
    return HandOverPanel(
        hand_overs=hand_overs_of(db, report.id),
        targets=hand_over_targets(db, staff, report),
        answers=answers_report(db, staff, report.id),
        kept_from_school=kept_from_school_count(db, report.id) if staff.role == "centre" else 0,
    )
