"""Which recipient a report goes to, and which reports each staff member may see.

The pupil chooses; the topic only preselects its default and puts it first (こども第一: the
child's own view comes first). The server accepts only recipients the city offers.
"""

from dataclasses import dataclass

from sqlite_utils import Database

from school_report.staff import Staff
from school_report.topics import Topic, active_topic


class RouteRefused(ValueError):
    """The topic or recipient is not one the pupil could have been offered."""


@dataclass(frozen=True)
class Recipient:
    slug: str
    messaging: bool


def offered_recipients(db: Database) -> list[Recipient]:
    rows = db.execute("SELECT slug, messaging FROM recipients WHERE offered = 1 ORDER BY position")
    return [Recipient(slug, bool(messaging)) for slug, messaging in rows]


def recipient_choices(db: Database, topic: Topic) -> list[Recipient]:
    """The offered recipients, the topic's default first."""
    offered = offered_recipients(db)
    return sorted(offered, key=lambda r: r.slug != topic.default_recipient)


def recipient(db: Database, slug: str) -> Recipient | None:
    return next((r for r in offered_recipients(db) if r.slug == slug), None)


def check_route(db: Database, topic_id: int, recipient_slug: str) -> tuple[Topic, Recipient]:
    topic = active_topic(db, topic_id)
    if topic is None:
        raise RouteRefused("unknown topic")
    chosen = recipient(db, recipient_slug)
    if chosen is None:
        raise RouteRefused("recipient not offered")
    return topic, chosen


def inbox_condition(staff: Staff) -> tuple[str, list]:
    """SQL over `reports r` selecting exactly the reports in this staff member's inbox: those
    the pupil sent them and those handed over to them. A school that referred a report to the
    centre keeps it (to read); the single place that decides who sees which report.

    Each side of a school's OR stands alone (its reports to this recipient; the few handed
    over to it) so that SQLite reads each through an index, not all the school's reports."""
    if staff.role == "centre":
        return answer_condition(staff)
    if staff.role in ("nurse", "school_team"):
        return (
            "((r.school_id = ? AND r.recipient = ?) OR r.id IN (SELECT h.report_id "
            "FROM hand_overs h JOIN reports hr ON hr.id = h.report_id "
            "WHERE h.to_recipient = ? AND hr.school_id = ?))",
            [staff.school_id, staff.role, staff.role, staff.school_id],
        )
    return "0", []


def answer_condition(staff: Staff) -> tuple[str, list]:
    """SQL over `reports r` selecting the reports this staff member answers: the pupil's thread
    is with them (`answered_by`). After a school refers a report to the centre, the centre
    answers it; a school brought in by the centre reads what the centre shares but does not
    answer."""
    if staff.role == "centre":
        return "r.answered_by = 'centre'", []
    if staff.role in ("nurse", "school_team"):
        return "r.answered_by = ? AND r.school_id = ?", [staff.role, staff.school_id]
    return "0", []


def message_condition(staff: Staff) -> tuple[str, list]:
    """SQL over `messages m` of a report `r` in this staff member's inbox: the messages they may
    read. A school reads the thread of its own report, or one the centre shared with it (not a
    summary-only hand-over), and never a message the pupil asked to keep from the school."""
    if staff.role in ("nurse", "school_team"):
        return (
            "m.keep_from_school = 0 AND (r.recipient = ? OR r.id IN (SELECT h.report_id "
            "FROM hand_overs h WHERE h.to_recipient = ? AND h.shares = 'thread'))",
            [staff.role, staff.role],
        )
    return "1", []


def note_condition(staff: Staff) -> tuple[str, list]:
    """SQL over `notes n`: internal notes stay on the side that wrote them. After a hand-over
    the centre and the school share the thread (or a summary), never each other's notes."""
    side, params = _side_staff(staff)
    return f"n.staff_id IN ({side})", params


# What only the centre does on a case: a school never reads these in the audit trail.
CENTRE_EVENTS = (
    "checklist_ticked",
    "checklist_unticked",
    "watch_flagged",
    "watch_cleared",
    "coordination_logged",
    "agency_notified",
    "agency_answered",
    "advice_recorded",
)
# What each side writes for itself: shown in the trail only to the side that wrote it (a note's
# text is never shown anyway; a headline the centre writes is the centre's own summary).
OWN_SIDE_EVENTS = ("note_added", "headline_changed")


def _side_staff(staff: Staff) -> tuple[str, list]:
    """SQL: the ids of the staff on this staff member's side (the centre, or their school)."""
    if staff.role == "centre":
        return "SELECT id FROM staff WHERE role = 'centre'", []
    return "SELECT id FROM staff WHERE school_id = ?", [staff.school_id]


def event_condition(staff: Staff) -> tuple[str, list]:
    """SQL over `case_events e`: the audit trail this staff member's side may read. After a
    hand-over a school sees the case's status and its own work, never the centre's checklist,
    watch flag, coordination and abuse notifications or headline; neither side sees the other
    side's notes being written. The centre sees the rest of a school's work."""
    side, params = _side_staff(staff)
    own = ", ".join(f"'{kind}'" for kind in OWN_SIDE_EVENTS)
    condition = f"(e.kind NOT IN ({own}) OR e.staff_id IN ({side}))"
    if staff.role != "centre":
        centre_only = ", ".join(f"'{kind}'" for kind in CENTRE_EVENTS)
        condition = f"e.kind NOT IN ({centre_only}) AND {condition}"
    return condition, params


def reads_every_pupil_message(db: Database, staff: Staff, report_ids: list[int]) -> set[int]:
    """The reports among these of which this staff member may read every pupil message. Only
    they may see which danger words raised a report's urgency: a word could come from a message
    the pupil kept from the school, or from a thread the centre shared only as a summary."""
    if not report_ids:
        return set()
    condition, params = message_condition(staff)
    marks = ", ".join("?" for _ in report_ids)
    rows = db.execute(
        f"SELECT r.id FROM reports r WHERE r.id IN ({marks}) AND NOT EXISTS (SELECT 1 "
        f"FROM messages m WHERE m.report_id = r.id AND m.author = 'pupil' AND NOT ({condition}))",
        [*report_ids, *params],
    )
    return {report_id for (report_id,) in rows}


def _holds(db: Database, report_id: int, condition: str, params: list) -> bool:
    found = db.execute(
        f"SELECT 1 FROM reports r WHERE r.id = ? AND {condition}", [report_id, *params]
    ).fetchone()
    return found is not None


def answers_report(db: Database, staff: Staff, report_id: int) -> bool:
    return _holds(db, report_id, *answer_condition(staff))


def centre_answers(db: Database, report_id: int) -> bool:
    """Whether the pupil's thread is with the centre (sent to it, or referred to it)."""
    return _holds(db, report_id, "r.answered_by = 'centre'", [])
