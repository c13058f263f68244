"""Hand-overs between a school and the centre, each on one lawful ground (`grounds`).

A nurse or school team refers a report it answers to the centre: the centre answers it from
then on, with the thread so far and the school's reason; the school keeps reading it. The centre
brings in the nurse or the team of the pupil's school: they read the thread or only the
centre's summary, and do not answer. A nurse brings in the school's team on bullying (the
bullying duty); the team reads, the nurse answers. A copy to the centre made by the pupil's own
tap, or by the city's policy on a danger to life, refers the report to the centre as a school
would. Who sees which report, message and note is decided in `routing` alone; this module
records hand-overs and tells the pupil of them in the thread.

The pupil's view comes first: each hand-over needs a ground `grounds.lawful_sharing` accepts;
the centre brings in a school only with the pupil's consent or to protect their life or body.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlite_utils import Database

from school_report import notifications
from school_report.audit import record_event
from school_report.clock import now_iso
from school_report.db import transaction
from school_report.grounds import MAX_DUTY_CHARS, grounds_for, lawful_sharing
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
    """A hand-over cannot be made as asked; `reason` names why for the UI. A missing or wrong
    lawful ground is a `grounds.GroundRefused`, which the pages show the same way."""


@dataclass(frozen=True)
class HandOver:
    id: int
    direction: str
    to_recipient: str
    staff_name: str | None  # None: the pupil's own tap, or the city's policy
    pupil_consent: str
    ground: str | None  # None only on hand-overs made before grounds were recorded (m013)
    duty: str | None
    reason: str
    shares: str
    summary: str | None
    created_at: str
    read_at: str | None  # when the receiving side first opened the report after it


@dataclass(frozen=True)
class PupilNotice:
    """What the pupil is told of a hand-over: who else knows now and why, never the staff's
    own words about it."""

    to_recipient: str
    direction: str
    ground: str | None
    shares: str
    created_at: str


def hand_overs_of(db: Database, report_id: int) -> list[HandOver]:
    rows = db.execute(
        "SELECT h.id, h.direction, h.to_recipient, st.display_name, h.pupil_consent, "
        "h.ground, h.duty, h.reason, h.shares, h.summary, h.created_at, h.read_at "
        "FROM hand_overs h LEFT JOIN staff st ON st.id = h.staff_id "
        "WHERE h.report_id = ? ORDER BY h.id",
        [report_id],
    )
    return [HandOver(*row) for row in rows]


def pupil_notices(db: Database, report_id: int) -> list[PupilNotice]:
    rows = db.execute(
        "SELECT to_recipient, direction, ground, shares, created_at FROM hand_overs "
        "WHERE report_id = ? ORDER BY id",
        [report_id],
    )
    return [PupilNotice(*row) for row in rows]


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
    it to the centre; the centre may bring in the school's nurse or team; a nurse may bring in
    the school's team (on bullying, the bullying duty)."""
    if not answers_report(db, staff, report.id):
        return []
    targets = {
        "centre": SCHOOL_RECIPIENTS,
        "nurse": ("centre", "school_team"),
        "school_team": ("centre",),
    }.get(staff.role, ())
    return [slug for slug in targets if not _already_sees(db, report, slug)]


def hand_over(
    db: Database,
    staff: Staff,
    report: "Report",
    to_recipient: str,
    *,
    pupil_consent: str,
    ground: str | None,
    reason: str,
    duty: str = "",
    shares: str = "thread",
    summary: str = "",
) -> None:
    """Hand the report over on `ground` (one of `grounds.GROUNDS`; `duty` names the duty for
    `legal_duty`), record it in the case's audit trail and tell the receiving side."""
    if to_recipient not in hand_over_targets(db, staff, report):
        raise HandOverRefused("hand_over_not_possible")
    if pupil_consent not in CONSENTS:
        raise HandOverRefused("consent_missing")
    if shares not in HAND_OVER_SHARES:
        raise HandOverRefused("hand_over_form")
    if to_recipient == "centre":
        shares = "thread"  # the centre answers the pupil from now on: it needs the thread
    reason = _clean(reason, MAX_REASON_CHARS, "reason", required=True)
    summary = _clean(summary, MAX_SUMMARY_CHARS, "summary", required=shares == "summary")
    duty = _clean(duty, MAX_DUTY_CHARS, "duty", required=False) or ""
    lawful_sharing(
        ground,
        from_side=staff.role,
        to=to_recipient,
        pupil_consent=pupil_consent,
        topic_slug=report.topic.slug,
        duty=duty,
    )
    if staff.role == "centre":
        direction = "centre_to_school"
    else:
        direction = "nurse_to_team" if to_recipient == "school_team" else "school_to_centre"
    record = _Record(report.id, direction, to_recipient, pupil_consent, ground, reason)
    with transaction(db):
        _insert(db, record, staff.id, duty, shares, summary if shares == "summary" else None)


@dataclass(frozen=True)
class _Record:
    report_id: int
    direction: str
    to_recipient: str
    pupil_consent: str
    ground: str
    reason: str


def _insert(
    db: Database, record: _Record, staff_id: int | None, duty: str, shares: str, summary: str | None
) -> None:
    """Inside a transaction: write the hand-over, its audit event and the receiving side's
    mail. A report referred to the centre lands there as new: unread, nobody assigned, status
    新規, so it never looks handled by the school's assignee or status."""
    db.execute(
        "INSERT INTO hand_overs (report_id, direction, to_recipient, staff_id, pupil_consent, "
        "legal_duty, reason, shares, summary, ground, duty, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            record.report_id,
            record.direction,
            record.to_recipient,
            staff_id,
            record.pupil_consent,
            int(record.ground == "legal_duty"),
            record.reason,
            shares,
            summary,
            record.ground,
            duty or None,
            now_iso(),
        ],
    )
    if record.to_recipient == "centre":
        db.execute(
            "UPDATE reports SET staff_unread = 1, assigned_to = NULL, "
            "status = CASE WHEN status = 'closed' THEN status ELSE 'new' END WHERE id = ?",
            [record.report_id],
        )
    record_event(
        db,
        record.report_id,
        staff_id,
        "handed_over",
        to=record.to_recipient,
        consent=record.pupil_consent,
        ground=record.ground,
        **({"duty": duty} if duty else {}),
    )
    notifications.queue_hand_over_mail(db, record.report_id, record.to_recipient)


def copy_to_centre(db: Database, report: "Report", ground: str) -> bool:
    """Put a report in the centre's queue without staff: on the pupil's own tap (`consent`) or
    on the city's policy for a danger to life (`life_or_body`). The centre answers it from then
    on, as after a school's referral. False if the centre has it already."""
    if _already_sees(db, report, "centre"):
        return False
    consent = "agreed" if ground == "consent" else "not_asked"
    lawful_sharing(
        ground,
        from_side="pupil" if ground == "consent" else "service",
        to="centre",
        pupil_consent=consent,
        topic_slug=report.topic.slug,
    )
    reason = {
        "consent": "児童生徒が自分でセンターにも知らせた",
        "life_or_body": "時間外の緊急: 市の設定により生命・身体の保護のためセンターへ",
    }[ground]
    record = _Record(report.id, "copy_to_centre", "centre", consent, ground, reason)
    _insert(db, record, None, "", "thread", None)
    return True


def mark_hand_over_read(db: Database, staff: Staff, report_id: int) -> None:
    """The receiving side opened the report: its hand-overs to them are read (the sending side
    sees when)."""
    if staff.role in ("centre", *SCHOOL_RECIPIENTS):
        db.execute(
            "UPDATE hand_overs SET read_at = ? WHERE report_id = ? AND to_recipient = ? "
            "AND read_at IS NULL",
            [now_iso(), report_id, staff.role],
        )


def hand_overs_to(db: Database, staff: Staff, report_ids: list[int]) -> dict[int, str]:
    """The reports among these handed to this staff member's side: "unread" until someone
    there opened it after the hand-over, then "read"."""
    if not report_ids:
        return {}
    marks = ", ".join("?" for _ in report_ids)
    rows = db.execute(
        f"SELECT report_id, max(read_at IS NULL) FROM hand_overs WHERE report_id IN ({marks}) "
        "AND to_recipient = ? GROUP BY report_id",
        [*report_ids, staff.role],
    )
    return {report_id: "unread" if unread else "read" for report_id, unread in rows}


def unread_hand_overs(db: Database, staff: Staff, report_ids: list[int]) -> set[int]:
    """The reports among these handed to this staff member's side and not yet opened there."""
    return {i for i, state in hand_overs_to(db, staff, report_ids).items() if state == "unread"}


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
    grounds: tuple[str, ...]  # the lawful grounds they may share on


def hand_over_panel(db: Database, staff: Staff, report: "Report") -> HandOverPanel:
    return HandOverPanel(
        hand_overs=hand_overs_of(db, report.id),
        targets=hand_over_targets(db, staff, report),
        answers=answers_report(db, staff, report.id),
        kept_from_school=kept_from_school_count(db, report.id) if staff.role == "centre" else 0,
        grounds=grounds_for(staff.role),
    )
