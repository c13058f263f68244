"""The city's own danger words: phrases a city adds (setting `danger_words`) that raise a
report's urgency as the built-in families of `school_report.danger` do, matched by spelling.

The setting is a list of plain strings, each a stem signalling "urgent", or of objects:

    {"stem": "(ほうち|放置)され", "unless": ["ほうちされた じてんしゃ"], "urgency": "high"}

- `stem`: what to look for. A stem is the part of a word that stays when children conjugate it
  (なぐられ finds なぐられる, なぐられた). `(a|b)` spells a choice and an empty choice makes a
  part optional (no choice inside a choice). Kanji are not read: spell a word both ways.
- `unless`: longer phrases holding the stem in which it means something harmless: a hit lying
  wholly inside one of them is no hit; a harmless phrase that only overlaps a hit, or lies
  elsewhere in the message, never hides it. A space in an unless phrase says "a space may
  stand here".
- `urgency` (one of migrations.URGENCIES) and `category` ("city" if not given).

A city word is never an error for the pupil: a string with an unclosed bracket is taken as it
stands, an unknown urgency counts as urgent, and an object without a stem or with more than
MAX_SPELLINGS spellings is skipped.

Words and messages are compared after normalising: full and half width folded (NFKC), katakana
read as hiragana, small kana as large (a small vowel drawing out the one before it, たぁい, is
dropped), case ignored, and spaces, punctuation, symbols and stretch marks dropped, so しにたい,
シニタイ, ｼﾆﾀｲ, "し に たー い" and "しにたぁい" all match. A stem in Latin letters must stand as a
word of its own (od, but not good). Spaces and punctuation never break a danger word, but they
do break a harmless phrase: children space out their words (わかちがき), so "しにたい。へんかな"
and "しにたい へんかな" are no わたしにたいへん (大変), and a space inside a harmless phrase
counts only where its unless phrase has one.
"""

import itertools
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache, lru_cache

from sqlite_utils import Database

from school_report.migrations import URGENCIES
from school_report.settings import get_setting

_SMALL_KANA = str.maketrans("ぁぃぅぇぉっゃゅょゎゕゖ", "あいうえおつやゆよわかけ")
_SMALL_VOWELS = dict(zip("ぁぃぅぇぉ", "aiueo", strict=True))
_VOWELS = {
    kana: vowel
    for vowel, row in {
        "a": "あかさたなはまやらわがざだばぱ",
        "i": "いきしちにひみりぎじぢびぴ",
        "u": "うくすつぬふむゆるぐずづぶぷゔ",
        "e": "えけせてねへめれげぜでべぺ",
        "o": "おこそとのほもよろをごぞどぼぽ",
    }.items()
    for kana in row
}
_VOICING_MARKS = {"\u3099", "\u309a"}  # what half-width ﾞ and ﾟ become under NFKC
_STRETCH = set("ー〜~")  # a drawn-out sound: dropped, but no break between words
_KATAKANA = range(0x30A1, 0x30F7)
_HIRAGANA_OFFSET = 0x60
_CHOICE = re.compile(r"\(([^()]*)\)")
MAX_SPELLINGS = 1000  # per stem: a city word like (a|b)(a|b)(a|b)... must not stall a message


@dataclass(frozen=True)
class Phrase:
    key: str  # normalised
    spaces: frozenset[int]  # where, in `key`, the phrase as written has a space


@dataclass(frozen=True)
class Entry:
    word: str  # the stem as written in the lexicon, e.g. "(なぐ|殴)られ"
    spellings: tuple[str, ...]  # every spelling it stands for: なぐられ, 殴られ
    keys: tuple[str, ...]  # the spellings normalised
    category: str
    urgency: str
    unless: tuple[Phrase, ...] = ()
    unless_spellings: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Match:
    entry: Entry
    start: int  # in the text as the pupil wrote it
    end: int


@dataclass(frozen=True)
class _Reading:
    folded: str
    origins: list[int]  # for each folded character, its index in the text as written
    breaks: frozenset[int]  # folded positions with a space or punctuation just before them


def _choices(stem: str) -> list[list[str]]:
    parts = _CHOICE.split(stem)
    if any(char in part for part in parts[::2] for char in "()|"):
        raise ValueError(f"a choice inside a choice or an unclosed bracket: {stem}")
    return [[part] if i % 2 == 0 else part.split("|") for i, part in enumerate(parts)]


def _expand(stem: str, choices: list[list[str]]) -> list[str]:
    if math.prod(len(choice) for choice in choices) > MAX_SPELLINGS:
        raise ValueError(f"more than {MAX_SPELLINGS} spellings: {stem}")
    return ["".join(chosen) for chosen in itertools.product(*choices)]


def spellings(stem: str) -> list[str]:
    """Every spelling a stem stands for: `(なぐ|殴)られ` is なぐられ and 殴られ. ValueError if the
    stem is not well formed or stands for more than MAX_SPELLINGS spellings."""
    return _expand(stem, _choices(stem))


def _is_break(char: str) -> bool:
    return unicodedata.category(char)[0] in "ZPSC"


def _fold(char: str, before: str | None) -> str:
    """The character as compared; empty if it only draws out the vowel before it (たぁい)."""
    if ord(char) in _KATAKANA:
        char = chr(ord(char) - _HIRAGANA_OFFSET)
    if char in _SMALL_VOWELS and before is not None and _VOWELS.get(before) == _SMALL_VOWELS[char]:
        return ""
    return char.translate(_SMALL_KANA)


def _read(text: str) -> _Reading:
    chars: list[str] = []
    origins: list[int] = []
    breaks: set[int] = set()
    for index, original in enumerate(text):
        produced = unicodedata.normalize("NFKC", original).casefold()
        if _VOICING_MARKS & set(produced):
            produced = produced.strip()  # ゛ becomes a space and a voicing mark
        for char in produced:
            if char in _VOICING_MARKS:
                if chars:
                    chars[-1] = unicodedata.normalize("NFC", chars[-1] + char)
                continue
            if char in _STRETCH or unicodedata.category(char) == "Mn":
                continue
            if _is_break(char):
                breaks.add(len(chars))
                continue
            char = _fold(char, chars[-1] if chars else None)
            if char:
                chars.append(char)
                origins.append(index)
    return _Reading("".join(chars), origins, frozenset(b for b in breaks if 0 < b < len(chars)))


def normalise(text: str) -> tuple[str, list[int]]:
    """The text as words are compared, and for each of its characters the index in `text` it
    came from (so a hit can be shown where the pupil wrote it)."""
    reading = _read(text)
    return reading.folded, reading.origins


def _phrase(written: str) -> Phrase:
    reading = _read(written)
    return Phrase(reading.folded, reading.breaks)


def _spell(stem: str, strict: bool) -> list[str]:
    try:
        choices = _choices(stem)
    except ValueError:
        if strict:
            raise
        choices = [[stem]]  # a city word written before choices existed: taken as it stands
    return _expand(stem, choices)


def _entry(stem: str, category: str, urgency: str, unless=(), strict: bool = True) -> Entry:
    if urgency not in URGENCIES:
        raise ValueError(f"unknown urgency {urgency!r} for {stem}")
    written = [s for s in _spell(stem, strict) if normalise(s)[0]]
    if not written:
        raise ValueError(f"nothing to look for in {stem!r}")
    unless_written = [s for phrase in unless for s in _spell(phrase, strict) if normalise(s)[0]]
    return Entry(
        word=stem,
        spellings=tuple(written),
        keys=tuple(dict.fromkeys(normalise(s)[0] for s in written)),
        category=category,
        urgency=urgency,
        unless=tuple(dict.fromkeys(map(_phrase, unless_written))),
        unless_spellings=tuple(unless_written),
    )


# Conjugation endings added to a hit when it is shown and stored (なぐられ + た), so staff read
# the pupil's whole word.
_ENDINGS = (
    "ている",
    "ていた",
    "ていて",
    "てる",
    "てた",
    "ました",
    "ます",
    "ません",
    "ちゃった",
    "ちゃう",
    "そうに",
    "そう",
    "たら",
    "たり",
    "なる",
    "なった",
    "なって",
    "かった",
    "だ",
    "る",
    "た",
    "て",
    "い",
)


@cache
def _endings() -> tuple[str, ...]:
    keys = {normalise(ending)[0] for ending in _ENDINGS}
    return tuple(sorted(keys - {""}, key=len, reverse=True))


def _city_entry(word) -> Entry | None:
    """One of the city's own words: a plain string (a stem signalling "urgent") or an object
    like a lexicon entry; None if it cannot be read."""
    if isinstance(word, str):
        word = {"stem": word}
    if not isinstance(word, dict) or not isinstance(word.get("stem"), str):
        return None
    unless = word.get("unless", [])
    urgency, category = word.get("urgency"), word.get("category")
    try:
        return _entry(
            word["stem"].strip(),
            category if isinstance(category, str) and category.strip() else "city",
            urgency if urgency in URGENCIES else "urgent",
            [p for p in unless if isinstance(p, str)] if isinstance(unless, list) else [],
            strict=False,
        )
    except ValueError:
        return None


def read_city_words(words) -> tuple[Entry, ...]:
    """The entries of a `danger_words` setting's value; what cannot be read is skipped."""
    return tuple(filter(None, map(_city_entry, words if isinstance(words, list) else [])))


@lru_cache(maxsize=4)
def _city_lexicon(city_words: str) -> tuple[Entry, ...]:
    """The city's own words, read once for each value the setting has had."""
    return read_city_words(json.loads(city_words))


def lexicon(db: Database) -> tuple[Entry, ...]:
    """The city's own words."""
    city_words = get_setting(db, "danger_words")
    return _city_lexicon(json.dumps(city_words, ensure_ascii=False))


def _occurrences(haystack: str, needle: str) -> list[int]:
    found, start = [], haystack.find(needle)
    while start != -1:
        found.append(start)
        start = haystack.find(needle, start + 1)
    return found


def _harmless_spans(reading: _Reading, entry: Entry) -> list[tuple[int, int]]:
    """Where the text holds one of the entry's harmless phrases, with no space or punctuation
    inside it that the phrase itself does not have."""
    return [
        (at, at + len(phrase.key))
        for phrase in entry.unless
        for at in _occurrences(reading.folded, phrase.key)
        if {b - at for b in reading.breaks if at < b < at + len(phrase.key)} <= phrase.spaces
    ]


def _latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _stands_alone(reading: _Reading, key: str, start: int, end: int) -> bool:
    """A stem in Latin letters must not be part of a longer word: od, but not good or odd."""
    folded = reading.folded
    joined_before = start > 0 and start not in reading.breaks and _latin(folded[start - 1])
    joined_after = end < len(folded) and end not in reading.breaks and _latin(folded[end])
    return not (_latin(key[0]) and joined_before) and not (_latin(key[-1]) and joined_after)


def _with_ending(reading: _Reading, key: str, end: int) -> int:
    """The end of the pupil's word: the hit and the conjugation ending written after it."""
    if not "ぁ" <= key[-1] <= "ゖ":
        return end
    for ending in _endings():
        stop = end + len(ending)
        joined = not any(end <= b < stop for b in reading.breaks)
        if joined and reading.folded.startswith(ending, end):
            return stop
    return end


def _hits(reading: _Reading, entry: Entry) -> list[Match]:
    harmless = _harmless_spans(reading, entry)
    found = []
    for key in entry.keys:
        for at in _occurrences(reading.folded, key):
            end = at + len(key)
            inside_harmless = any(start <= at and end <= stop for start, stop in harmless)
            if inside_harmless or not _stands_alone(reading, key, at, end):
                continue
            last = _with_ending(reading, key, end) - 1
            found.append(Match(entry, reading.origins[at], reading.origins[last] + 1))
    return found


def find_danger_words(text: str, entries: tuple[Entry, ...]) -> list[Match]:
    """Every hit of a lexicon entry in `text`, in reading order."""
    if not entries:
        return []
    reading = _read(text)
    matches = [match for entry in entries for match in _hits(reading, entry)]
    return sorted(matches, key=lambda match: (match.start, -match.end))


def matched_words(text: str, matches: list[Match]) -> list[str]:
    """The words as the pupil wrote them, each once; a hit lying inside a longer one (さわられた
    inside むねを さわられた) is not named again."""
    spans = {(match.start, match.end) for match in matches}
    outermost = [
        (start, end)
        for start, end in sorted(spans, key=lambda span: (span[0], -span[1]))
        if not any(s <= start and end <= e and (s, e) != (start, end) for s, e in spans)
    ]
    return list(dict.fromkeys(text[start:end] for start, end in outermost))


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
