"""A danger word's `unless` phrases excuse only a hit lying wholly inside one of them. A harmless
phrase that merely overlaps a real signal (shares its first or last kana) must never swallow it:
a pupil who writes けられた right after たすけ is still being kicked.

The property test writes stems, harmless phrases and messages in three kana, so overlaps of
every shape (a phrase ending inside the stem, starting inside it, two hits sharing kana) come
up all the time, and compares the matcher with the rule as the lexicon's docstring states it."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from school_report.danger_words import find_danger_words, lexicon
from school_report.db import connect
from school_report.migrations import migrate
from school_report.settings import set_setting

CATEGORY = "overlap_test"


@pytest.fixture(scope="module")
def city_db():
    db = connect(":memory:")
    migrate(db)
    return db


def city_word(db, stem: str, unless: list[str]):
    """The city's own word, read through the same lexicon as the built-in ones."""
    set_setting(db, "danger_words", [{"stem": stem, "unless": unless, "category": CATEGORY}])
    return lexicon(db)


def hits(db, text: str, stem: str, unless: list[str]) -> list[int]:
    found = find_danger_words(text, city_word(db, stem, unless))
    return sorted(match.start for match in found if match.entry.category == CATEGORY)


def occurrences(text: str, needle: str) -> list[int]:
    return [at for at in range(len(text) - len(needle) + 1) if text.startswith(needle, at)]


def expected_hits(text: str, stem: str, unless: list[str]) -> list[int]:
    """The rule: every occurrence of the stem, except those inside an occurrence of a harmless
    phrase (start and end both within it)."""
    harmless = [(at, at + len(p)) for p in unless for at in occurrences(text, p)]
    return [
        at
        for at in occurrences(text, stem)
        if not any(start <= at and at + len(stem) <= stop for start, stop in harmless)
    ]


def test_a_harmless_phrase_ending_inside_a_real_signal_does_not_swallow_it(city_db):
    # たすけ (help) overlaps けられ (kicked) in たすけられた: けられ is not inside たすけ.
    assert hits(city_db, "たすけられた", "けられ", ["たすけ"]) == [2]
    assert hits(city_db, "たすけられた", "けられ", ["たすけられ"]) == []


def test_a_harmless_phrase_starting_inside_a_real_signal_does_not_swallow_it(city_db):
    # たいへん (very) overlaps しにたい in もうしにたいへんだ: the signal starts before it.
    assert hits(city_db, "もうしにたいへんだ", "しにたい", ["たいへん"]) == [2]
    assert hits(city_db, "わたしにたいへん", "しにたい", ["わたしにたいへん"]) == []


def test_a_second_real_signal_next_to_an_excused_one_is_still_found(city_db):
    # The first けられ lies inside たすけられ; the second only touches it.
    assert hits(city_db, "たすけられけられた", "けられ", ["たすけられ"]) == [5]


kana = st.text(alphabet="あいう", min_size=1, max_size=3)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    stem=kana,
    unless=st.lists(st.text(alphabet="あいう", min_size=1, max_size=5), max_size=3),
    text=st.text(alphabet="あいう", max_size=14),
)
def test_only_a_hit_wholly_inside_a_harmless_phrase_is_excused(city_db, stem, unless, text):
    assert hits(city_db, text, stem, unless) == expected_hits(text, stem, unless)
