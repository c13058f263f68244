"""The danger-word matcher: every lexicon entry matches as children write it, in any kana and
width, and the look-alike words that mean something harmless do not."""

import pytest

from school_report.danger_words import (
    built_in_lexicon,
    find_danger_words,
    highlighted,
    lexicon,
    matched_words,
    normalise,
    strongest_urgency,
)
from school_report.settings import set_setting

ENTRIES = built_in_lexicon()


def words_in(text: str) -> list[str]:
    return [match.entry.word for match in find_danger_words(text, ENTRIES)]


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry.word)
def test_each_lexicon_entry_is_found_inside_a_sentence(entry):
    text = f"きょう {entry.word} って おもった"
    assert entry.word in words_in(text)


def test_the_lexicon_has_no_entry_twice_and_every_group_signals_high_or_urgent():
    keys = [entry.key for entry in ENTRIES]
    assert len(keys) == len(set(keys))
    assert {entry.urgency for entry in ENTRIES} <= {"urgent", "high"}
    assert {"self_harm", "violence_at_home", "sexual_harm", "running_away"} == {
        entry.group for entry in ENTRIES
    }


@pytest.mark.parametrize(
    "written",
    [
        "しにたい",
        "シニタイ",
        "ｼﾆﾀｲ",
        "し に た い",
        "し　に　た　い",
        "しにたーい",
        "しにた〜い",
        "ｼﾆﾀｰｲ",
    ],
)
def test_the_same_words_match_in_any_kana_width_or_spacing(written):
    assert words_in(f"もう {written}") == ["しにたい"]


def test_small_kana_and_half_width_voiced_kana_are_read_as_the_words_they_are():
    assert "リストカット" in words_in("ﾘｽﾄｶｯﾄ した")
    assert "リストカット" in words_in("りすとかっと")
    assert "なぐられる" in words_in("ナグラレル")
    assert "ぎゃくたい" in words_in("ｷﾞｬｸﾀｲ")
    assert "kill myself" in words_in("I want to ＫＩＬＬ　ＭＹＳＥＬＦ")


@pytest.mark.parametrize(
    "harmless",
    [
        "ともだちを たすけられる かな",
        "しゅくだいを つづけられる",
        "ドアが あけられる",
        "せんせいに はなしかけられる",
        "ともだちかんけいの こと",
        "アリスかわいい",
        "I want to diet before summer",
        "いえでしたいことは ゲーム",
        "きょうは いいてんき",
        "リスクが ある",
        "さわやかな あさ",
    ],
)
def test_look_alike_harmless_words_do_not_match(harmless):
    assert words_in(harmless) == []


def test_a_harmless_look_alike_does_not_hide_a_real_word_elsewhere():
    assert words_in("たすけられるかな。おとうさんに けられる") == ["けられる"]


def test_a_hit_is_shown_where_the_pupil_wrote_it_in_their_own_characters():
    text = "きのう ｼﾆ ﾀｲ と おもった"
    matches = find_danger_words(text, ENTRIES)
    assert matched_words(text, matches) == ["ｼﾆ ﾀｲ"]
    assert highlighted(text, matches) == [
        ("きのう ", False),
        ("ｼﾆ ﾀｲ", True),
        (" と おもった", False),
    ]


def test_the_origin_of_each_normalised_character_is_kept():
    folded, origins = normalise("ア ｶﾞ")
    assert folded == "あが"
    assert origins == [0, 2]


def test_the_strongest_urgency_wins():
    text = "いえでしたい。しにたい"
    matches = find_danger_words(text, ENTRIES)
    assert strongest_urgency(matches) == "urgent"
    assert strongest_urgency(find_danger_words("いえでしたい", ENTRIES)) == "high"
    assert strongest_urgency([]) is None


def test_the_city_adds_its_own_words_which_signal_urgent(db):
    assert not find_danger_words("オーバードーズ した", lexicon(db))
    set_setting(db, "danger_words", ["オーバードーズ", "  ", 7])
    (match,) = find_danger_words("おーばーどーず した", lexicon(db))
    assert (match.entry.word, match.entry.urgency, match.entry.group) == (
        "オーバードーズ",
        "urgent",
        "city",
    )


def test_a_space_breaks_a_harmless_phrase_but_never_a_danger_word():
    assert words_in("きょう けられた") == ["けられた"]
    assert words_in("きょうは うけられた") == []
    assert words_in("しに たい") == ["しにたい"]
