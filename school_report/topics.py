"""Topics: what a pupil says a report is about, with the routing and statistics it implies."""

import json
import re
from dataclasses import dataclass, field, replace

from sqlite_utils import Database

from school_report.admin_log import Actor, record_changes
from school_report.db import transaction
from school_report.migrations import RECIPIENTS, URGENCIES

# Sapporo's eight statistics categories.
CATEGORIES = (
    "home_life",
    "school_life",
    "life_in_care",
    "personality",
    "physical",
    "relationships",
    "delinquency",
    "other",
)
DOMAINS = ("school", "welfare", "health", "none")
MAX_LABEL_CHARS = 60
_RUBY_MARK = re.compile(r"\{[^|{}]+\|[^|{}]+\}")


class TopicError(ValueError):
    """A topic or recipient cannot be changed as asked; `reason` names why for the pages."""

    def __init__(self, message: str, reason: str = "bad_form"):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Topic:
    id: int
    slug: str
    label_ja: str
    label_en: str
    icon: str
    domain: str
    default_recipient: str | None
    category: str
    sub_item: str
    urgency: str
    position: int = 0
    active: bool = True
    # Labels in the other pupil languages, by language tag; English stands in for a missing one.
    labels: dict[str, str] = field(default_factory=dict, compare=False)

    def label(self, language: str) -> str:
        if language == "ja":
            return self.label_ja
        return self.labels.get(language) or self.label_en


_COLUMNS = (
    "id, slug, label_ja, label_en, icon, domain, default_recipient, category, sub_item, urgency"
)

_PUPIL_SELECT = f"SELECT {_COLUMNS}, labels FROM topics WHERE active = 1"


def _pupil_topic(row: tuple) -> Topic:
    return Topic(*row[:-1], labels=json.loads(row[-1]))


def active_topics(db: Database) -> list[Topic]:
    """The topics pupils choose from, in their order, with labels in every pupil language."""
    rows = db.execute(f"{_PUPIL_SELECT} ORDER BY position")
    return [_pupil_topic(row) for row in rows]


def active_topic(db: Database, topic_id: int) -> Topic | None:
    row = db.execute(f"{_PUPIL_SELECT} AND id = ?", [topic_id]).fetchone()
    return _pupil_topic(row) if row else None


def all_topics(db: Database) -> list[Topic]:
    """Every topic, active or not, in the pupil's order, for the city to edit."""
    rows = db.execute(f"SELECT {_COLUMNS}, position, active FROM topics ORDER BY position, id")
    return [Topic(*row[:-1], bool(row[-1])) for row in rows]


def topic(db: Database, topic_id: int) -> Topic | None:
    return next((t for t in all_topics(db) if t.id == topic_id), None)


def _check_label(label: str) -> str:
    """A label pupils can read: not empty, not long, and any furigana marked as {漢字|かんじ}."""
    label = label.strip()
    if not label or len(label) > MAX_LABEL_CHARS:
        raise TopicError("a topic needs a label of up to 60 characters", "label_length")
    if any(mark in _RUBY_MARK.sub("", label) for mark in "{|}"):
        raise TopicError("furigana are written {漢字|かんじ}", "ruby_marks")
    return label


def update_topic(db: Database, changed: Topic, by: Actor) -> None:
    """Store the city's edit of a topic (matched by id; its slug never changes)."""
    before = topic(db, changed.id)
    if before is None:
        raise TopicError("no such topic", "not_found")
    changed = replace(
        changed,
        slug=before.slug,
        label_ja=_check_label(changed.label_ja),
        label_en=_check_label(changed.label_en),
        icon=changed.icon.strip()[:8],
        sub_item=before.sub_item,
    )
    if (
        changed.domain not in DOMAINS
        or changed.category not in CATEGORIES
        or changed.urgency not in URGENCIES
        or changed.default_recipient not in (*RECIPIENTS, None)
    ):
        raise TopicError("a choice is not one of those offered")
    fields = ("label_ja", "label_en", "icon", "domain", "default_recipient", "category")
    fields += ("urgency", "position", "active")
    with transaction(db):
        db.execute(
            f"UPDATE topics SET {', '.join(f'{f} = ?' for f in fields)} WHERE id = ?",
            [*(getattr(changed, f) for f in fields), changed.id],
        )
        record_changes(
            db,
            by,
            "topic",
            before.slug,
            {f: getattr(before, f) for f in fields},
            {f: getattr(changed, f) for f in fields},
        )


@dataclass(frozen=True)
class RecipientSetting:
    slug: str
    offered: bool
    messaging: bool


def recipient_settings(db: Database) -> list[RecipientSetting]:
    rows = db.execute("SELECT slug, offered, messaging FROM recipients ORDER BY position")
    return [RecipientSetting(row[0], bool(row[1]), bool(row[2])) for row in rows]


def set_recipient(db: Database, slug: str, offered: bool, messaging: bool, by: Actor) -> None:
    """Whether pupils are offered this recipient, and whether they may exchange messages."""
    settings = {r.slug: r for r in recipient_settings(db)}
    if slug not in settings:
        raise TopicError("no such recipient", "not_found")
    if not offered and not any(r.offered for r in settings.values() if r.slug != slug):
        raise TopicError("pupils must be offered at least one recipient", "last_recipient")
    with transaction(db):
        db.execute(
            "UPDATE recipients SET offered = ?, messaging = ? WHERE slug = ?",
            [int(offered), int(messaging), slug],
        )
        before = settings[slug]
        record_changes(
            db,
            by,
            "recipient",
            slug,
            {"offered": before.offered, "messaging": before.messaging},
            {"offered": offered, "messaging": messaging},
        )
