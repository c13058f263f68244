"""One translation function for templates and code, by the language of the current request.

Catalogues are gettext .po files under web/translations, read with Babel at start-up (no
compile step). Japanese pupil wording carries its furigana in the text itself as
``{漢字|かんじ}``; `gettext` renders it as <ruby> for pupils who read with furigana and drops the
reading for everyone else, so ruby is stored with the words, never guessed.
"""

import re
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from markupsafe import Markup, escape

TRANSLATIONS = Path(__file__).parent / "translations"
LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"
LANGUAGE_NAMES = {"ja": "にほんご", "en": "English"}

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)
# "ruby" shows furigana over every kanji; "plain" shows the words alone.
current_reading: ContextVar[str] = ContextVar("current_reading", default="plain")

_RUBY = re.compile(r"\{([^|{}]+)\|([^|{}]+)\}")


@cache
def catalogue(language: str) -> dict[str, str]:
    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
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


def with_ruby(text: str, reading: str) -> Markup:
    """Escape `text` and turn its ``{漢字|かんじ}`` marks into <ruby> or plain words."""
    escaped = str(escape(text))
    if reading == "ruby":
        return Markup(_RUBY.sub(r"<ruby>\1<rt>\2</rt></ruby>", escaped))
    return Markup(_RUBY.sub(r"\1", escaped))


def gettext(message: str) -> str:
    translated = catalogue(current_language.get()).get(message, message)
    return with_ruby(translated, current_reading.get())


def ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


def choose_language(requested: str | None) -> str:
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE
