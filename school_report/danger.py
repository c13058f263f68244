"""Danger in a pupil's message, in one place: `assess(db, text)` says how urgent the message is,
which family of danger it signals, in which language it is written, and the words that say so.

Japanese is read by `danger_ja` (a morphological analyser and the families' patterns), every
other pupil language by `danger_languages`, and the city's own words by `danger_words`.
A raise of urgency waits, as before, for staff to confirm it.
"""

import json
from dataclasses import dataclass

from sqlite_utils import Database

from school_report import danger_ja, danger_languages
from school_report.audit import record_event
from school_report.danger_families import severity
from school_report.danger_words import Entry, find_danger_words, lexicon
from school_report.japanese_reading import has_kana
from school_report.migrations import URGENCIES


@dataclass(frozen=True)
class Hit:
    family: str  # a key of danger_families, or "city"
    urgency: str
    language: str
    start: int  # in the pupil's text
    end: int


@dataclass(frozen=True)
class Assessment:
    urgency: str | None  # None: nothing signalled
    family: str | None  # the most severe family signalled
    language: str  # the language the message is written in
    hits: tuple[Hit, ...]  # in reading order
    # Each family signalled, most severe first, with the pupil's words that signal it.
    why: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def words(self) -> list[str]:
        return list(dict.fromkeys(word for _, words in self.why for word in words))


def _rank(hit: Hit) -> tuple[int, int]:
    return URGENCIES.index(hit.urgency), severity(hit.family)


def _why(text: str, hits: list[Hit]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    shown = _outermost(hits)
    families = dict.fromkeys(hit.family for hit in sorted(hits, key=_rank))
    return tuple(
        (key, tuple(dict.fromkeys(text[h.start : h.end] for h in shown if h.family == key)))
        for key in families
    )


def _city_hits(text: str, entries: tuple[Entry, ...], language: str) -> list[Hit]:
    return [
        Hit("city", match.entry.urgency, language, match.start, match.end)
        for match in find_danger_words(text, entries)
    ]


def assess_text(text: str, city_words: tuple[Entry, ...] = ()) -> Assessment:
    """The assessment of `text` with the built-in families and the given city words."""
    language = danger_languages.detect_language(text)
    hits = [
        Hit(signal.family, signal.urgency, signal.language, signal.start, signal.end)
        for signal in (danger_ja.signals(text) if _reads_as_japanese(text, language) else [])
        + danger_languages.signals(text)
    ]
    hits += _city_hits(text, city_words, language)
    hits.sort(key=lambda hit: (hit.start, -hit.end))
    strongest = min(hits, key=_rank, default=None)
    return Assessment(
        urgency=strongest.urgency if strongest else None,
        family=strongest.family if strongest else None,
        language=language,
        hits=tuple(hits),
        why=_why(text, hits),
    )


def _reads_as_japanese(text: str, language: str) -> bool:
    """Japanese, or a message mixing kana into another language: the Japanese patterns apply.
    Chinese alone does not go through them (its 自杀 is no Japanese word)."""
    return language == "ja" or has_kana(text)


def assess(db: Database, text: str) -> Assessment:
    """The assessment of a pupil's message, the city's own words included."""
    return assess_text(text, lexicon(db))


def _outermost(hits: list[Hit]) -> list[Hit]:
    """The hits not lying inside a longer one of the same family, so a word is named once."""
    kept: list[Hit] = []
    reach: dict[str, int] = {}  # per family, the furthest end of a hit kept so far
    for hit in sorted(hits, key=lambda hit: (hit.start, -hit.end)):
        if hit.end <= reach.get(hit.family, -1) and hit not in kept:
            continue
        kept.append(hit)
        reach[hit.family] = max(hit.end, reach.get(hit.family, -1))
    return kept


def raise_urgency_for_message(db: Database, report_id: int, body: str) -> Assessment:
    """Record what a pupil's message signals: its language always, and its family of danger
    with a raise of the report's urgency if it signals more than the report has now (the raise
    waits for staff to confirm it). A family more severe than the one recorded is recorded,
    with its words, even when the urgency stays, so the queue orders the report by it and staff
    read why. Call inside the message's transaction."""
    found = assess(db, body)
    current, family = db.execute(
        "SELECT urgency, danger_family FROM reports WHERE id = ?", [report_id]
    ).fetchone()
    db.execute("UPDATE reports SET language_detected = ? WHERE id = ?", [found.language, report_id])
    if found.urgency is None:
        return found
    if URGENCIES.index(found.urgency) < URGENCIES.index(current):
        db.execute(
            "UPDATE reports SET urgency = ?, urgency_source = 'danger_words', urgency_reason = ?, "
            "danger_family = ?, urgency_confirmed_by = NULL, urgency_confirmed_at = NULL "
            "WHERE id = ?",
            [found.urgency, json.dumps(found.words, ensure_ascii=False), found.family, report_id],
        )
        record_event(
            db,
            report_id,
            None,
            "urgency_changed",
            was=current,
            to=found.urgency,
            reason="danger_words",
            words=found.words,
            family=found.family,
            language=found.language,
        )
    elif found.urgency == current and (family is None or severity(found.family) < severity(family)):
        db.execute(
            "UPDATE reports SET danger_family = ?, urgency_reason = ? WHERE id = ?",
            [found.family, json.dumps(found.words, ensure_ascii=False), report_id],
        )
    return found
