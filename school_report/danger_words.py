"""Danger words: phrases in a pupil's message that signal danger and raise the report's urgency
at once, on the first message and on every later one.

The lexicon is `data/danger_words.json` (groups of words, each group with the urgency it
signals) plus the city's own words in the setting `danger_words` (a JSON list of strings, each
signalling "urgent"). Words and messages are compared after `normalise`: full and half width
folded (NFKC), katakana read as hiragana, small kana as large, case ignored, and spaces and
stretch marks dropped, so しにたい, シニタイ, ｼﾆﾀｲ and "し に たー い" all match. Kanji are not
read, so a word children write both ways is listed both ways. An entry may name longer phrases
it must not be part of: けられる (being kicked) but not たすけられる (can be helped).
"""

import json
import unicodedata
from dataclasses import dataclass
from functools import cache

from sqlite_utils import Database

from school_report.audit import record_event
from school_report.migrations import DATA, URGENCIES
from school_report.settings import get_setting

_SMALL_KANA = str.maketrans("ぁぃぅぇぉっゃゅょゎゕゖ", "あいうえおつやゆよわかけ")
_VOICING_MARKS = {"\u3099", "\u309a"}  # what half-width ﾞ and ﾟ become under NFKC
_IGNORED = set(" \t\n\r\u3000ー〜~・…")
_KATAKANA = range(0x30A1, 0x30F7)
_HIRAGANA_OFFSET = 0x60


@dataclass(frozen=True)
class Entry:
    word: str  # as written in the lexicon
    key: str  # normalised
    group: str
    urgency: str
    # Phrases that make a hit inside them no hit: each normalised, with where it has spaces.
    unless: tuple[tuple[str, frozenset[int]], ...] = ()


@dataclass(frozen=True)
class Match:
    entry: Entry
    start: int  # in the text as the pupil wrote it
    end: int


def _fold(char: str) -> str:
    if ord(char) in _KATAKANA:
        char = chr(ord(char) - _HIRAGANA_OFFSET)
    return char.translate(_SMALL_KANA)


def normalise(text: str) -> tuple[str, list[int]]:
    """The text as words are compared, and for each of its characters the index in `text` it
    came from (so a hit can be shown where the pupil wrote it)."""
    chars: list[str] = []
    origins: list[int] = []
    for index, original in enumerate(text):
        for char in unicodedata.normalize("NFKC", original).casefold():
            if char in _VOICING_MARKS:
                if chars:
                    chars[-1] = unicodedata.normalize("NFC", chars[-1] + char)
                continue
            char = _fold(char)
            if char not in _IGNORED:
                chars.append(char)
                origins.append(index)
    return "".join(chars), origins


def _key(word: str) -> str:
    return normalise(word)[0]


def _phrase(words: str) -> tuple[str, frozenset[int]]:
    folded, origins = normalise(words)
    return folded, frozenset(_spaced(words, origins))


def _entry(word: str | dict, group: str, urgency: str) -> Entry:
    if isinstance(word, str):
        return Entry(word, _key(word), group, urgency)
    unless = tuple(map(_phrase, word.get("unless", [])))
    return Entry(word["word"], _key(word["word"]), group, urgency, unless)


@cache
def built_in_lexicon() -> tuple[Entry, ...]:
    groups = json.loads((DATA / "danger_words.json").read_text(encoding="utf-8"))
    return tuple(
        _entry(word, group["group"], group["urgency"])
        for group in groups
        for word in group["words"]
    )


def lexicon(db: Database) -> tuple[Entry, ...]:
    """The built-in words and the city's own."""
    city_words = get_setting(db, "danger_words")
    extra = tuple(
        _entry(word.strip(), "city", "urgent")
        for word in city_words
        if isinstance(word, str) and _key(word)
    )
    return built_in_lexicon() + extra


def _occurrences(haystack: str, needle: str) -> list[int]:
    found, start = [], haystack.find(needle)
    while start != -1:
        found.append(start)
        start = haystack.find(needle, start + 1)
    return found


def _spaced(text: str, origins: list[int]) -> set[int]:
    """The positions in the normalised text where the pupil left a space before."""
    return {
        i
        for i in range(1, len(origins))
        if any(char.isspace() for char in text[origins[i - 1] + 1 : origins[i]])
    }


def find_danger_words(text: str, entries: tuple[Entry, ...]) -> list[Match]:
    """Every hit of a lexicon entry in `text`, in reading order. Spaces do not break a danger
    word (し に た い), but they do break a harmless phrase: in きょう けられた the space says
    the う is not part of うけられた."""
    folded, origins = normalise(text)
    spaces = _spaced(text, origins)
    matches = []
    for entry in entries:
        excluded = [
            (at, at + len(phrase))
            for phrase, own_spaces in entry.unless
            for at in _occurrences(folded, phrase)
            if {space - at for space in spaces if at < space < at + len(phrase)} <= own_spaces
        ]
        for at in _occurrences(folded, entry.key):
            end = at + len(entry.key)
            if not any(start < end and at < stop for start, stop in excluded):
                matches.append(Match(entry, origins[at], origins[end - 1] + 1))
    return sorted(matches, key=lambda match: (match.start, -match.end))


def matched_words(text: str, matches: list[Match]) -> list[str]:
    """The words as the pupil wrote them, each once."""
    return list(dict.fromkeys(text[match.start : match.end] for match in matches))


def strongest_urgency(matches: list[Match]) -> str | None:
    if not matches:
        return None
    return min((match.entry.urgency for match in matches), key=URGENCIES.index)


def highlighted(text: str, matches: list[Match]) -> list[tuple[str, bool]]:
    """`text` in pieces, each marked True where it is a danger word (overlapping hits merged)."""
    pieces: list[tuple[str, bool]] = []
    position = 0
    for match in matches:
        if match.end <= position:
            continue
        start = max(match.start, position)
        if start > position:
            pieces.append((text[position:start], False))
        pieces.append((text[start : match.end], True))
        position = match.end
    if position < len(text):
        pieces.append((text[position:], False))
    return pieces


def raise_urgency_for_message(db: Database, report_id: int, body: str) -> None:
    """Raise the report's urgency if a pupil's message holds danger words signalling more than
    it has now; the raise waits for staff to confirm it. Call inside the message's transaction."""
    matches = find_danger_words(body, lexicon(db))
    signalled = strongest_urgency(matches)
    (current,) = db.execute("SELECT urgency FROM reports WHERE id = ?", [report_id]).fetchone()
    if signalled is None or URGENCIES.index(signalled) >= URGENCIES.index(current):
        return
    words = matched_words(body, matches)
    db.execute(
        "UPDATE reports SET urgency = ?, urgency_source = 'danger_words', urgency_reason = ?, "
        "urgency_confirmed_by = NULL, urgency_confirmed_at = NULL WHERE id = ?",
        [signalled, json.dumps(words, ensure_ascii=False), report_id],
    )
    record_event(
        db,
        report_id,
        None,
        "urgency_changed",
        was=current,
        to=signalled,
        reason="danger_words",
        words=words,
    )
