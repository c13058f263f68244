"""Danger signals in the five pupil languages other than Japanese (English, Brazilian Portuguese,
Simplified Chinese, Vietnamese, Filipino), and which of the six languages a message is written in.

Each language's patterns live in `data/danger_<language>.json`, written from that language's
public suicide-prevention and child-protection material (the file's `sources`):

    {"language": "en", "script": "words",
     "words": {"parent": "mom mum dad* father stepdad ...", ...},
     "families": {"suicide": ["want* to die", "@self ... better off dead", ...], ...},
     "look_alikes": {"suicide": ["dying of laugh*", ...], ...},
     "contexts": {"game": {"families": ["suicide", ...], "words": ["minecraft", ...],
                           "unless": ["for real"]}, ...}}

A pattern is a row of tokens over the folded message (see `_read`):
- `a|b|c` is a choice of words; `kill*` is a word beginning with kill (kills, killed, killing);
- `x?` makes the token optional; `@parent` is any word of the `words` class `parent` (a class
  word may hold `_` for a space: `moms_boyfriend`);
- `..` lets up to 3 words stand between its neighbours, `...` up to 7.
In a `"script": "chars"` language (Chinese) tokens are joined without spaces and `..`/`...` are up
to 4/10 characters within a sentence. A pattern written as a list, `["jump*", "bridge|roof"]`,
asks for each of its tokens somewhere in one sentence, in any order.

A signal is cancelled by
- a look-alike of its family that overlaps it ("dying of laughter", "笑死", "想死你了"), or
- a context of its family in the same clause (a game, sport, the news, a film, a lesson, "I used
  to", "if someone says..."), unless the clause also holds one of the context's `unless` words
  ("still", "again", "for real"); a context with `"scope": "sentence"` (play-fighting, "we made
  up") reaches over the joining words of its sentence. Clauses end at sentence punctuation and
  at joining words (`clause_breaks`), so a cancelling phrase never hides a second, real signal
  in another clause of the same message.

Every language's patterns are checked whatever the message's language: children mix languages
(Taglish, a Portuguese message with English slang), and a misread language must not hide danger.
"""

import itertools
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

from school_report.migrations import DATA

LANGUAGES = ("ja", "en", "pt-BR", "zh-Hans", "vi", "fil")
PATTERN_LANGUAGES = ("en", "pt-BR", "zh-Hans", "vi", "fil")  # Japanese is danger_words' own

# The families a counsellor tells apart, and how soon each needs a person (migrations.URGENCIES).
FAMILY_URGENCY = {
    "suicide": "urgent",  # 希死念慮
    "preparation": "urgent",  # 準備行動
    "self_harm": "urgent",  # 自傷
    "physical_abuse": "urgent",  # 身体的虐待
    "sexual_abuse": "urgent",  # 性的虐待・性被害
    "dangerous_runaway": "urgent",  # 危険な家出・外泊
    "threat": "urgent",  # 脅迫・恐喝・性的脅迫
    "neglect": "high",
    "bullying_violence": "high",
}

_GAPS = {"..": 3, "...": 7}
_CHAR_GAPS = {"..": 4, "...": 10}
_LEET = str.maketrans("01345789", "oieastbg")
_MIXED_WORD = re.compile(r"[a-z]*\d[a-z\d]*")
_ENDS = ".!?;。！？；…\n"
_SENTENCE_END = re.compile(f"[{re.escape(_ENDS)}]+")
_WORD = re.compile(r"\w+")
_RUN = re.compile(r"([^\W\dk_])\1{2,}")  # but kkkk, Brazilian laughter, stays


@dataclass(frozen=True)
class Signal:
    family: str
    urgency: str
    language: str
    start: int  # span in the text as the pupil wrote it
    end: int


@dataclass
class _Reading:
    """A message as the patterns read it, with what has been worked out about it so far."""

    folded: str
    origins: list[int]  # for each folded character, its index in the text as written
    starts: dict[str, list[int]]  # each word: where it starts
    prefix_starts: dict[str, list[int]]  # each beginning of a word: where such words start
    words: frozenset[str]
    prefixes: frozenset[str]
    bigrams: frozenset[str]  # and single characters, those not plain ASCII
    spans: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # by id() of _Rules
    candidates: dict[int, set[int]] | None = None  # by id() of _Rules: rules worth trying
    sentences: list[tuple[int, int]] | None = None


@dataclass(frozen=True)
class _Need:
    """One token a pattern cannot match without. Looking its words up in the message's words
    first, and trying the pattern only where they stand, is what keeps a 1,000-character
    message at a millisecond or two for all five languages."""

    words: frozenset[str]
    prefixes: frozenset[str]  # `kill*`
    substrings: frozenset[str]  # Chinese, emoji
    bigrams: frozenset[str]  # their first two characters (or their one)

    def met(self, reading: _Reading) -> bool:
        return (
            not self.words.isdisjoint(reading.words)
            or not self.prefixes.isdisjoint(reading.prefixes)
            or (
                not self.bigrams.isdisjoint(reading.bigrams)
                and any(s in reading.folded for s in self.substrings)
            )
        )

    def index_keys(self) -> list[tuple[str, str]]:
        return (
            [("w", word) for word in self.words]
            + [("p", prefix) for prefix in self.prefixes]
            + [("s", bigram) for bigram in self.bigrams]
        )

    def positions(self, reading: _Reading) -> set[int]:
        found = {i for word in self.words for i in reading.starts.get(word, ())}
        found.update(i for prefix in self.prefixes for i in reading.prefix_starts.get(prefix, ()))
        for substring in self.substrings:
            if substring[:2] not in reading.bigrams:
                continue
            index = reading.folded.find(substring)
            while index >= 0:
                found.add(index)
                index = reading.folded.find(substring, index + 1)
        return found


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    needs: tuple[_Need, ...]
    first: _Need | None  # the first token, when it cannot be left out
    together: tuple[re.Pattern[str], ...] = ()  # or: each of these somewhere in one sentence


@dataclass(frozen=True)
class _Rules:
    rules: tuple[_Rule, ...]

    def spans(self, reading: _Reading) -> list[tuple[int, int]]:
        """Where the patterns match in the message (worked out once per message)."""
        found = reading.spans.get(id(self))
        if found is None:
            found = reading.spans[id(self)] = []
            for index in sorted(_candidates(reading).get(id(self), ())):
                rule = self.rules[index]
                if not all(need.met(reading) for need in rule.needs[1:]):
                    continue
                if rule.together:
                    found.extend(_together(rule.together, reading))
                    continue
                if rule.first is None:
                    found.extend(match.span() for match in rule.regex.finditer(reading.folded))
                    continue
                for position in sorted(rule.first.positions(reading)):
                    match = rule.regex.match(reading.folded, position)
                    if match and match.end() > match.start():
                        found.append(match.span())
        return found

    def within(self, reading: _Reading, part: tuple[int, int]) -> bool:
        return any(part[0] <= start and end <= part[1] for start, end in self.spans(reading))


_NONE = _Rules(())


def _candidates(reading: _Reading) -> dict[int, set[int]]:
    """For each set of rules, those whose first needed token is in the message: one pass over
    the message's words instead of one check per rule."""
    if reading.candidates is None:
        index = _index()
        found: dict[int, set[int]] = {}
        keys = itertools.chain(
            (("w", word) for word in reading.words),
            (("p", prefix) for prefix in reading.prefixes),
            (("s", bigram) for bigram in reading.bigrams),
        )
        for key in keys:
            for rules, rule in index.get(key, ()):
                found.setdefault(rules, set()).add(rule)
        reading.candidates = found
    return reading.candidates


@cache
def _index() -> dict[tuple[str, str], list[tuple[int, int]]]:
    """Every rule of every language, by the keys of its first needed token."""
    index: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for rules in _every_rule_set():
        for position, rule in enumerate(rules.rules):
            for key in rule.needs[0].index_keys():
                index.setdefault(key, []).append((id(rules), position))
    return index


def _every_rule_set() -> list["_Rules"]:
    sets = [_NONE]
    for code in PATTERN_LANGUAGES:
        language = _language(code)
        sets += [*language.families.values(), *language.look_alikes.values()]
        sets.append(language.clause_breaks)
    for context in _contexts():
        sets += [context.words, context.unless]
    return sets


_KANA = re.compile(r"[\u3041-\u309f\u30a0-\u30ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN = re.compile(r"[^\W\d_]", re.ASCII)
_VIETNAMESE_LETTERS = re.compile(r"[đăơưạảẹẻẽịỉọỏụủỳỵỷỹấầẩẫậắằẳẵặếềểễệốồổỗộớờởỡợứừửữự]", re.I)
_PORTUGUESE_LETTERS = re.compile(r"[çõ]|ção|ções|ão\b", re.I)
_LINGUA = {"en": "ENGLISH", "pt-BR": "PORTUGUESE", "vi": "VIETNAMESE", "fil": "TAGALOG"}


@dataclass(frozen=True)
class _Context:
    name: str
    families: frozenset[str]
    words: _Rules
    unless: _Rules
    sentence: bool = False  # reaches over joining words: "he pushed me, but we were playing"


@dataclass(frozen=True)
class _Language:
    code: str
    families: dict[str, _Rules]
    look_alikes: dict[str, _Rules]
    contexts: tuple[_Context, ...]
    clause_breaks: _Rules


@cache
def _fold_char(char: str) -> str:
    """A character as compared: width and case folded, accents dropped (children type `nao`,
    `muon chet`), đ read as d, apostrophes gone (`dont`, `im`), emoji kept, other punctuation a
    space."""
    if char in "'’`´":
        return ""
    if char in "đĐ":
        return "d"
    if unicodedata.category(char) == "So":
        return char
    decomposed = unicodedata.normalize("NFKD", char).casefold()
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c if c.isalnum() or c.isspace() or c in _ENDS else " " for c in kept)


def _read(text: str) -> _Reading:
    """The text as patterns read it. A letter written three times or more counts once (`diiiie`,
    `moooorrer`) and digits inside a word are read as letters (`k1ll`, `su1c1d3`)."""
    pieces = list(map(_fold_char, text))
    folded = "".join(pieces)
    if len(folded) == len(text):
        origins = list(range(len(text)))
    else:
        origins = [index for index, piece in enumerate(pieces) for _ in piece]
    folded = _MIXED_WORD.sub(_unleet, folded)
    drawn_out = {i for run in _RUN.finditer(folded) for i in range(run.start() + 1, run.end())}
    if drawn_out:
        kept = [i for i in range(len(folded)) if i not in drawn_out]
        folded, origins = "".join(folded[i] for i in kept), [origins[i] for i in kept]
    starts: dict[str, list[int]] = {}
    for match in _WORD.finditer(folded):
        starts.setdefault(match.group(), []).append(match.start())
    prefix_starts: dict[str, list[int]] = {}
    for word, positions in starts.items():
        if word.isascii():  # only Latin-letter patterns have `kill*`
            for n in range(1, len(word) + 1):
                prefix_starts.setdefault(word[:n], []).extend(positions)
    bigrams: set[str] = set()
    if not folded.isascii():  # Chinese and emoji are looked up by their first two characters
        bigrams.update(folded)
        bigrams.update(map("".join, itertools.pairwise(folded)))
    return _Reading(
        folded,
        origins,
        starts,
        prefix_starts,
        frozenset(starts),
        frozenset(prefix_starts),
        frozenset(bigrams),
    )


def fold(text: str) -> str:
    """The text as patterns read it (for tests and the city's own words)."""
    return _read(text).folded


def _unleet(match: re.Match[str]) -> str:
    word = match.group(0)
    return word.translate(_LEET) if any(c.isalpha() for c in word) else word


def _choices(token: str, words: dict[str, str]) -> list[str]:
    choices = []
    for choice in token.removesuffix("?").split("|"):
        choices.extend(words[choice[1:]].split() if choice.startswith("@") else [choice])
    return choices


def _token(token: str, words: dict[str, str], chars: bool) -> str:
    spelt = []
    for choice in _choices(token, words):
        body = re.escape(choice.replace("_", " ").rstrip("*")).replace(r"\ ", r"\s+")
        spelt.append(body + (r"\w*" if choice.endswith("*") and not chars else ""))
    spelt.sort(key=len, reverse=True)
    return f"(?:{'|'.join(spelt)})"


def _need(token: str, words: dict[str, str], chars: bool) -> _Need:
    exact, prefixes, substrings = set(), set(), set()
    for choice in _choices(token, words):
        first = choice.split("_")[0].rstrip("*")
        if chars or not _WORD.fullmatch(first):
            substrings.add(choice.replace("_", " ").rstrip("*"))
        elif choice.endswith("*") and "_" not in choice:
            prefixes.add(first)
        else:
            exact.add(first)
    return _Need(
        frozenset(exact),
        frozenset(prefixes),
        frozenset(substrings),
        frozenset(substring[:2] for substring in substrings),
    )


def _pattern(pattern: str, words: dict[str, str], chars: bool) -> str:
    tokens = pattern.split()
    if chars:
        gap = {g: rf"[^\n.!?;。！？；]{{0,{n}}}?" for g, n in _CHAR_GAPS.items()}
        return "".join(
            gap.get(t) or _token(t, words, chars) + ("?" if t.endswith("?") else "") for t in tokens
        )
    parts: list[str] = []
    for token in tokens:
        if token in _GAPS:
            parts.append(rf"(?:\s+[^\s.!?;]+){{0,{_GAPS[token]}}}?")
        elif not parts:
            parts.append(_token(token, words, chars) + ("?" if token.endswith("?") else ""))
        elif token.endswith("?") and len(token) > 1:
            parts.append(rf"(?:\s+{_token(token, words, chars)})?")
        else:
            parts.append(r"\s+" + _token(token, words, chars))
    return r"(?<!\w)" + "".join(parts) + r"(?!\w)"


def _rules(patterns: list[str | list[str]], words: dict[str, str], chars: bool) -> _Rules:
    rules = []
    for pattern in patterns:
        if isinstance(pattern, list):
            rules.append(_together_rule(pattern, words, chars))
            continue
        tokens = pattern.split()
        needs = {
            token: _need(token, words, chars)
            for token in tokens
            if token not in _GAPS and not (token.endswith("?") and len(token) > 1)
        }
        rules.append(
            _Rule(
                re.compile(_pattern(pattern, words, chars)),
                tuple(needs.values()),
                needs.get(tokens[0]),
            )
        )
    return _Rules(tuple(rules))


def _together_rule(tokens: list[str], words: dict[str, str], chars: bool) -> _Rule:
    """A list in a pattern file: each of its tokens somewhere in one sentence, in any order
    ("bridge" and "jump", "alone" and "home" and "every night")."""
    regexes = tuple(re.compile(_pattern(token, words, chars)) for token in tokens)
    needs = tuple(_need(token, words, chars) for token in tokens)
    return _Rule(regexes[0], needs, None, regexes)


def _together(regexes: tuple[re.Pattern[str], ...], reading: _Reading) -> list[tuple[int, int]]:
    found = []
    if reading.sentences is None:
        reading.sentences = _clauses(reading, sentences=True)
    for sentence in reading.sentences:
        spans = [regex.search(reading.folded, *sentence) for regex in regexes]
        if all(spans):
            found.append((min(m.start() for m in spans), max(m.end() for m in spans)))
    return found


@cache
def _language(code: str) -> _Language:
    source = json.loads((DATA / f"danger_{code}.json").read_text(encoding="utf-8"))
    chars = source.get("script") == "chars"
    words = source.get("words", {})

    def rules(patterns: list[str]) -> _Rules:
        return _rules(patterns, words, chars)

    return _Language(
        code=code,
        families={family: rules(p) for family, p in source["families"].items()},
        look_alikes={family: rules(p) for family, p in source.get("look_alikes", {}).items()},
        contexts=tuple(
            _Context(
                name,
                frozenset(context["families"]),
                rules(context["words"]),
                rules(context.get("unless", [])),
                context.get("scope") == "sentence",
            )
            for name, context in source.get("contexts", {}).items()
        ),
        clause_breaks=rules(source.get("clause_breaks", [])),
    )


def _clauses(reading: _Reading, sentences: bool = False) -> list[tuple[int, int]]:
    """Where each clause (or only each sentence) of the folded text begins and ends."""
    cuts = {0, len(reading.folded)}
    for match in _SENTENCE_END.finditer(reading.folded):
        cuts.update(match.span())
    for code in PATTERN_LANGUAGES if not sentences else ():
        cuts.update(start for start, _ in _language(code).clause_breaks.spans(reading))
    ordered = sorted(cuts)
    return list(itertools.pairwise(ordered))


@cache
def _contexts() -> tuple[_Context, ...]:
    """Every language's contexts, those of one name (game, news, past...) made one: a Taglish
    clause may hold the game in English and the "for real" in Filipino."""
    named: dict[str, list[_Context]] = {}
    for code in PATTERN_LANGUAGES:
        for context in _language(code).contexts:
            named.setdefault(context.name, []).append(context)
    return tuple(
        _Context(
            name,
            frozenset().union(*(c.families for c in same)),
            _Rules(tuple(rule for c in same for rule in c.words.rules)),
            _Rules(tuple(rule for c in same for rule in c.unless.rules)),
            any(c.sentence for c in same),
        )
        for name, same in named.items()
    )


def _length(span: tuple[int, int]) -> int:
    return span[1] - span[0]


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


class _Cancels:
    """What cancels a signal in one message, each part worked out once, when first needed."""

    def __init__(self, reading: _Reading) -> None:
        self.reading = reading
        self._parts: dict[bool, list[tuple[int, int]]] = {}
        self._look_alikes: dict[str, list[tuple[int, int]]] = {}
        self._contexts: dict[tuple[bool, tuple[int, int]], frozenset[str]] = {}

    def cancel(self, family: str, span: tuple[int, int]) -> bool:
        return any(_overlaps(span, other) for other in self.look_alikes(family)) or any(
            family in self.contexts(sentence, part)
            for sentence in (False, True)
            for part in self.parts(sentence)
            if _overlaps(span, part)
        )

    def parts(self, sentences: bool) -> list[tuple[int, int]]:
        if sentences not in self._parts:
            self._parts[sentences] = _clauses(self.reading, sentences)
        return self._parts[sentences]

    def look_alikes(self, family: str) -> list[tuple[int, int]]:
        if family not in self._look_alikes:
            self._look_alikes[family] = [
                span
                for code in PATTERN_LANGUAGES
                for span in _language(code).look_alikes.get(family, _NONE).spans(self.reading)
            ]
        return self._look_alikes[family]

    def contexts(self, sentence: bool, part: tuple[int, int]) -> frozenset[str]:
        """The families cancelled by the contexts reaching over this clause or sentence."""
        if (sentence, part) not in self._contexts:
            self._contexts[(sentence, part)] = frozenset().union(
                *(
                    context.families
                    for context in _contexts()
                    if context.sentence == sentence
                    and context.words.within(self.reading, part)
                    and not context.unless.within(self.reading, part)
                )
            )
        return self._contexts[(sentence, part)]


def signals(text: str) -> list[Signal]:
    """Every danger signal of the five languages' patterns in `text`, whatever its language; a
    signal that a look-alike or a context cancels is left out."""
    reading = _read(text)
    cancels = _Cancels(reading)
    found: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for code in PATTERN_LANGUAGES:
        for family, rules in _language(code).families.items():
            for span in rules.spans(reading):
                spans = found.setdefault((family, code), [])
                overlapping = [other for other in spans if _overlaps(span, other)]
                if span[0] == span[1] or any(_length(o) >= _length(span) for o in overlapping):
                    continue  # one pupil phrase, one signal: 'mim quer morrer' holds 'quer morrer'
                if not cancels.cancel(family, span):
                    spans[:] = [other for other in spans if other not in overlapping] + [span]
    return sorted(
        (
            Signal(
                family,
                FAMILY_URGENCY[family],
                code,
                reading.origins[start],
                reading.origins[end - 1] + 1,
            )
            for (family, code), spans in found.items()
            for start, end in spans
        ),
        key=lambda signal: (signal.start, signal.family),
    )


def detect_language(text: str) -> str:
    """The pupil language a message is written in, one of LANGUAGES. Kana means Japanese; Han
    characters without kana are Chinese unless they are forms only Japanese writes (気, 殺, 帰);
    Latin letters are told apart by letters only one language has (ơ, ư, đ; ç, ão), then by
    each language's short frequent words, then by lingua (offline, low-accuracy mode)."""
    if _KANA.search(text) or not any(char.isalpha() for char in text):
        return "ja"  # kana; or nothing to read (emoji, digits): no interpreter needed
    han = _HAN.findall(text)
    if han and len(han) * 2 >= len(_LATIN.findall(text)):
        return "ja" if _japanese_kanji_lead(han) else "zh-Hans"
    if len(_VIETNAMESE_LETTERS.findall(text)) >= 2:
        return "vi"
    counts = _marker_counts(fold(text))
    ranked = sorted(counts, key=counts.get, reverse=True)
    if _PORTUGUESE_LETTERS.search(text) and counts["pt-BR"] >= counts[ranked[0]] - 1:
        return "pt-BR"
    best, second = counts[ranked[0]], counts[ranked[1]]
    if (best >= 2 and best > second + 1) or (best >= 1 and second == 0):
        return ranked[0]
    guess = _lingua(text)
    return guess or ranked[0]


@cache
def _language_words() -> dict[str, frozenset[str]]:
    source = json.loads((DATA / "language_words.json").read_text(encoding="utf-8"))
    return {code: frozenset(source[code]) for code in _LINGUA}


def _marker_counts(folded: str) -> dict[str, int]:
    words = _WORD.findall(folded)
    return {code: sum(w in markers for w in words) for code, markers in _language_words().items()}


_JAPANESE_ONLY = frozenset("気帰殺駅読話様県円図売歳広辺払戦乗残絵楽薬剤働斉団実沢両関係覚悟")
_SIMPLIFIED_ONLY = frozenset(
    "们这么说没让对还吗呢吧为会个妈爸给开关过时们里发样学习书后头见觉买卖东车长门问间"
)


def _japanese_kanji_lead(han: list[str]) -> bool:
    japanese = sum(c in _JAPANESE_ONLY for c in han)
    chinese = sum(c in _SIMPLIFIED_ONLY for c in han)
    return japanese > chinese


@cache
def _detector():
    """lingua's detector for the four Latin-script languages, built on first use: its models
    load lazily and cost about 12 MB of memory in low-accuracy mode."""
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in _LINGUA.values()]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def _lingua(text: str) -> str | None:
    found = _detector().detect_language_of(text)
    if found is None:
        return None
    return next(code for code, name in _LINGUA.items() if found.name == name)


def warm_up() -> None:
    """Compile every language's patterns and load the language detector now (about a second of
    CPU and 20 MB), so the first pupil's message after a start does not wait for them."""
    _index()
    _detector()
