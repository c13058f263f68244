"""Property-based tests (hypothesis): the return-code reader and the danger-word matcher hold
for any input, not only the examples we thought of."""

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from school_report import codes, danger_words
from school_report.codes import ReturnCode, normalise, parse_return_code

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

ENTRIES = danger_words.built_in_lexicon()
entries = st.sampled_from(ENTRIES)
# Text that is certainly no danger word: digits and Latin letters only.
harmless = st.text(alphabet="0123456789abcxyz ", max_size=30)


@settings(max_examples=200)
@given(entries, harmless, harmless)
def test_a_danger_word_is_found_wherever_it_stands(entry, before, after):
    text = f"{before}{entry.word}{after}"
    matches = danger_words.find_danger_words(text, ENTRIES)
    assert entry in [match.entry for match in matches]
    for match in matches:
        assert 0 <= match.start < match.end <= len(text)


@given(entries, st.sampled_from([" ", "　", "ー", "\n"]), st.booleans())
def test_spacing_and_katakana_do_not_hide_a_danger_word(entry, gap, katakana):
    if entry.unless:
        return  # an entry with exceptions is tested by its own examples
    spaced = gap.join(entry.word)
    text = to_katakana(spaced) if katakana else spaced
    assert entry in [m.entry for m in danger_words.find_danger_words(text, ENTRIES)]


@given(st.text(max_size=300))
def test_the_matcher_takes_any_text_and_highlighting_keeps_every_character(text):
    matches = danger_words.find_danger_words(text, ENTRIES)
    pieces = danger_words.highlighted(text, matches)
    assert "".join(piece for piece, _ in pieces) == text
    urgency = danger_words.strongest_urgency(matches)
    assert (urgency is None) == (not matches)


@given(harmless)
def test_harmless_text_raises_nothing(text):
    assert danger_words.find_danger_words(text, ENTRIES) == []
