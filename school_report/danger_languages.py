"""Danger in the pupil languages other than Japanese (stub: the danger-world branch writes the
real patterns and language detection; this file only keeps the agreed API so the Japanese
detector and its integration run. At merge, danger-world's version replaces it)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Signal:
    family: str
    urgency: str
    language: str
    start: int  # span in the text
    end: int


def _is_kana(char: str) -> bool:
    return "\u3040" <= char <= "\u30ff" or "\uff66" <= char <= "\uff9f"


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def detect_language(text: str) -> str:
    """One of "ja", "en", "pt-BR", "zh-Hans", "vi", "fil": by script only in this stub."""
    if any(_is_kana(char) or _is_cjk(char) for char in text):
        return "ja"
    if any(char.isascii() and char.isalpha() for char in text):
        return "en"
    return "ja"


def signals(text: str) -> list[Signal]:
    """Hits of every non-Japanese language's patterns (none in this stub)."""
    return []
