"""Property-based tests (hypothesis): the return-code reader and the danger-word matcher hold
for any input, not only the examples we thought of.

For danger words: kana and width never change what is found; a space or punctuation never hides
a danger word, wherever it is put. A space may break a harmless phrase into two words (きょう
けられた is no うけられた), so spaces are only ever allowed to reveal a hit, never to hide one."""

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from school_report import codes, danger_words
from school_report.codes import ReturnCode, normalise, parse_return_code
from tests.test_danger_words import ENTRIES, MUST_MATCH, MUST_NOT_MATCH

word_index = st.integers(0, len(codes.code_words()) - 1)
return_codes = st.tuples(*[st.tuples(word_index, st.integers(0, 99))] * codes.GROUPS).map(
    ReturnCode
)
languages = st.sampled_from(sorted({lang for word in codes.code_words() for lang in word}))
separators = st.sampled_from([" ", "　", "・", "-", "", "  ", "\t", "、"])


def to_katakana(text: str) -> str:
    return "".join(chr(ord(ch) + 0x60) if "ぁ" <= ch <= "ゖ" else ch for ch in text)


def to_full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


@given(return_codes, languages, separators, st.booleans(), st.booleans(), st.booleans())
def test_a_code_reads_back_however_a_pupil_types_it(
    code, language, separator, katakana, full_width, upper
):
    typed = separator.join(f"{word}{separator}{number}" for word, number in code.words(language))
    if katakana:
        typed = to_katakana(typed)
    if full_width:
        typed = to_full_width(typed)
    if upper:
        typed = typed.upper()
    assert parse_return_code(typed) == code


@given(return_codes, return_codes)
def test_two_codes_are_the_same_only_when_their_groups_are(first, second):
    assert (first.canonical() == second.canonical()) == (first == second)


@given(st.text())
def test_reading_any_text_never_fails_and_is_stable(text):
    code = parse_return_code(text)
    assert code is None or parse_return_code(code.display("ja")) == code
    assert normalise(normalise(text)) == normalise(text)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_normalised_text_has_no_spaces_or_separators(text):
    assert not any(unicodedata.category(ch).startswith(("Z", "P")) for ch in normalise(text))


# Danger words

spelled = st.sampled_from([(entry, spelling) for entry in ENTRIES for spelling in entry.spellings])
# Text that is certainly no danger word: digits and Latin letters only.
harmless = st.text(alphabet="0123456789abcxyz ", max_size=30)
gaps = st.sampled_from([" ", "　", "  ", "\n", "\t", "、", "・", "！"])
KANA = (
    "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん"
    + "がざだばぱぁっゃー"
)
phrases = st.sampled_from([written for written, _ in MUST_MATCH] + MUST_NOT_MATCH)
# What a pupil might write: the phrases we know, among kana, spaces and punctuation.
pupil_text = st.lists(
    st.one_of(phrases, st.text(alphabet=KANA + " 　、。", max_size=6)), max_size=4
).map("".join)


def _half_width_table() -> dict[str, str]:
    table = {}
    for code in range(0xFF61, 0xFFA0):
        table.setdefault(unicodedata.normalize("NFKC", chr(code)), chr(code))
    for code in range(0x30A1, 0x30F7):
        base, *mark = unicodedata.normalize("NFD", chr(code))
        if mark and base in table:
            table[chr(code)] = table[base] + table[mark[0]]
    return table


HALF_WIDTH = _half_width_table()


def to_half_width(text: str) -> str:
    return "".join(HALF_WIDTH.get(ch, ch) for ch in to_katakana(text))


def found(text: str) -> set:
    return {match.entry for match in danger_words.find_danger_words(text, ENTRIES)}


@settings(max_examples=300)
@given(spelled, harmless, harmless)
def test_a_danger_word_is_found_wherever_it_stands(spelling, before, after):
    entry, written = spelling
    text = f"{before} {written} {after}"
    matches = danger_words.find_danger_words(text, ENTRIES)
    assert entry in [match.entry for match in matches]
    for match in matches:
        assert 0 <= match.start < match.end <= len(text)


@settings(max_examples=300)
@given(spelled, st.data(), st.sampled_from([str, to_katakana, to_half_width, to_full_width]))
def test_gaps_inside_a_danger_word_never_hide_it_in_any_kana_or_width(spelling, data, switch):
    entry, written = spelling
    spaced = "".join(ch + data.draw(st.sampled_from(["", "", "ー"]) | gaps) for ch in written)
    assert entry in found(switch(spaced))


@settings(max_examples=300)
@given(pupil_text)
def test_switching_kana_or_width_never_changes_what_is_found(text):
    assert found(to_katakana(text)) == found(text)
    assert found(to_half_width(text)) == found(text)
    assert found(to_full_width(text)) == found(text)


@settings(max_examples=300)
@given(pupil_text, st.integers(0, 200), gaps)
def test_a_space_put_anywhere_never_hides_a_danger_word(text, position, gap):
    position = min(position, len(text))
    assert found(text) <= found(text[:position] + gap + text[position:])


@given(phrases, st.data())
def test_widening_the_pupils_own_spaces_changes_nothing(phrase, data):
    widened = "".join(data.draw(gaps) if ch == " " else ch for ch in phrase)
    assert found(widened) == found(phrase)


@given(st.text(max_size=300))
def test_the_matcher_takes_any_text_and_highlighting_keeps_every_character(text):
    matches = danger_words.find_danger_words(text, ENTRIES)
    pieces = danger_words.highlighted(text, matches)
    assert "".join(piece for piece, _ in pieces) == text
    urgency = danger_words.strongest_urgency(matches)
    assert (urgency is None) == (not matches)
    assert set(danger_words.matched_words(text, matches)) <= {
        text[m.start : m.end] for m in matches
    }


@given(harmless)
def test_harmless_text_raises_nothing(text):
    assert danger_words.find_danger_words(text, ENTRIES) == []
