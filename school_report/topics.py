"""Topics: what a pupil says a report is about, with the routing and statistics it implies."""

from dataclasses import dataclass

from sqlite_utils import Database


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

    def label(self, language: str) -> str:
        return self.label_ja if language == "ja" else self.label_en


_SELECT = (
    "SELECT id, slug, label_ja, label_en, icon, domain, default_recipient, category, sub_item, "
    "urgency FROM topics"
)


def active_topics(db: Database) -> list[Topic]:
    return [Topic(*row) for row in db.execute(f"{_SELECT} WHERE active = 1 ORDER BY position")]


def active_topic(db: Database, topic_id: int) -> Topic | None:
    row = db.execute(f"{_SELECT} WHERE id = ? AND active = 1", [topic_id]).fetchone()
    return Topic(*row) if row else None
