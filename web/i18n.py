"""One translation function for templates and code, by the language of the current request.

Catalogues are gettext .po files under web/translations, read with Babel at start-up (no
compile step). Pupil pages speak six languages, staff pages Japanese and English.

Japanese pupil wording carries its furigana in the text itself as ``{漢字|かんじ}``, so ruby is
stored with the words, never guessed. `gettext` renders the marks by the pupil's reading level:
- "kana" (lower elementary): a word whose kanji are all taught in grades 1–2 keeps them, with
  furigana; any other word is written in hiragana;
- "ruby" (upper elementary): every marked word in kanji with furigana;
- "plain" (junior high and up, and every staff page): kanji alone.
"""

import re
from contextvars import ContextVar
from functools import cache, lru_cache
from pathlib import Path

from babel.messages.pofile import read_po
from markupsafe import Markup, escape

from school_report import reports
from school_report.migrations import READINGS
from school_report.text import KANJI, RUBY_MARK

TRANSLATIONS = Path(__file__).parent / "translations"
PUPIL_LANGUAGES = reports.LANGUAGES
STAFF_LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"
# Each language named in itself, as a child who reads it looks for it.
LANGUAGE_NAMES = {
    "ja": "にほんご",
    "en": "English",
    "pt-BR": "Português",
    "zh-Hans": "中文",
    "vi": "Tiếng Việt",
    "fil": "Filipino",
}
# The tag a speech engine knows each language by (voices are listed as zh-CN, not zh-Hans).
SPEECH_TAGS = {
    "ja": "ja-JP",
    "en": "en-US",
    "pt-BR": "pt-BR",
    "zh-Hans": "zh-CN",
    "vi": "vi-VN",
    "fil": "fil-PH",
}
# The kanji Japanese pupils learn in grades 1 and 2 (学年別漢字配当表).
EARLY_KANJI = frozenset(
    "一右雨円王音下火花貝学気九休玉金空月犬見五口校左三山子四糸字耳七車手十出女小上森人水正生青"
    "夕石赤千川先早草足村大男竹中虫町天田土二日入年白八百文木本名目立力林六"
    "引羽雲園遠何科夏家歌画回会海絵外角楽活間丸岩顔汽記帰弓牛魚京強教近兄形計元言原戸古午後語"
    "工公広交光考行高黄合谷国黒今才細作算止市矢姉思紙寺自時室社弱首秋週春書少場色食心新親図数"
    "西声星晴切雪船線前組走多太体台地池知茶昼長鳥朝直通弟店点電刀冬当東答頭同道読内南肉馬売買"
    "麦半番父風分聞米歩母方北毎妹万明鳴毛門夜野友用曜来里理話"
)

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)
current_reading: ContextVar[str] = ContextVar("current_reading", default="plain")


@cache
def catalogue(language: str) -> dict[str, str]:
    path = TRANSLATIONS / language.replace("-", "_") / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    entries: dict[str, str] = {}
    with path.open("rb") as po:
        for message in read_po(po):
            if not message.id or message.fuzzy:
                continue
            if isinstance(message.id, tuple):  # singular and plural share the forms in order
                forms = [form for form in message.string if form]
                for index, msgid in enumerate(message.id):
                    if forms:
                        entries[msgid] = forms[min(index, len(forms) - 1)]
            elif message.string:
                entries[message.id] = message.string
    return entries


def _ruby(word: str, reading: str) -> str:
    return f"<ruby>{word}<rt>{reading}</rt></ruby>"


def _kana(match: re.Match) -> str:
    word, reading = match.group(1), match.group(2)
    early = all(kanji in EARLY_KANJI for kanji in KANJI.findall(word))
    return _ruby(word, reading) if early else reading


def with_ruby(text: str, reading: str) -> Markup:
    """Escape `text` and render its ``{漢字|かんじ}`` marks for the reading level."""
    escaped = str(escape(text))
    if reading == "kana":
        return Markup(RUBY_MARK.sub(_kana, escaped))
    if reading == "ruby":
        return Markup(RUBY_MARK.sub(lambda m: _ruby(m.group(1), m.group(2)), escaped))
    return Markup(RUBY_MARK.sub(r"\1", escaped))


@lru_cache(maxsize=8192)
def _translation(language: str, reading: str, message: str) -> Markup:
    """A page asks for hundreds of strings, mostly the same ones: each is looked up and given
    its ruby once per language and reading, not at every use."""
    return with_ruby(catalogue(language).get(message, message), reading)


def gettext(message: str) -> str:
    return _translation(current_language.get(), current_reading.get(), message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


def choose_language(requested: str | None, offered: tuple[str, ...] = STAFF_LANGUAGES) -> str:
    return requested if requested in offered else DEFAULT_LANGUAGE


def reading_for(language: str, chosen: str | None, school_default: str) -> str:
    """The pupil's reading level: their own choice, else their school's. Furigana belong to
    Japanese text; every other language reads plain."""
    if language != "ja":
        return "plain"
    return chosen if chosen in READINGS else school_default
