"""Topics: what a pupil says a report is about, with the routing and statistics it implies;
and the recipients pupils are offered, and whether each exchanges messages with them."""

import json
import re
from dataclasses import dataclass, field, replace

from sqlite_utils import Database

from school_report.admin_log import Actor, record_changes
from school_report.db import transaction
from school_report.migrations import RECIPIENTS, URGENCIES
from school_report.refused import Refused
from school_report.text import KANJI, RUBY_MARK, clean_admin_text, plain_text

# The languages pupils read their pages and write in (BCP 47 tags, stored with each report).
PUPIL_LANGUAGES = ("ja", "en", "pt-BR", "zh-Hans", "vi", "fil")
# A topic's label in these is kept in `labels`; Japanese and English have columns of their own.
OTHER_LABEL_LANGUAGES = tuple(lang for lang in PUPIL_LANGUAGES if lang not in ("ja", "en"))
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
MAX_ICON_CHARS = 16
POSITIONS = range(1000)
# The one invisible character an icon needs: it joins emoji such as 🧑‍🏫.
EMOJI_JOINER = "\u200d"
_MARK_OR_KANJI = re.compile(f"{RUBY_MARK.pattern}|(?:{KANJI.pattern})+")


class TopicError(Refused):
    """A topic or recipient cannot be changed as asked."""


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

    def plain_label(self, language: str) -> str:
        """The label as staff pages show it: no furigana marks."""
        return plain_text(self.label(language))


_COLUMNS = (
    "id, slug, label_ja, label_en, icon, domain, default_recipient, category, sub_item, urgency"
)
_SELECT = f"SELECT {_COLUMNS}, position, active, labels FROM topics"


def _topic(row: tuple) -> Topic:
    return Topic(*row[:11], active=bool(row[11]), labels=json.loads(row[12]))


def active_topics(db: Database) -> list[Topic]:
    """The topics pupils choose from, in their order, with labels in every pupil language."""
    return [_topic(row) for row in db.execute(f"{_SELECT} WHERE active = 1 ORDER BY position")]


def active_topic(db: Database, topic_id: int) -> Topic | None:
    row = db.execute(f"{_SELECT} WHERE active = 1 AND id = ?", [topic_id]).fetchone()
    return _topic(row) if row else None


def all_topics(db: Database) -> list[Topic]:
    """Every topic, active or not, in the pupil's order, for the city to edit."""
    return [_topic(row) for row in db.execute(f"{_SELECT} ORDER BY position, id")]


def topic(db: Database, topic_id: int) -> Topic | None:
    row = db.execute(f"{_SELECT} WHERE id = ?", [topic_id]).fetchone()
    return _topic(row) if row else None


def _check_label(label: str | None, *, required: bool = True) -> str:
    """A label pupils can read: not long, nothing unseen, and any furigana marked whole."""
    label = clean_admin_text(
        label,
        MAX_LABEL_CHARS,
        TopicError,
        required=required,
        empty="label_length",
        too_long="label_length",
    )
    if any(mark in RUBY_MARK.sub("", label) for mark in "{|}"):
        raise TopicError("furigana are written {漢字|かんじ}", "ruby_marks")
    return label


def furigana_example(label: str) -> str:
    """The label as it should be written, each kanji without a reading given a place for it:
    先生のこと → {先生|よみかた}のこと (for the message that asks for the readings)."""

    def marked(match: re.Match) -> str:
        text = match.group(0)
        return text if text.startswith("{") else f"{{{text}|よみかた}}"

    return _MARK_OR_KANJI.sub(marked, label)


def _check_japanese_label(label: str) -> str:
    """Young pupils read the label with furigana: every kanji needs its reading marked."""
    label = _check_label(label)
    bare = RUBY_MARK.sub("", label)
    readings = [reading for _, reading in RUBY_MARK.findall(label)]
    if KANJI.search(bare) or any(KANJI.search(reading) for reading in readings):
        raise TopicError("every kanji needs its reading, like {先生|せんせい}", "ruby_missing")
    return label


def _check_icon(icon: str) -> str:
    clean_admin_text(icon.replace(EMOJI_JOINER, ""), MAX_ICON_CHARS, TopicError, required=False)
    return icon.strip()


def _checked(before: Topic, changed: Topic) -> Topic:
    """The edit as it will be stored, or TopicError."""
    labels = {
        lang: _check_label(changed.labels.get(lang), required=False)
        for lang in OTHER_LABEL_LANGUAGES
    }
    checked = replace(
        changed,
        slug=before.slug,
        label_ja=_check_japanese_label(changed.label_ja),
        label_en=_check_label(changed.label_en),
        icon=_check_icon(changed.icon),
        sub_item=before.sub_item,
        labels={lang: label for lang, label in labels.items() if label},
    )
    if (
        checked.domain not in DOMAINS
        or checked.category not in CATEGORIES
        or checked.urgency not in URGENCIES
        or checked.default_recipient not in (*RECIPIENTS, None)
        or checked.position not in POSITIONS
    ):
        raise TopicError("a choice is not one of those offered")
    return checked


_FIELDS = ("label_ja", "label_en", "icon", "domain", "default_recipient", "category")
_FIELDS += ("urgency", "position", "active")


def _logged_fields(topic: Topic) -> dict:
    """What the admin log compares: each column, and each other language's label on its own."""
    labels = {f"label_{lang}": topic.labels.get(lang, "") for lang in OTHER_LABEL_LANGUAGES}
    return {**{f: getattr(topic, f) for f in _FIELDS}, **labels}


def update_topic(db: Database, changed: Topic, by: Actor) -> None:
    """Store the city's edit of a topic (matched by id; its slug never changes). Pupils must
    always have a topic to choose: the last one shown cannot be hidden."""
    before = topic(db, changed.id)
    if before is None:
        raise TopicError("no such topic", "not_found")
    changed = _checked(before, changed)
    with transaction(db):
        if before.active and not changed.active and _active_count(db) == 1:
            raise TopicError("pupils must have at least one topic to choose", "last_topic")
        db.execute(
            f"UPDATE topics SET {', '.join(f'{f} = ?' for f in _FIELDS)}, labels = ? WHERE id = ?",
            [
                *(getattr(changed, f) for f in _FIELDS),
                json.dumps(changed.labels, ensure_ascii=False),
                changed.id,
            ],
        )
        record_changes(
            db, by, "topic", before.slug, _logged_fields(before), _logged_fields(changed)
        )


def _active_count(db: Database) -> int:
    return db.execute("SELECT count(*) FROM topics WHERE active = 1").fetchone()[0]


@dataclass(frozen=True)
class RecipientSetting:
    slug: str
    offered: bool
    messaging: bool


def recipient_settings(db: Database) -> list[RecipientSetting]:
    rows = db.execute("SELECT slug, offered, messaging FROM recipients ORDER BY position")
    return [RecipientSetting(row[0], bool(row[1]), bool(row[2])) for row in rows]


def set_recipient(db: Database, slug: str, offered: bool, messaging: bool, by: Actor) -> None:
    """`offered`: whether pupils can choose this recipient for a new report (reports already
    sent stay with it). `messaging`: whether pupils and this recipient exchange messages, on
    every report it answers, old or new (see `pupil_messaging`)."""
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


def pupil_messaging(db: Database, report_id: int) -> bool:
    """Whether the pupil and whoever answers the report now (the recipient, or the centre after
    a referral) exchange messages on it: that recipient's `messaging`, offered or not. When it
    is off the pupil's words still arrive, but no reply is written in the app."""
    row = db.execute(
        "SELECT rc.messaging FROM reports r JOIN recipients rc ON rc.slug = r.answered_by "
        "WHERE r.id = ?",
        [report_id],
    ).fetchone()
    return bool(row and row[0])
