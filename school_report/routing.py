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
    """SQL over `reports r` selecting exactly the reports in this staff member's inbox."""
    if staff.role == "centre":
        return "r.recipient = 'centre'", []
    if staff.role in ("nurse", "school_team"):
        return "r.recipient = ? AND r.school_id = ?", [staff.role, staff.school_id]
    return "0", []
