"""Reading Japanese as a person does: the spellings children use to hide a word put back, the
message read by a morphological analyser (MeCab through fugashi, with the UniDic dictionary of
unidic-lite; README "Design" says why) and cut into sentences of words with their readings, so
that 死にたい, しにたい, シニタイ, ｼﾆﾀｲ and タヒにたい all read しにたい, and a pattern can ask
that a word start where the analyser says one does (わたしにたいして holds no しにたい: its
words are わたし・に・たいして).

Every word keeps where, in the pupil's text, it was written, so a hit is shown there.
"""

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

# Hiding spellings: 死 written as タヒ (its two halves), 氏 or 市 (read shi), 4 or Ⅳ (four,
# shi), before the endings that make it "die": タヒにたい, 氏ね, 4ね, Ⅳにたい, 4んで.
# Not after another kanji: 彼氏に, 都市に.
_HIDDEN_DEATH = re.compile(
    r"(タヒ|夕ヒ|(?<![\u4e00-\u9fff])[氏市]|4|IV|iv)(?=ね|に|ぬ|ん[でだじ]|の[うー])"
)
_STRETCH = re.compile(r"(?<=[\u3041-\u3096])[ー〜~]+")  # しにたーい, しにた〜い
_SENTENCE_KATAKANA = re.compile(r"[^。．.!?\n]*[ァ-ヶ][^。．.!?\n]*")
_REPEATS = re.compile(r"([\u3041-\u3096])\1{2,}")  # しにたいいいい
_ROWS = {
    "ぁ": "あかさたなはまやらわがざだばぱ",
    "ぃ": "いきしちにひみりぎじぢびぴ",
    "ぅ": "うくすつぬふむゆるぐずづぶぷ",
    "ぇ": "えけせてねへめれげぜでべぺ",
    "ぉ": "おこそとのほもよろをごぞどぼぽ",
}
_TO_KATAKANA = str.maketrans({chr(c - 0x60): chr(c) for c in range(ord("ァ"), ord("ヶ") + 1)})
# しにたぁい, ｼﾆﾀｧｲ: a small vowel after a kana of its own vowel only draws that one out.
_SMALL_VOWEL_AFTER_ITS_OWN = re.compile(
    "|".join(
        f"(?<=[{row}{row.translate(_TO_KATAKANA)}])[{small}{small.translate(_TO_KATAKANA)}]"
        for small, row in _ROWS.items()
    )
)
_SENTENCE_END = re.compile(
    r"[。．.!?\n]+|(?<=[w笑草])\s+|\s+(?=でも|だけど|けど|それとは)|、(?=でも)"
)
_VOICING = {"\u3099", "\u309a"}


class Word(NamedTuple):  # a tuple: a message has hundreds of words
    surface: str  # as normalised
    reading: str  # hiragana; the word as written when it has no kanji
    part_of_speech: str
    start: int  # in the pupil's text
    end: int


@dataclass(frozen=True)
class Sentence:
    words: tuple[Word, ...]
    reading: str  # the words' readings joined, without spaces or symbols
    word_starts: tuple[int, ...]  # where, in `reading`, each word read into it starts
    read_words: tuple[int, ...]  # for each of those, its index in `words`

    @property
    def text(self) -> str:
        return "".join(word.surface for word in self.words)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The pupil's text from the word holding `reading[start]` to the one holding
        `reading[end - 1]` and the auxiliaries after it, so staff read the pupil's whole
        word (なぐられた, not なぐられ)."""
        first = self.read_words[bisect_right(self.word_starts, start) - 1]
        last = self.read_words[bisect_right(self.word_starts, end - 1) - 1]
        while last + 1 < len(self.words) and self.words[last + 1].part_of_speech == "助動詞":
            last += 1
        return self.words[first].start, self.words[last].end


_TO_HIRAGANA = str.maketrans({chr(c): chr(c - 0x60) for c in range(ord("ァ"), ord("ヶ") + 1)})
_KANJI = re.compile(r"[\u4e00-\u9fff々〆]")
_KATAKANA = re.compile(r"[ァ-ヶ]")
_HIRAGANA = re.compile(r"[ぁ-ゖ]")


def hiragana(text: str) -> str:
    return text.translate(_TO_HIRAGANA)


def _has_kanji(text: str) -> bool:
    return _KANJI.search(text) is not None


def normalise(text: str) -> tuple[str, list[int]]:
    """The text with widths folded (NFKC), Latin in lower case, sentences written all in
    katakana read as hiragana, hiding spellings of 死 put back and drawn-out sounds shortened;
    and for each character the index in `text` it came from."""
    if unicodedata.is_normalized("NFKC", text):
        folded, origins = text.lower(), list(range(len(text)))
        if len(folded) != len(text):  # a letter whose lower case is longer (İ)
            folded, origins = _fold_each(text)
    else:
        folded, origins = _fold_each(text)
    folded = _SENTENCE_KATAKANA.sub(_katakana_sentence, folded)
    for pattern, replace in (
        (_SMALL_VOWEL_AFTER_ITS_OWN, ""),
        (_HIDDEN_DEATH, "死"),
        (_STRETCH, ""),
        (_REPEATS, r"\1"),
    ):
        if pattern.search(folded):
            folded, origins = _substitute(pattern, replace, folded, origins)
    return folded, origins


def _fold_each(text: str) -> tuple[str, list[int]]:
    """NFKC character by character, so each keeps where it came from; a half-width voicing
    mark joins the kana before it (ｶﾞ is が)."""
    chars: list[str] = []
    origins: list[int] = []
    for index, original in enumerate(text):
        for char in unicodedata.normalize("NFKC", original).lower():
            if char in _VOICING and chars:
                chars[-1] = unicodedata.normalize("NFC", chars[-1] + char)
                continue
            chars.append(char)
            origins.append(index)
    return "".join(chars), origins


def _katakana_sentence(match: re.Match) -> str:
    sentence = match.group()
    return hiragana(sentence) if _mostly_katakana(sentence) else sentence


def _substitute(pattern: re.Pattern, replace: str, text: str, origins: list[int]):
    pieces, kept, position = [], [], 0
    for match in pattern.finditer(text):
        pieces.append(text[position : match.start()])
        kept.extend(origins[position : match.start()])
        new = match.expand(replace)
        pieces.append(new)
        kept.extend([origins[match.start()]] * len(new))
        position = match.end()
    pieces.append(text[position:])
    kept.extend(origins[position:])
    return "".join(pieces), kept


def _mostly_katakana(sentence: str) -> bool:
    """A sentence a child wrote all in katakana (シニタイ): read as if in hiragana."""
    katakana = len(_KATAKANA.findall(sentence))
    kana = katakana + len(_HIRAGANA.findall(sentence))
    return kana >= 3 and katakana / kana > 0.6


_MECAB_RC = Path(__file__).parent / "data" / "mecabrc"


@cache
def _tagger():
    """MeCab with UniDic (unidic-lite), writing each word as `surface, reading, part of
    speech` in one string: one call into C per message, no Python object per word."""
    import fugashi
    import unidic_lite

    return fugashi.GenericTagger(f"-d {unidic_lite.DICDIR} -r {_MECAB_RC} -Oreading")


def _sentence(words: list[Word]) -> Sentence:
    reading, starts, read_words, length = [], [], [], 0
    for index, word in enumerate(words):
        if word.reading and word.part_of_speech not in _UNREAD:
            starts.append(length)
            read_words.append(index)
            reading.append(word.reading)
            length += len(word.reading)
    return Sentence(tuple(words), "".join(reading), tuple(starts), tuple(read_words))


_UNREAD = frozenset({"空白", "補助記号"})  # spaces and punctuation: no part of a reading


def sentences(text: str) -> list[Sentence]:
    """The pupil's message, normalised, read word by word (one pass of the analyser) and cut
    into sentences."""
    folded, origins = normalise(text)
    if not folded.strip():
        return []
    ends = [match.end() for match in _SENTENCE_END.finditer(folded)] + [len(folded) + 1]
    found, current, next_end, position = [], [], 0, 0
    for line in _tagger().parse(folded).split("\n"):
        surface, _, rest = line.partition("\t")
        kana, _, part_of_speech = rest.partition("\t")
        begin = folded.find(surface, position) if surface and rest else -1
        if begin < 0:
            continue  # EOS, or a word the analyser changed: it is not shown
        position = begin + len(surface)
        if begin >= ends[next_end]:
            while begin >= ends[next_end]:
                next_end += 1
            if current:
                found.append(_sentence(current))
                current = []
        # The analyser's reading, but Latin as written (od, not おーでぃー).
        reading = surface if surface.isascii() or not kana else kana
        word = (surface, reading.translate(_TO_HIRAGANA), part_of_speech, origins[begin])
        # tuple.__new__ makes the Word in C: a message has hundreds of words.
        current.append(tuple.__new__(Word, (*word, origins[position - 1] + 1)))
    if current:
        found.append(_sentence(current))
    return found


def has_kana(text: str) -> bool:
    return any("\u3040" <= c <= "\u30ff" or "\uff66" <= c <= "\uff9f" for c in text)
