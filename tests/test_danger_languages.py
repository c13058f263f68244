"""Danger in the five pupil languages other than Japanese: a child who writes in English,
Portuguese, Chinese, Vietnamese or Filipino that they want to die or are hit at home is read as
urgent, with the language named, and the ordinary worries that borrow danger's words are not.

Each language's corpus (tests/data/danger_<language>.tsv) was written for this project in a
child's voice from that language's public suicide-prevention and child-protection material;
the floors are the issue's: recall >= 0.95 on danger, false alarms <= 0.05 on ordinary messages.
"""

import csv
import re
import statistics
import time
from collections import Counter
from pathlib import Path

import pytest

from school_report.danger_languages import (
    FAMILY_URGENCY,
    LANGUAGES,
    PATTERN_LANGUAGES,
    detect_language,
    fold,
    signals,
)

CORPORA = Path(__file__).parent / "data"
HEADER = ["label", "family", "kind", "style", "source", "text"]


def corpus(language: str) -> list[dict[str, str]]:
    with (CORPORA / f"danger_{language}.tsv").open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE)
        assert reader.fieldnames == HEADER
        return list(reader)


@pytest.mark.parametrize("language", PATTERN_LANGUAGES)
def test_each_corpus_holds_every_family_and_its_look_alikes(language):
    rows = corpus(language)
    assert len(rows) >= 60
    assert {row["label"] for row in rows} == {"danger", "ordinary"}
    assert {row["family"] for row in rows if row["label"] == "danger"} == set(FAMILY_URGENCY)
    assert len({row["family"] for row in rows if row["label"] == "ordinary"}) >= 7
    assert all(row["text"] and row["kind"] and row["style"] and row["source"] for row in rows)


@pytest.mark.parametrize("language", PATTERN_LANGUAGES)
def test_danger_is_found_and_ordinary_worries_are_left_alone(language):
    rows = corpus(language)
    found = {row["text"]: bool(signals(row["text"])) for row in rows}
    per_family: dict[str, Counter] = {}
    for row in rows:
        tally = per_family.setdefault(row["family"], Counter())
        tally[row["label"]] += 1
        tally[row["label"] + "_flagged"] += found[row["text"]]
    print(f"\n{language}: family  recall  false alarms")
    for family, tally in sorted(per_family.items()):
        recall = tally["danger_flagged"] / tally["danger"] if tally["danger"] else None
        alarms = tally["ordinary_flagged"] / tally["ordinary"] if tally["ordinary"] else None
        print(f"  {family:18} {recall!s:6.5} {alarms!s:6.5}")
    danger = [row["text"] for row in rows if row["label"] == "danger"]
    ordinary = [row["text"] for row in rows if row["label"] == "ordinary"]
    missed = [text for text in danger if not found[text]]
    alarms = [text for text in ordinary if found[text]]
    recall, false_alarms = 1 - len(missed) / len(danger), len(alarms) / len(ordinary)
    print(f"  recall {recall:.3f}, false alarms {false_alarms:.3f}")
    assert len(missed) / len(danger) <= 0.05, missed
    assert len(alarms) / len(ordinary) <= 0.05, alarms


@pytest.mark.parametrize("language", PATTERN_LANGUAGES)
def test_the_language_of_each_corpus_message_is_recognised(language):
    rows = corpus(language)
    wrong = [(row["text"], detect_language(row["text"])) for row in rows]
    wrong = [(text, guess) for text, guess in wrong if guess != language]
    print(f"\n{language}: {len(rows) - len(wrong)}/{len(rows)} recognised; wrong: {wrong}")
    assert len(wrong) / len(rows) <= 0.05, wrong


WANT_TO_DIE_FATHER_HITS_ME = {
    "en": "I want to die, my father hits me every day",
    "pt-BR": "Eu quero morrer, meu pai me bate todo dia",
    "zh-Hans": "我想死，我爸爸每天都打我",
    "vi": "Em muốn chết, bố em đánh em mỗi ngày",
    "fil": "Gusto ko nang mamatay, sinasaktan ako ng tatay ko araw-araw",
}


@pytest.mark.parametrize("language", PATTERN_LANGUAGES)
def test_a_child_who_wants_to_die_and_is_hit_at_home_is_urgent_in_their_language(language):
    text = WANT_TO_DIE_FATHER_HITS_ME[language]
    found = [signal for signal in signals(text) if signal.language == language]
    assert {"suicide", "physical_abuse"} <= {signal.family for signal in found}
    assert {signal.urgency for signal in found} == {"urgent"}
    assert detect_language(text) == language


def test_the_same_message_without_accents_is_still_read():
    assert {s.family for s in signals("em muon chet, bo em danh em moi ngay")} >= {
        "suicide",
        "physical_abuse",
    }
    assert {s.family for s in signals("eu quero morrer meu pai me bate todo dia")} >= {
        "suicide",
        "physical_abuse",
    }


@pytest.mark.parametrize(
    "text",
    [
        "my friend slapped me in the playground",
        "um menino me deu um tapa no recreio",
        "课间的时候同学打了我一下",
        "bạn cùng lớp tát em ở sân trường",
        "sinampal ako ng kaklase ko sa playground",
    ],
)
def test_a_slap_in_the_playground_is_never_urgent(text):
    assert "urgent" not in {signal.urgency for signal in signals(text)}


@pytest.mark.parametrize(
    "text",
    [
        "I'm dying of laughter 😂",
        "to morrendo de rir kkkkk",
        "笑死我了",
        "想死你了，快回来吧",
        "chết cười với thằng bạn",
        "namatay ako kakatawa haha",
    ],
)
def test_hyperbole_is_not_danger(text):
    assert signals(text) == []


def test_a_cancelling_phrase_never_hides_a_second_real_signal():
    message = "in minecraft i killed myself lol. but at home my dad hits me with a belt"
    assert {s.family for s in signals(message)} == {"physical_abuse"}
    assert signals("in minecraft i killed myself lol") == []


def test_a_signal_points_at_the_words_the_pupil_wrote():
    text = "ok so... Eu QUERO MORRER!!! sério"
    (signal,) = [s for s in signals(text) if s.family == "suicide"]
    assert text[signal.start : signal.end] == "QUERO MORRER"


def test_hidden_spellings_are_read():
    assert fold("K1LL MYS3LF") == "kill myself"
    assert fold("diiiiie") == "die"
    assert fold("Não") == "nao"
    assert fold("Đánh") == "danh"
    assert {s.family for s in signals("i want to unalive myself")} == {"suicide"}


def test_japanese_and_chinese_are_told_apart():
    assert detect_language("しにたい") == "ja"
    assert detect_language("ｼﾆﾀｲ") == "ja"
    assert detect_language("死にたい、学校に行きたくない") == "ja"
    assert detect_language("我不想活了") == "zh-Hans"
    assert detect_language("不想活了") == "zh-Hans"
    assert set(LANGUAGES) == {"ja", *PATTERN_LANGUAGES}


def test_a_message_without_words_needs_no_interpreter():
    assert detect_language("😭😭😭") == "ja"
    assert detect_language("") == "ja"


def test_a_long_message_is_read_in_a_few_milliseconds():
    """The benchmark measures properly; here only that a 1,000-character message, made of the
    corpus's danger and look-alikes in every language at once, is far from slow. CPU time, so
    the other processes sharing the machine do not count; p99 printed, asserted loosely."""
    parts = [row["text"] for language in PATTERN_LANGUAGES for row in corpus(language)]
    messages = [(" ".join(parts[i:] + parts))[:1000] for i in range(0, len(parts), 7)]
    for message in messages:
        signals(message)
    times = []
    for _ in range(3):
        for message in messages:
            start = time.process_time()
            signals(message)
            times.append(time.process_time() - start)
    times.sort()
    p99 = times[int(len(times) * 0.99) - 1] * 1000
    print(f"\n1,000 characters: median {statistics.median(times) * 1000:.2f} ms, p99 {p99:.2f} ms")
    assert p99 < 25


def test_the_services_own_words_in_every_language_raise_no_danger():
    """Hundreds of ordinary sentences a reader can check: our own pages' wording, in each
    language's catalogue (including the staff pages' 虐待通告, which is no Chinese danger)."""
    translations = Path(__file__).parent.parent / "web" / "translations"
    alarms = []
    for catalogue in translations.glob("*/LC_MESSAGES/messages.po"):
        text = catalogue.read_text(encoding="utf-8")
        for sentence in re.findall(r'^msgstr "(.+)"$', text, flags=re.MULTILINE):
            alarms += [(sentence, signal.family) for signal in signals(sentence)]
    assert alarms == []
