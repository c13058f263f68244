"""Reading Japanese as a person does: the spellings children use to hide a word put back, the
message cut into sentences, and each sentence read by a morphological analyser (SudachiPy with
sudachidict_core) into words with their readings, so that 死にたい, しにたい, シニタイ, ｼﾆﾀｲ
and タヒにたい all read しにたい, and a pattern can ask that a word start where the analyser
says one does (わたしにたいして holds no しにたい: its words are わたし・に・たいし・て).

Every character of a reading keeps the index, in the pupil's text, of the character it came
from, so a hit is shown where the pupil wrote it.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

# Hiding spellings: 死 written as タヒ (its two halves), 氏 or 市 (read shi), 4 or Ⅳ (four,
# shi), before the endings that make it "die": タヒにたい, 氏ね, 4ね, Ⅳにたい, 4んで.
# Not after another kanji: 彼氏に, 都市に.
_HIDDEN_DEATH = re.compile(
    r"(タヒ|夕ヒ|(?<![\u4e00-\u9fff])[氏市]|4|IV|iv)(?=ね|に|ぬ|ん[でだじ]|の[うー])"
)
_STRETCH = re.compile(r"(?<=[\u3041-\u3096])[ー〜~]+")  # しにたーい, しにた〜い
_REPEATS = re.compile(r"([\u3041-\u3096])\1{2,}")  # しにたいいいい
_SMALL_VOWEL = {"ぁ": "a", "ぃ": "i", "ぅ": "u", "ぇ": "e", "ぉ": "o"}
_VOWEL_OF = {
    kana: vowel
    for vowel, row in {
        "a": "あかさたなはまやらわがざだばぱ",
        "i": "いきしちにひみりぎじぢびぴ",
        "u": "うくすつぬふむゆるぐずづぶぷ",
        "e": "えけせてねへめれげぜでべぺ",
        "o": "おこそとのほもよろをごぞどぼぽ",
    }.items()
    for kana in row
}
_SENTENCE_END = re.compile(
    r"[。．.!?\n]+|(?<=[w笑草])\s+|\s+(?=でも|だけど|けど|それとは)|、(?=でも)"
)
_VOICING = {"\u3099", "\u309a"}


@dataclass(frozen=True)
class Word:
    reading: str  # hiragana; the word as written when it has no kanji
    lemma: str  # the analyser's normalised dictionary form (殴る for なぐられた)
    part_of_speech: str
    start: int  # in the pupil's text
    end: int


@dataclass(frozen=True)
class Sentence:
    text: str  # normalised, as analysed
    words: tuple[Word, ...]
    reading: str  # the words' readings joined, without spaces or symbols
    word_starts: frozenset[int]  # where, in `reading`, a word starts
    reading_origins: tuple[int, ...]  # for each character of `reading`, its word's index

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The pupil's text from the word holding `reading[start]` to the one holding
        `reading[end - 1]` and the auxiliaries after it, so staff read the pupil's whole
        word (なぐられた, not なぐられ)."""
        first, last = self.reading_origins[start], self.reading_origins[end - 1]
        while last + 1 < len(self.words) and self.words[last + 1].part_of_speech == "助動詞":
            last += 1
        return self.words[first].start, self.words[last].end


def hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def _has_kanji(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" or c in "々〆" for c in text)


def normalise(text: str) -> tuple[str, list[int]]:
    """The text with widths folded (NFKC), Latin in lower case, hiding spellings of 死 put back
    and drawn-out sounds shortened; and for each character the index in `text` it came from."""
    chars: list[str] = []
    origins: list[int] = []
    for index, original in enumerate(text):
        for char in unicodedata.normalize("NFKC", original).lower():
            if char in _VOICING and chars:
                chars[-1] = unicodedata.normalize("NFC", chars[-1] + char)
                continue
            small = _SMALL_VOWEL.get(hiragana(char))
            if small and chars and _VOWEL_OF.get(hiragana(chars[-1])) == small:
                continue  # しにたぁい: a small vowel only draws out the one before it
            chars.append(char)
            origins.append(index)
    folded = "".join(chars)
    for pattern, replace in ((_HIDDEN_DEATH, "死"), (_STRETCH, ""), (_REPEATS, r"\1")):
        folded, origins = _substitute(pattern, replace, folded, origins)
    return folded, origins


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
    katakana = sum("ァ" <= c <= "ヶ" for c in sentence)
    kana = katakana + sum("ぁ" <= c <= "ゖ" for c in sentence)
    return kana >= 3 and katakana / kana > 0.6


@cache
def _tokenizer():
    from sudachipy import Dictionary, SplitMode

    return Dictionary(dict="core").tokenizer(mode=SplitMode.C)


def _read_sentence(text: str, origins: list[int]) -> Sentence:
    if _mostly_katakana(text):
        text, origins = _substitute(_STRETCH, "", hiragana(text), origins)
    words, reading, starts, reading_origins = [], [], set(), []
    length = 0
    for morpheme in _tokenizer().tokenize(text):
        surface = morpheme.surface()
        pos = morpheme.part_of_speech()[0]
        begin, end = morpheme.begin(), morpheme.end()
        word = Word(
            reading=hiragana(morpheme.reading_form() if _has_kanji(surface) else surface),
            lemma=morpheme.normalized_form(),
            part_of_speech=pos,
            start=origins[begin],
            end=origins[end - 1] + 1,
        )
        words.append(word)
        if pos in ("空白", "補助記号") or not word.reading:
            continue
        starts.add(length)
        reading.append(word.reading)
        reading_origins.extend([len(words) - 1] * len(word.reading))
        length += len(word.reading)
    return Sentence(text, tuple(words), "".join(reading), frozenset(starts), tuple(reading_origins))


def sentences(text: str) -> list[Sentence]:
    """The pupil's message, normalised, cut into sentences and read word by word."""
    folded, origins = normalise(text)
    found, position = [], 0
    for end in [*(m for m in _SENTENCE_END.finditer(folded)), None]:
        stop = end.start() if end else len(folded)
        if folded[position:stop].strip():
            found.append(_read_sentence(folded[position:stop], origins[position:stop]))
        position = end.end() if end else stop
    return found


def has_kana(text: str) -> bool:
    return any("\u3040" <= c <= "\u30ff" or "\uff66" <= c <= "\uff9f" for c in text)
