"""The city's danger words: every word a city adds matches as children write it, in any kana and
width, conjugated and spaced out, and the look-alike words that mean something harmless do not.

The sample city list is the lexicon the service had built in before it read Japanese with an
analyser (tests/data/danger_words_city_sample.json): 65 words with their exceptions, a hard
test of the spelling matcher a city's own words still go through."""

import json
from pathlib import Path

import pytest

from school_report.danger_words import (
    find_danger_words,
    highlighted,
    lexicon,
    matched_words,
    normalise,
    read_city_words,
    spellings,
    strongest_urgency,
)
from school_report.settings import set_setting

SAMPLE = Path(__file__).parent / "data" / "danger_words_city_sample.json"
ENTRIES = read_city_words(json.loads(SAMPLE.read_text(encoding="utf-8"))["entries"])
CATEGORIES = {"self_harm", "violence_at_home", "sexual_harm", "running_away"}

# How pupils write danger: (what the pupil wrote, the category it must signal).
MUST_MATCH = [
    ("もう しにたい", "self_harm"),
    ("ｼﾆﾀｲ", "self_harm"),
    ("しにたぁい", "self_harm"),
    ("死にタイ", "self_harm"),
    ("しにたくなる", "self_harm"),
    ("ときどき 死にたく なる", "self_harm"),
    ("きえてしまいたい", "self_harm"),
    ("消えてしまいたい", "self_harm"),
    ("キエチャイタイ", "self_harm"),
    ("いなくなりたい", "self_harm"),
    ("いきていたくない", "self_harm"),
    ("生きていたくない", "self_harm"),
    ("いきてる いみが ない", "self_harm"),
    ("死んだほうがいい", "self_harm"),
    ("しんだ ほうが いいって おもう", "self_harm"),
    ("しぬしかない", "self_harm"),
    ("しのうと おもった", "self_harm"),
    ("じさつ したい", "self_harm"),
    ("しにたい。へんかな", "self_harm"),
    ("しにたい けんかばかり", "self_harm"),
    ("じぶんを きずつける", "self_harm"),
    ("自分を傷つけてしまう", "self_harm"),
    ("手首を切る", "self_harm"),
    ("てくび きった", "self_harm"),
    ("きのう ﾘｽｶ した", "self_harm"),
    ("ＯＤした", "self_harm"),
    ("また OD しちゃった", "self_harm"),
    ("ｵｰﾊﾞｰﾄﾞｰｽﾞ", "self_harm"),
    ("くすりを いっぱい のんだ", "self_harm"),
    ("かぜぐすりを ぜんぶ のんだ", "self_harm"),
    ("リスカかな", "self_harm"),
    ("薬を全部飲んだ", "self_harm"),
    ("くびを つりたい", "self_harm"),
    ("とびおりたい", "self_harm"),
    ("わたしなんか いないほうが いい", "self_harm"),
    ("うまれてこなければ よかった", "self_harm"),
    ("I want to kill myself", "self_harm"),
    ("self-harm", "self_harm"),
    ("おとうさんに なぐられて いたい", "violence_at_home"),
    ("ナグラレタ", "violence_at_home"),
    ("殴られて", "violence_at_home"),
    ("ママに たたかれて", "violence_at_home"),
    ("叩かれた", "violence_at_home"),
    ("おなかを けられて", "violence_at_home"),
    ("きのう けられた", "violence_at_home"),
    ("あたまけられた", "violence_at_home"),
    ("けさけられた", "violence_at_home"),
    ("おなかわ けられた", "violence_at_home"),
    ("なんども けられた", "violence_at_home"),
    ("ｹﾗﾚﾀ", "violence_at_home"),
    ("蹴られた", "violence_at_home"),
    ("ぶたれる", "violence_at_home"),
    ("ぶたれた", "violence_at_home"),
    ("パパが なぐってくる", "violence_at_home"),
    ("ごはん もらえない", "violence_at_home"),
    ("ごはんをもらえない", "violence_at_home"),
    ("ご飯もらえない", "violence_at_home"),
    ("ご飯を もらって ない", "violence_at_home"),
    ("ｺﾞﾊﾝ ﾓﾗｴﾅｲ", "violence_at_home"),
    ("なにも たべさせて もらえない", "violence_at_home"),
    ("いえに いれて もらえない", "violence_at_home"),
    ("ころされる", "violence_at_home"),
    ("ころすぞって いわれた", "violence_at_home"),
    ("しねって いわれた", "violence_at_home"),
    ("ぎゃくたい", "violence_at_home"),
    ("くびを しめられた", "violence_at_home"),
    ("たばこを おしつけられた", "violence_at_home"),
    ("あざが できた", "violence_at_home"),
    ("おとうさんが おかあさんに DV", "violence_at_home"),
    ("よる ベランダに だされた", "violence_at_home"),
    ("いえから おいだされた", "violence_at_home"),
    ("さわられる", "sexual_harm"),
    ("触られる", "sexual_harm"),
    ("おしりを さわられた", "sexual_harm"),
    ("むねを さわってくる", "sexual_harm"),
    ("へんなところを さわられた", "sexual_harm"),
    ("はだかの しゃしん", "sexual_harm"),
    ("はだかを とられた", "sexual_harm"),
    ("じどりを おくってって いわれた", "sexual_harm"),
    ("ちかんに あった", "sexual_harm"),
    ("ふくを ぬがされた", "sexual_harm"),
    ("へんなことを された", "sexual_harm"),
    ("むりやり キス された", "sexual_harm"),
    ("ｾｸﾊﾗ", "sexual_harm"),
    ("いえにかえりたくない", "running_away"),
    ("家に帰りたくない", "running_away"),
    ("うちに かえりたくない", "running_away"),
    ("家出したい", "running_away"),
    ("いえでしたい", "running_away"),
    ("いえでを する", "running_away"),
    ("いえを でたい", "running_away"),
    ("いえから にげたい", "running_away"),
    ("かえるのが こわい", "running_away"),
    ("かえる ところが ない", "running_away"),
]

# Ordinary school sentences that look like danger words but are not.
MUST_NOT_MATCH = [
    "わたしにたいして",
    "わたしにたいして やさしい",
    "むかしにたいする",
    "わたしに たいへんな ことが あった",
    "わたしにたいせつな ともだち",
    "ともだちが わたしに たくさん くれた",
    "かたづけられる",
    "しゅくだいを かたづけられた",
    "なづけられる",
    "ちかづけられる",
    "たすけられる",
    "ともだちに たすけられた",
    "つづけられる",
    "しゅくだいを つづけられる",
    "みつけられる",
    "せんせいに みつけられた",
    "せんせいに はなしかけられた",
    "しらない ひとに こえ かけられた",
    "じゅぎょうを うけられた",
    "テストが うけられない",
    "ドアが あけられる",
    "まけられない しあい",
    "ボールを けられる ように なった",
    "かたを たたかれた",
    "肩を叩かれた",
    "てを たたいて くれた",
    "つかれて しにそう",
    "しぬほど つかれた",
    "しぬきで がんばる",
    "わたしの うち",
    "わたしのうちに きてね",
    "きもちかんがえて",
    "そうできる",
    "アリスかわいい",
    "リスかわいい",
    "ちょくせつかんけい ない",
    "せんせいてきには",
    "おばあちゃんに しゃしんを おくってって いわれた",
    "ぼくなんて うまれつき あしが はやい",
    "リスクが ある",
    "I want to diet before summer",
    "good food",
    "I watched a DVD",
    "おかしを たべさせて もらえない",
    "いえで したいことは ゲーム",
    "いえでしたいのは べんきょう",
    "いえで しゅくだいを した",
    "くびが つる",
    "こわい せつめい",
    "ぼくは いらない",
    "かえるが すき",
    "ジャングルジムから とびおりた",
    "かみを きった",
    "ゆきが きえた",
    "ねこを さわった",
    "きょうは いいてんき",
    "さわやかな あさ",
    "ともだちかんけいの こと",
    "しんぱいを かけられた",
    "めいわくを かけられた",
    "おにごっこで おいかけられた",
    "ドッジボールで ボールを ぶつけられた",
    "へやを かたづけられない",
    "わたしにたいへんな ことが おきた",
    "あざやかな いろ",
    "あざらしを みた",
    "いえでしたいことが ある",
    "でんきが きえた",
    "たたかいごっこを した",
    "おかしを もらえない",
    "ゲームを かってもらえない",
    "てくびを ひねった",
    "じしょで しらべた",
    "おばあちゃんが びょうきで しんだ",
]

SPELLINGS = [(entry, spelling) for entry in ENTRIES for spelling in entry.spellings]
UNLESS = [(entry, phrase) for entry in ENTRIES for phrase in entry.unless_spellings]


def entries_in(text: str, entries=ENTRIES) -> set:
    return {match.entry for match in find_danger_words(text, entries)}


def categories_in(text: str) -> set[str]:
    return {entry.category for entry in entries_in(text)}


@pytest.mark.parametrize(
    ("entry", "spelling"), SPELLINGS, ids=[f"{e.category}:{s}" for e, s in SPELLINGS]
)
def test_every_spelling_of_every_lexicon_entry_is_found_inside_a_sentence(entry, spelling):
    assert entry in entries_in(f"きのう {spelling} って おもった")
    assert entry in entries_in(spelling)


@pytest.mark.parametrize(("entry", "phrase"), UNLESS, ids=[p for _, p in UNLESS])
def test_every_harmless_phrase_of_an_entry_is_no_hit_for_it(entry, phrase):
    assert entry not in entries_in(phrase)
    assert entry not in entries_in(f"きょうは {phrase}る")


def test_every_harmless_phrase_holds_its_entry_so_it_can_ever_apply():
    for entry in ENTRIES:
        for phrase in entry.unless:
            assert any(key in phrase.key for key in entry.keys), (entry.word, phrase.key)


def test_the_lexicon_spells_nothing_twice_and_signals_high_or_urgent():
    keys = [key for entry in ENTRIES for key in entry.keys]
    assert len(keys) == len(set(keys))
    assert {entry.urgency for entry in ENTRIES} <= {"urgent", "high"}
    assert {entry.category for entry in ENTRIES} == CATEGORIES


@pytest.mark.parametrize(("written", "category"), MUST_MATCH, ids=[w for w, _ in MUST_MATCH])
def test_danger_as_children_write_it_is_found(written, category):
    assert category in categories_in(written)


@pytest.mark.parametrize("harmless", MUST_NOT_MATCH)
def test_ordinary_school_sentences_raise_nothing(harmless):
    assert entries_in(harmless) == set()


def test_a_stem_spells_its_choices_and_a_bad_one_is_refused():
    assert spellings("(なぐ|殴)られ") == ["なぐられ", "殴られ"]
    assert spellings("ごはん(を|)もらえな") == ["ごはんをもらえな", "ごはんもらえな"]
    for bad in ["(なぐ|殴られ", "なぐ)られ", "((a|b)|c)", "a|b", "(a|b|c|d|e|f|g|h|i|j)" * 4]:
        with pytest.raises(ValueError):
            spellings(bad)


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
        "しにたぁい",
        "し、に、た、い",
        "しにたい😢",
    ],
)
def test_the_same_words_match_in_any_kana_width_or_spacing(written):
    assert matched_words(written, find_danger_words(f"もう {written}", ENTRIES))


def test_small_kana_and_half_width_voiced_kana_are_read_as_the_words_they_are():
    assert categories_in("ﾘｽﾄｶｯﾄ した") == {"self_harm"}
    assert categories_in("りすとかっと") == {"self_harm"}
    assert categories_in("ｷﾞｬｸﾀｲ") == {"violence_at_home"}
    assert categories_in("ふ゛たれた") == {"violence_at_home"}  # a voicing mark on its own
    assert categories_in("ちかつ゛けられた") == set()  # is no space inside ちかづけられた
    assert normalise("ｷﾞｬｸ")[0] == normalise("ぎゃく")[0] == "ぎやく"
    assert normalise("ファイト")[0] == "ふあいと"  # a small vowel is only dropped after its own


def test_a_word_in_latin_letters_stands_on_its_own():
    assert categories_in("ODした") == {"self_harm"}
    assert categories_in("i took an od.") == {"self_harm"}
    assert categories_in("ＫＩＬＬ　ＭＹＳＥＬＦ") == {"self_harm"}
    assert categories_in("good food, odd code, a DVD") == set()


def test_a_harmless_look_alike_does_not_hide_a_real_word_elsewhere():
    text = "たすけられるかな。おとうさんに けられる"
    assert matched_words(text, find_danger_words(text, ENTRIES)) == ["けられる"]


def test_a_space_breaks_a_harmless_phrase_but_never_a_danger_word():
    assert categories_in("きょう けられた") == {"violence_at_home"}
    assert categories_in("テストが うけられない") == set()
    assert categories_in("しに たい") == {"self_harm"}
    assert categories_in("わたしにたいして") == set()
    assert categories_in("しにたい。へんかな") == {"self_harm"}  # punctuation breaks it too


def test_the_pupils_whole_word_is_shown_with_its_ending():
    text = "きのう ﾅｸﾞﾗﾚﾀ。おなかを けられてる"
    assert matched_words(text, find_danger_words(text, ENTRIES)) == ["ﾅｸﾞﾗﾚﾀ", "けられてる"]


def test_a_hit_inside_a_longer_hit_is_named_once():
    text = "むねを さわられた"
    matches = find_danger_words(text, ENTRIES)
    assert len(matches) == 2
    assert matched_words(text, matches) == ["むねを さわられた"]
    assert strongest_urgency(matches) == "urgent"


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
    assert strongest_urgency(find_danger_words(text, ENTRIES)) == "urgent"
    assert strongest_urgency(find_danger_words("いえでしたい", ENTRIES)) == "high"
    assert strongest_urgency([]) is None


def test_the_citys_plain_words_still_signal_urgent(db):
    assert not entries_in("ばんごはんが ない", lexicon(db))
    set_setting(db, "danger_words", ["ばんごはんがない", "  ", 7, "(なぐ"])
    found = find_danger_words("ﾊﾞﾝｺﾞﾊﾝが ない", lexicon(db))
    assert [(m.entry.word, m.entry.urgency, m.entry.category) for m in found] == [
        ("ばんごはんがない", "urgent", "city")
    ]
    assert entries_in("(なぐ", lexicon(db))  # a broken choice is taken as it stands


def test_the_city_gives_its_own_words_exceptions_and_an_urgency(db):
    set_setting(
        db,
        "danger_words",
        [
            {"stem": "(ほうち|放置)され", "unless": ["ほうちされた じてんしゃ"], "urgency": "high"},
            {"stem": "ひとりぼっち", "urgency": "no such urgency", "category": "lonely"},
            {"unless": ["no stem"]},
            {"stem": "(a|b)" * 12},
        ],
    )
    words = lexicon(db)
    assert [(w.word, w.urgency, w.category) for w in words] == [
        ("(ほうち|放置)され", "high", "city"),
        ("ひとりぼっち", "urgent", "lonely"),
    ]
    assert strongest_urgency(find_danger_words("よるまで 放置されてる", words)) == "high"
    assert find_danger_words("ほうちされた じてんしゃ", words) == []
