"""Which pupil language a message is written in, for its `lang` mark: the voice that reads it
aloud and the font that shows it (WCAG 3.1.2, language of parts).

A Japanese nurse's reply inside a Filipino pupil's thread must be read with a Japanese voice,
and a Filipino pupil's words on a Japanese staff page with a Filipino one. Messages store no
language, so it is read from the letters: a sure sign where a script belongs to one language,
the pupil's own language where the letters fit it.
"""

import re

from school_report.text import KANJI

# Hiragana, katakana (full and half width) and the long-vowel mark: only Japanese has them.
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
# Letters only Vietnamese uses among the pupil languages (Portuguese has â, ê, ô, but not
# these, nor the dot below).
_VIETNAMESE = re.compile("[ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
# The pupil languages written in Latin letters.
_LATIN_LANGUAGES = ("en", "pt-BR", "vi", "fil")


def written_in(text: str, pupil_language: str) -> str:
    """The language tag for `text` in a thread whose pupil chose `pupil_language`: kana is
    Japanese; kanji without kana is Chinese in a Chinese pupil's thread, else Japanese;
    Vietnamese letters are Vietnamese; other Latin letters are the pupil's language where it
    is written in them, else English. Text with no letters at all (emoji, numbers) keeps the
    pupil's language."""
    if _KANA.search(text):
        return "ja"
    if KANJI.search(text):
        return "zh-Hans" if pupil_language == "zh-Hans" else "ja"
    if _VIETNAMESE.search(text):
        return "vi"
    if _LATIN.search(text):
        return pupil_language if pupil_language in _LATIN_LANGUAGES else "en"
    return pupil_language
