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
    if staff.role == "centre":
        return "n.staff_id IN (SELECT id FROM staff WHERE role = 'centre')", []
    return "n.staff_id IN (SELECT id FROM staff WHERE school_id = ?)", [staff.school_id]


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
