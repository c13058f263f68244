"""Return codes (あいことば): what a pupil keeps to come back to their thread.

A code is three groups of a picture word and a two-digit number (``ねこ 27・りんご 58・ふね 03``):
128 words × 100 numbers, three times, is 2^40.9 codes. Words a 7-year-old can read and numbers
they can copy, no look-alike characters. The code is the same whatever language the pupil reads:
each word has a name in every language, and any of them is accepted when typed back.
"""

import json
import re
import secrets
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from math import log2
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw

from school_report.cores import cores_per_process

DATA = Path(__file__).parent / "data"
GROUPS = 3
NUMBERS = 100

# OWASP's minimum for argon2id (m=19 MiB, t=2, p=1); never lower it.
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1
# Codes are hashed in these threads only, one per core: more hashes at once finish no sooner,
# and each holds 19 MiB that the allocator keeps for the thread that used it (50 pupils
# sending at once grew the server past 800 MB when every worker thread hashed).
_HASHERS = ThreadPoolExecutor(max_workers=cores_per_process(), thread_name_prefix="argon2")


@cache
def code_words() -> list[dict[str, str]]:
    """The word list: one entry per word, its name in each language the pupil pages speak."""
    text = (DATA / "code_words.json").read_text(encoding="utf-8")
    return json.loads(text)


def code_space() -> int:
    """How many return codes there are: (128 words × 100 numbers)^3."""
    return (len(code_words()) * NUMBERS) ** GROUPS


def entropy_bits() -> float:
    return log2(code_space())


@dataclass(frozen=True)
class ReturnCode:
    groups: tuple[tuple[int, int], ...]  # (word index, number) per group

    def canonical(self) -> str:
        """The language-independent form that is hashed."""
        return "/".join(f"{word}:{number:02d}" for word, number in self.groups)

    def words(self, language: str) -> list[tuple[str, str]]:
        """(word, two-digit number) per group, the word in `language` (Japanese if unknown)."""
        words = code_words()
        return [
            (words[word].get(language) or words[word]["ja"], f"{number:02d}")
            for word, number in self.groups
        ]

    def display(self, language: str) -> str:
        return "・".join(f"{word} {number}" for word, number in self.words(language))


def new_return_code() -> ReturnCode:
    count = len(code_words())
    return ReturnCode(
        tuple((secrets.randbelow(count), secrets.randbelow(NUMBERS)) for _ in range(GROUPS))
    )


def normalise(text: str) -> str:
    """Fold what a pupil may type differently: full-width/half-width (NFKC), katakana to
    hiragana, upper to lower case, accents on Latin letters (a tablet set up for Japanese may
    have no Vietnamese or Portuguese keyboard); drop spaces and separators."""
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in folded)
    return re.sub(r"[\W_]+", "", _without_latin_accents(folded))


def _without_latin_accents(text: str) -> str:
    """Drop the marks on Latin letters only: a kana's dakuten (が, ぱ) tells words apart."""
    kept: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and kept and kept[-1] < "\u0250":
            continue
        kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)).replace("đ", "d")


@cache
def _word_index() -> dict[str, int]:
    index: dict[str, int] = {}
    for position, names in enumerate(code_words()):
        for name in names.values():
            index[normalise(name)] = position
    return index


_GROUP = re.compile(r"(\D+?)(\d{1,2})")


def parse_return_code(text: str) -> ReturnCode | None:
    """Read a code as typed, or None when it is not one (a wrong code and a mistyped one are
    treated alike)."""
    folded = normalise(text)
    groups = _GROUP.findall(folded)
    if len(groups) != GROUPS or "".join(w + n for w, n in groups) != folded:
        return None
    index = _word_index()
    if any(word not in index for word, _ in groups):
        return None
    return ReturnCode(tuple((index[word], int(number)) for word, number in groups))


def hash_return_code(code: ReturnCode, salt: str) -> str:
    """argon2id of the canonical code with this installation's salt: slow to guess offline,
    yet deterministic so a code finds its report by an indexed lookup."""
    return _HASHERS.submit(hash_in_this_thread, code, salt).result()


def hash_in_this_thread(code: ReturnCode, salt: str) -> str:
    """`hash_return_code` in the calling thread: for a thread of its own (the code pool's, at
    low priority), never for a request's worker thread."""
    raw = hash_secret_raw(
        secret=code.canonical().encode(),
        salt=bytes.fromhex(salt),
        time_cost=ARGON2_TIME_COST,
        memory_cost=ARGON2_MEMORY_KIB,
        parallelism=ARGON2_PARALLELISM,
        hash_len=32,
        type=Type.ID,
    )
    return raw.hex()
