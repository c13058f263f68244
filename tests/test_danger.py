"""Danger detection as a counsellor reads it: the families of danger in a child's words however
they are written, the context that makes a danger-like word harmless, and never a harmless
word hiding a real signal; measured on the corpora in tests/data (`make eval-danger`)."""

import time

import pytest

from bench.eval_danger import corpus_rows, evaluate
from school_report import danger_languages
from school_report.danger import assess_text
from school_report.danger_families import FAMILIES, URGENT_ORDER
from school_report.danger_words import read_city_words

# Floors set from `make eval-danger` on the Japanese corpus (recall 100 %, false alarms 0 % at
# the time of writing; the issue's goal is 95 % and 5 %): a change that loses a kind of
# expression fails here.
RECALL_FLOOR = 0.97
FALSE_ALARM_CEILING = 0.03
# Every other language: the issue's goal on its own corpus.
OTHER_RECALL_FLOOR = 0.95
OTHER_FALSE_ALARM_CEILING = 0.05

TALLIES, MISSES = evaluate(corpus_rows())


def family_of(text: str) -> str | None:
    return assess_text(text).family


def urgency_of(text: str) -> str | None:
    return assess_text(text).urgency


def test_the_japanese_corpus_is_read_above_its_floors():
    japanese = TALLIES["language:ja"]
    assert japanese.danger >= 250 and japanese.ordinary >= 150
    assert japanese.recall >= RECALL_FLOOR, MISSES
    assert japanese.false_alarms <= FALSE_ALARM_CEILING, MISSES


def test_every_family_is_in_the_japanese_corpus_both_as_danger_and_as_a_look_alike():
    rows = [row for row in corpus_rows() if row.language == "ja"]
    for family in FAMILIES:
        labels = {row.label for row in rows if row.family == family.key}
        assert labels == {"danger", "ordinary"}, family.key
    kinds = {row.kind for row in rows}
    assert {
        "hyperbole",
        "game",
        "sport",
        "play_fight",
        "fiction",
        "news",
        "lesson",
        "past",
    } <= kinds
    styles = {row.style for row in rows}
    assert {"kanji", "hiragana", "katakana", "halfwidth", "emoji", "slang", "dialect"} <= styles


def test_every_family_is_found_in_the_japanese_corpus_and_reported():
    for family in FAMILIES:
        tally = TALLIES[f"family:{family.key}"]
        assert tally.recall is not None and tally.recall >= 0.9, family.key


@pytest.mark.parametrize(
    "language", sorted({row.language for row in corpus_rows()} - {"ja"}) or ["none"]
)
def test_every_other_pupil_language_is_read_above_the_issues_goal(language):
    if language == "none":
        pytest.skip("no corpus of another language yet")
    tally = TALLIES[f"language:{language}"]
    assert tally.recall >= OTHER_RECALL_FLOOR, language
    assert tally.false_alarms <= OTHER_FALSE_ALARM_CEILING, language


def test_a_farewell_letter_is_urgent_and_a_playground_slap_is_not():
    assert (urgency_of("いしょを かいた"), family_of("遺書を書いた")) == ("urgent", "preparation")
    assert urgency_of("休み時間に友だちにたたかれた") == "high"
    assert family_of("ともだちに たたかれた") == "bullying_violence"


@pytest.mark.parametrize(
    "written",
    ["死にたい", "しにたい", "シニタイ", "ｼﾆﾀｲ", "タヒにたい", "氏にたい", "4にたい", "Ⅳにたい",
     "しにたーい", "しにたぁい", "ｼﾆﾀｧｲ", "しにたいいいい", "しにたいねん", "死にたか"],
)  # fmt: skip
def test_hidden_spellings_width_and_dialect_read_as_the_same_wish(written):
    assert family_of(f"もう {written}") == "suicide"


def test_a_hiding_spelling_is_read_only_where_it_hides_death():
    assert urgency_of("かのじょの 彼氏に 会った") is None  # 氏に after a kanji is no 死に
    assert urgency_of("4にんで あそんだ") is None


@pytest.mark.parametrize(
    ("written", "family"),
    [
        ("生きてる意味がわからない", "suicide"),
        ("わたしがいなくなっても誰も困らない", "suicide"),
        ("あしたの朝 目がさめなければいいのに", "suicide"),
        ("大切なものを全部友だちにあげた", "preparation"),
        ("ODしちゃった", "self_harm"),
        ("ごはんを三日食べてない。給食だけ", "neglect"),
        ("電気をとめられた", "neglect"),
        ("SNSで知り合った人の家に泊まってる", "dangerous_runaway"),
        ("先生に言ったらころすって言われた", "threat"),
        ("写真をばらまくって言われた", "threat"),
        ("お母さんの彼氏に首をしめられた", "physical_abuse"),
        ("おじさんに体をさわられる", "sexual_abuse"),
    ],
)
def test_danger_told_as_a_situation_is_read_as_its_family(written, family):
    assert family_of(written) == family


def test_who_did_it_decides_between_abuse_and_bullying():
    assert family_of("ママに毎日たたかれる") == "physical_abuse"
    assert family_of("クラスの男子に毎日たたかれる") == "bullying_violence"
    assert family_of("おかんにどつかれてん") == "physical_abuse"
    assert family_of("クラスのやつにどつかれる") == "bullying_violence"
    assert urgency_of("お父さんに殴られた") == "urgent"
    assert urgency_of("先輩になぐられた") == "high"


@pytest.mark.parametrize(
    "harmless",
    [
        "テストむずすぎて死ぬw",
        "はずかしすぎて死にたいww",
        "推しがかっこよすぎて消えたい草",
        "マイクラで何回もしんだ",
        "ゲームのチャットで殺すぞって言われたw",
        "サッカーの試合で足をけられた",
        "弟とプロレスごっこしてけられた",
        "ドラマで主人公が死にたいって言ってた",
        "ニュースで虐待の事件を見た",
        "保健の授業で自殺予防の話をきいた",
        "前は死にたいと思ってたけど、今は大丈夫",
        "わたしにたいして やさしい",
        "ともだちに たすけられた",
        "かたを たたかれた",
        "転校する友だちにお別れの手紙を書いた",
    ],
)
def test_danger_like_words_in_a_harmless_context_raise_nothing(harmless):
    assert assess_text(harmless).urgency is None


@pytest.mark.parametrize(
    "message",
    [
        "ゲームで負けてしにそうw でも本当は毎日死にたい",
        "ドラマ見て泣いた。わたしも死にたい",
        "サッカーで足をけられた。家ではお母さんにたたかれる",
        "保健の授業で性被害の話をきいた。わたしも親せきにさわられてる",
        "ニュースで虐待の事件を見た。うちもお父さんに殴られる",
    ],
)
def test_a_cancelling_word_never_hides_a_second_real_signal(message):
    assert assess_text(message).urgency == "urgent"


def test_ideation_in_the_past_is_danger_while_it_goes_on():
    assert urgency_of("前は死にたかった。最近またそう思う") == "urgent"
    assert urgency_of("小学生のころからずっと消えたいって思ってる") == "urgent"
    assert urgency_of("中1のときリスカしてた。今はもうしてない") is None


def test_staff_read_why_the_family_and_the_pupils_own_words():
    found = assess_text("きのう 遺書を かいた。もう しにたい")
    assert (found.urgency, found.family, found.language) == ("urgent", "preparation", "ja")
    assert found.why == (("preparation", ("遺書",)), ("suicide", ("しにたい",)))
    assert found.words == ["遺書", "しにたい"]
    assert assess_text("ﾅｸﾞﾗﾚﾀ").words == ["ﾅｸﾞﾗﾚﾀ"]


def test_a_citys_harmless_phrase_never_swallows_an_overlapping_real_signal():
    city = read_city_words([{"stem": "たすけ", "unless": ["たすけられ"], "urgency": "high"}])
    found = assess_text("たすけられた。おとうさんに けられた", city)
    assert found.family == "physical_abuse"
    assert [h.family for h in found.hits] == ["physical_abuse"]
    assert assess_text("たすけて", city).family == "city"


def test_the_urgent_families_are_ordered_and_the_others_are_high():
    assert URGENT_ORDER[:2] == ("preparation", "suicide")
    assert {f.key for f in FAMILIES if f.urgency == "high"} == {"bullying_violence", "neglect"}


@pytest.mark.skipif(
    not danger_languages.signals("Eu quero morrer, meu pai me bate todo dia"),
    reason="the other pupil languages' patterns come with the danger-world branch",
)
def test_a_portuguese_child_who_wants_to_die_is_urgent_with_the_language_named():
    found = assess_text("Eu quero morrer, meu pai me bate todo dia")
    assert (found.urgency, found.language) == ("urgent", "pt-BR")


def test_reading_a_long_message_takes_milliseconds():
    """The benchmark holds the real figure (p99 under 5 ms per 1,000 characters on a quiet
    machine); here, with other tests sharing the cores, only a gross slowdown fails."""
    message = ("きょうは がっこうで ともだちと あそんだ。しゅくだいが おおくて たいへん。" * 40)[
        :1000
    ]
    assess_text(message)
    times = []
    for _ in range(30):
        start = time.perf_counter()
        assess_text(message)
        times.append(time.perf_counter() - start)
    assert sorted(times)[len(times) // 2] < 0.1
