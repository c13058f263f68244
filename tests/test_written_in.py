"""The language a thread message is marked with, so the right voice reads it."""

import pytest

from school_report.written_in import written_in


@pytest.mark.parametrize(
    ("text", "pupil_language", "marked"),
    [
        ("おしえてくれて ありがとう", "fil", "ja"),  # the nurse's Japanese in a Filipino thread
        ("ほけんしつに きてね", "pt-BR", "ja"),
        ("保健室", "ja", "ja"),
        ("我很害怕", "zh-Hans", "zh-Hans"),
        ("学校", "fil", "ja"),
        ("Natatakot ako", "fil", "fil"),
        ("Estou com medo", "pt-BR", "pt-BR"),
        ("Em sợ lắm", "en", "vi"),
        ("Thank you for telling us", "ja", "en"),
        ("Thank you for telling us", "zh-Hans", "en"),
        ("Thank you for telling us", "pt-BR", "pt-BR"),
        ("😢😢", "vi", "vi"),
        ("ｼﾆﾀｲ", "en", "ja"),
    ],
)
def test_a_message_is_marked_with_the_language_its_letters_show(text, pupil_language, marked):
    assert written_in(text, pupil_language) == marked
