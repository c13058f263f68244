"""Text people type, as it will be stored: one cleaning path for every field.

Pupils' and staff's messages may hold anything a keyboard or emoji picker gives except control
characters. What administrators type into the city's set-up (a school's name, a login, a topic's
wording, a setting) is shown to others as if it were the service's own words, so it is held to
more: no character that cannot be seen (zero-width, bidi overrides that reorder the text around
them, private-use or unassigned code points), and a length fit for its field.
"""

import re
import unicodedata
from collections.abc import Callable

from school_report.refused import Refused

# Control, format (zero-width, direction marks and overrides, soft hyphen), surrogate,
# private-use and unassigned code points, and the line and paragraph separators.
_UNSEEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Furigana as written in the text: {漢字|かんじ}.
RUBY_MARK = re.compile(r"\{([^|{}]+)\|([^|{}]+)\}")
KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f々〆]")


def plain_text(text: str) -> str:
    """Pupil wording as staff read it: the kanji, without the furigana written beside them."""
    return RUBY_MARK.sub(r"\1", text)


class TextRefused(Refused):
    """Text that cannot be stored as typed."""


def _refuse_text(reason: str) -> Refused:
    return TextRefused(f"text refused: {reason}", reason)


def clean_text(
    text: str | None,
    limit: int,
    *,
    required: bool,
    multiline: bool,
    strict: bool = False,
    refuse: Callable[[str], Exception] = _refuse_text,
) -> str | None:
    """Text as it will be stored: NFC, surrounding space dropped, length checked, control
    characters refused (a line break is allowed where the field has lines); `strict` refuses
    every character that cannot be seen too. A refusal is `refuse(reason)`, the reason one of
    "empty", "too_long", "control_characters"."""
    text = unicodedata.normalize("NFC", (text or "").replace("\r\n", "\n")).strip()
    allowed = {"\n", "\t"} if multiline else set()
    refused = _UNSEEN_CATEGORIES if strict else {"Cc"}
    if any(unicodedata.category(ch) in refused and ch not in allowed for ch in text):
        raise refuse("control_characters")
    if len(text) > limit:
        raise refuse("too_long")
    if not text:
        if required:
            raise refuse("empty")
        return None
    return text


def clean_admin_text(
    text: str | None,
    limit: int,
    error: type[Refused],
    *,
    required: bool = True,
    empty: str = "empty",
    too_long: str = "text_too_long",
    multiline: bool = False,
) -> str:
    """What an administrator typed, cleaned strictly; a refusal is `error` with the reason
    "unseen_characters", or `empty` or `too_long` (a field may name its own). Empty and not
    required gives ""."""
    reasons = {"empty": empty, "too_long": too_long, "control_characters": "unseen_characters"}

    def refuse(reason: str) -> Refused:
        return error(f"text refused: {reasons[reason]}", reasons[reason])

    cleaned = clean_text(
        text, limit, required=required, multiline=multiline, strict=True, refuse=refuse
    )
    return cleaned or ""
