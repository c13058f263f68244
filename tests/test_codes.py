"""Return codes: enough entropy, words a child can read, forgiving input, stable hashing."""

import re
import time

from hypothesis import given
from hypothesis import strategies as st

from school_report.codes import (
    GROUPS,
    ReturnCode,
    code_words,
    entropy_bits,
    hash_return_code,
    new_return_code,
    parse_return_code,
)

SALT = "00" * 16
codes = st.builds(
    ReturnCode,
    st.tuples(*[st.tuples(st.integers(0, 127), st.integers(0, 99))] * GROUPS),
)


def test_a_code_carries_at_least_40_bits():
    assert len(code_words()) == 128
    assert entropy_bits() >= 40


def test_code_words_are_plain_hiragana_without_small_or_look_alike_kana():
    for word in code_words():
        assert re.fullmatch(r"[あ-ん]+", word["ja"]), word
        assert not set(word["ja"]) & set("ぁぃぅぇぉっゃゅょゎー"), word
        assert re.fullmatch(r"[a-z]+", word["en"]), word


def test_every_word_is_unique_in_every_language():
    for language in ("ja", "en"):
        names = [word[language] for word in code_words()]
        assert len(set(names)) == len(names)


def test_new_codes_differ():
    assert len({new_return_code() for _ in range(1000)}) == 1000


@given(codes)
def test_a_code_reads_back_as_shown_in_japanese_and_english(code):
    assert parse_return_code(code.display("ja")) == code
    assert parse_return_code(code.display("en")) == code


def test_input_forgives_spaces_width_katakana_and_case():
    code = ReturnCode(((1, 27), (41, 58), (87, 3)))
    assert code.display("ja") == "ねこ 27・りんご 58・ふね 03"
    for typed in (
        "ねこ27りんご58ふね03",
        "ネコ２７　リンゴ５８　フネ０３",
        "ﾈｺ 27 ﾘﾝｺﾞ 58 ﾌﾈ 3",
        " ねこ 27 - りんご 58 - ふね 03 ",
        "CAT 27 Apple 58 boat 03",
        "ねこ 27 apple 58 フネ 03",
    ):
        assert parse_return_code(typed) == code, typed


def test_wrong_shapes_are_not_codes():
    for typed in (
        "",
        "ねこ",
        "ねこ 27 りんご 58",
        "ねこ 27 りんご 58 ふね 03 いぬ 1",
        "ねこ 270 りんご 58 ふね 03",
        "のら 27 りんご 58 ふね 03",
        "27 ねこ 58 りんご",
    ):
        assert parse_return_code(typed) is None, typed


def test_the_hash_is_argon2id_deterministic_and_salted():
    code = new_return_code()
    assert hash_return_code(code, SALT) == hash_return_code(code, SALT)
    assert hash_return_code(code, SALT) != hash_return_code(code, "11" * 16)
    assert code.canonical() not in hash_return_code(code, SALT)


def test_hashing_a_code_is_deliberately_slow():
    started = time.perf_counter()
    hash_return_code(new_return_code(), SALT)
    assert time.perf_counter() - started > 0.005  # argon2id at 19 MiB, never a fast hash
