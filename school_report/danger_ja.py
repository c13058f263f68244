"""Danger in a Japanese message: the families of `danger_families` as patterns over the
readings of words (see `japanese_reading`), and the context that cancels them.

A pattern is a regular expression over a sentence's reading, in hiragana, and counts only where
it starts at a word: conjugation, okurigana, kanji or kana and width all read the same, so one
pattern `しにた(い|く(な[るりっ]|て)|か|す|み)` stands for 死にたい, しにたくなる, ｼﾆﾀｲ, 死にたか
(Kyushu) and しにたみ (net slang) but not しにたくない.

Violence is read with who did it: a parent, a carer or an older sibling makes it physical abuse
(緊急); a classmate, a senior or a group makes it bullying with violence (高), as does a slap
with nobody named; a strong word with nobody named (殴られた, 首をしめられた) is abuse.

Context cancels a signal in its own sentence only, so that "ゲームで負けて死にそうw でも本当は
毎日死にたい" still alerts: hyperbole (w, 笑, 草), games, sport, play-fighting, fiction, news and
lessons, a past the pupil says is over. A pupil who says "me too" (わたしも, うちも) anywhere in
the message undoes the cancelling of fiction, news and lessons; "still", "again" or "every day"
undo the past; "stop it" undoes play-fighting.
"""

import re
from dataclasses import dataclass
from functools import cache

from school_report.danger_families import family as family_of
from school_report.danger_languages import Signal
from school_report.japanese_reading import Sentence, sentences
from school_report.regex_start import first_characters

_HOME_ADULTS = (
    "(お|あたらしいお)?(とう|かあ)(さん|ちゃん)|ちち(おや)?|はは(おや)?|ぱぱ|まま(?!で)|おや"
    "|りょうしん|ぎふ|ぎぼ|ままはは|けいふ|ぎりのちち|かれし|おばあちゃん|おじいちゃん"
    "|おにいちゃん|おねえちゃん|あに|あね|おとん|おかん|おやじ|しんせき"
)
_ME = "(わたし|あたし|ぼく|おれ|じぶん|うち)"
_NOBODY_CARES = "(だれも|みんな)(こまら|きづか|かなしま|きにし|なにもおもわ)"

PATTERNS: dict[str, tuple[str, ...]] = {
    "suicide": (
        "しにた(い|く(な[るりっ]|て)|か|す|み|かった|ー)",
        "しん(じゃいたい|でしまいたい|でしまえ|じゃえ|じゃおう|だほうが(まし|らく|いい)"
        "|だら(らく|いい))",
        "しぬ(しかな|ほうが|つもり)",
        "しの(うと|うか)",
        "じさつ",
        "きしねんりょ",
        "きえ(たい|たく(な[るりっ]|て)|たみ|ちゃいたい|てしまいたい|てなくなりたい)",
        "いなく(なりたい|なってしまいたい|なっちゃいたい|なれば)",
        "(いなく(なって)?|きえて|しんで)も" + _NOBODY_CARES,
        "(いない|いなくなった|きえた|しんだ)ほうが(いい|まし)",
        "いき(てい|て|と|とっ)(たく(な|ね)|ても(しゃあな|しかたな|いみな))",
        "いき(てる|ている|る|とる)(いみ|かち)(が|は|も)?(な|わから)",
        "いきる(いみ|かち)(が|は|も)?(な|わから)",
        "いき(る|てる|ている)(のが|のも|のに|の)(つら|しんど|いや|つかれ|むり)",
        "うまれて(こなければ|こなきゃ|こなけりゃ|こないほうが|こなかったら)",
        "(めが|あさ|あした|あす)(が|なんて|は)?(さめなければ|さめなきゃ|こなければ|こなきゃ|こないで"
        "|こなくていい)",
        "(ずっと|えいえんに)(ねむって|ねて)いたい",
        _ME + "が?(しんだら|きえたら|いなくなったら|しねば|きえれば)",
        "しにま(す|しょう)",
        "(このよ|このせかい)に(いたくな|いたくね|いるいみ|いなくて)",
        "(めざめ|おき)たくな",
        "(ねたまま)(しに|おきな)",
        "おき(なければ|なきゃ)いいのに",
        "(じんせい|いのち)を?(おわらせ|おわりに)",
        "(もう|ぜんぶ|すべて)(を)?(おわりにしたい|おしまいにしたい)",
        "もう(ぜんぶ|すべて)?(を)?おわらせたい",
        "らくに(なりたい|なれる(かな|のかな))",
        "(だれもしらない|どこか)とおく(へ|に)(いきたい|きえ)",
        "とびおり(たい|よう|たく|たら)",
        "くび(を)?(つりたい|つろう|つろ|つって)",
        "(でんしゃ|せんろ)に(とびこみ|とびこも|とびこむ)",
    ),
    "preparation": (
        "いしょ(?!う)",
        "(おわかれ|さいご|わかれ|さよなら|さようなら)の(てがみ|めっせーじ)",
        "(たいせつ|だいじ|たからもの|ほうもつ).{0,15}(ぜんぶ|みんなに).{0,8}(あげ|くば|ゆず)",
        "(たいせつ|だいじ)な?(もの)?を(くば|ゆず)",
        "(あげ|くばっ|ゆずっ)た.{0,4}もう(いらない|つかわない)",
        "(?<!の)ろーぷを(かっ|よう)",
        "(くすり|ぐすり|やく)を?.{0,6}(ため|あつめ)(て|た|こん)",
        "(しぬ|とびおりる|じさつする)ばしょ",
        "いままで(ほんとうに)?ありがとう",
        "けっこうする",
    ),
    "self_harm": (
        "りすか(?!わ)",
        "りすとかっと",
        "あむか",
        "じしょう(?!てき)",
        "od(?![a-z])",
        "おー?ばー?どー?ず",
        "(てくび|うで|あし|はだ)(を)?(きっ|きる|きり|きざ)",
        "(かったー|かみそり|はもの)で(うで|てくび|じぶん|からだ)",
        "(うで|てくび|あし)を(かったー|かみそり|はもの|ないふ)で(きっ|きる|きり)",
        "(うで|てくび|あし|からだ|じぶん)に?きず(を)?つけ",
        "またきっ(ちゃ|てしま)",
        "ちが(とまらな)",
        "じぶん(を|で)(きずつけ|なぐ|たた|いため|きっ|きる)",
        "(かぜ|しはん|すいみん|ずつう)?(くすり|ぐすり|やく|せきどめ).{0,8}(ぜんぶ|いっぱい|たくさん|まとめて|たいりょう|じょう|つぶ)(を)?(のん|のみ|のむ)",
    ),
    "sexual_abuse": (
        "(からだ|むね|おしり|おっぱい|へんなところ|へんなとこ|あそこ|ぱんつ|した)を?さわ(ら|っ)(れ|てく)",
        "(?<![をに])さわられ",
        "(" + _HOME_ADULTS + "|おじさん|おとこのひと|しらないひと|せんせい|こーち|いとこ|おとな)"
        "に.{0,10}さわ(ら|っ)(れ|てく)",
        "(すかーと|したぎ|ぱんつ|はだか|きがえ)(の)?(なか)?を?(とられ|さつえいされ|ぬすみどり)",
        "ちかん(に)?(あっ|され)",
        "(むりやり|むりに)(きす|さわ|ぬが)",
        "ぬがされ",
        "へんなこと(を)?(され|させられ|してく)",
        "せいてきな?こと(を)?(され|させ)",
        "れいぷ",
        "せくはら",
        "(よる|よなか).{0,12}(へや|ふとん|べっど)に(はいって(く|き)|くる)",
        "(おふろ|ふろ)に?いっしょに(はいれ|はいら|いれ)",
        "はだか(の)?(しゃしん|がぞう|どうが)",
        "(じどり|したぎ|えろい?|はだか)(の)?(しゃしん|がぞう)?を?(おくれ|おくって|おくっ|とられ)",
    ),
    "dangerous_runaway": (
        "(sns|ねっと|ついったー|いんすた|らいん|あぷり|げーむ|でぃすこーど)で(しりあ|あっ|であ)"
        ".{0,14}(とま|とめ|いえ|うち|へや|あいにい|あいにく|あう|いっしょにい)",
        "とめてくれる",
        "かみまち",
        "(よる|よなか|ひとりで).{0,10}(えき|こうえん|こんびに|まち).{0,10}(いる|ねて|ねる|すごし)",
        "こうえんで(ねて|ねた|ねる)",
        "あさまで(そと|すごし)",
        "のじゅく",
        "いえで(し(た(?!い)|てる|てい|ちゃ)|ちゅう)",
        "いえで(を)?(したい(?!こと|のは|の)|する)",
        "(いえ|うち)(を|から)(でたい|でていきたい|にげたい|にげだしたい)",
        "かえるのが(こわ|いや)",
        "(いえ|うち)に?(かえりたくな|かえりたな|かえれな|かえるのがこわ|かえるばしょがな|かえるところがな)",
        "(いえ|うち)に?かえってな",
        "かえる(ばしょ|ところ)が(な|ない)",
        "しらないまち",
    ),
    "threat": (
        "(お?かね|えん).{0,8}(もってこ|よこせ|はらえ|おくれ|とられ|わたせ|はらわないと|おくらないと)",
        "(お?かね|もの).{0,6}ぬすんでこ",
        "かつあげ",
        "おどされ",
        "おどして",
        "きょうはく",
        "ゆすられ",
        "(いった|ちくった|ばらした|はなした|いうた)ら.{0,10}(ころ|なぐ|しばく|ひどい|ばら|さら|ゆるさ|どうなる|くらす)",
        "ひみつにしないと",
        "(しゃしん|がぞう|どうが|びでお).{0,10}(ばらま|さら|かくさん|ばらす|ひろめ|ながす|おくるって|おくるぞ|あげるって|あげるぞ)",
        "ろくがされ",
        "ばらすぞ",
        "ないふ(を)?みせられ",
        "しばくぞ",
    ),
    "neglect": (
        "(よる|あさ|ひる|ばん)?(ごはん|しょくじ|たべもの|たべるもの)(を|が)?.{0,6}(もらえな|もらってな|たべてな|たべられな|なにもな|なんもな|ずっとな)",
        "きゅうしょく(しか|だけ)",
        "(なにも|なんも|なにひとつ)(たべて|たべられて)な",
        "(いえ|うち)に(なにも|なんにも|なんも|たべるもの(が|は)?)な",
        "かえってこ(な|ん)|かえってけえへん",
        "だれもいない(ひ|の)?.{0,4}(つづ|ずっと|まいにち)",
        "(ずっと|なんにちも|まいにち)だれもいない",
        "(いっしゅうかん|なんにち|ずっと).{0,6}ひとりで(いえ|うち)",
        "(でんき|がす|すいどう)(を|が)?(とめられ|とまっ|とまって|つかな)",
        "(びょういん|はいしゃ|いしゃ)に?(つれていって|いかせて|つれてって)もらえな",
        "(おふろ|ふろ)に?.{0,10}(はいってな|はいれてな|はいれな|はいらせてもらえな)",
        "(ふく|したぎ)を?(ずっと|なんにちも).{0,4}き(て|た)",
        "あらってもらえな",
        "(?<!かしを)(?<!かし)たべさせて(もらえ|くれ)な",  # not おかしを (sweets)
        "ごはんぬき",
    ),
}

# Violence: what was done, then who did it.
_STRONG_VIOLENCE = (
    "なぐ(ら(れ|れ)|って(く|き))",
    "け(られ|ってく)",
    "(くび|のど)を?しめられ",
    "ぼうりょく",
    "やけど(を)?させられ",
    "(たばこ|ひ)を?おしつけられ",
    "なげ(られ|つけられ)",
    "(べると|ものさし|はんがー|ぼう)で(たたか|なぐら|ぶた)",
    "(べらんだ|そと)に(だされ|しめだされ)",
    "おいだされ",
    "(しめだされ|とじこめられ)",
    "(いえ|うち|なか)に?いれて(もらえ|くれ)な",
    "ぎゃくたい",
    "dv(?![a-z])",
)
# Words that are a threat from anyone and abuse from a parent.
_THREATS = ("ころす(ぞ|って|と)", "しね(って|と)(いわれ|いって)", "ころされる")
_WEAK_VIOLENCE = (
    "(?<!かたを)(?<!かた)たたか(れ)",
    "たたいて(くる|きた|きて)",
    "ぶたれ",
    "どつか",
    "しばか",
    "びんた",
    "つきとばされ",
)
_HOME_ONLY = ("やられ", "あざ(が|に)?(でき|ある|なっ)")  # お父さんにやられた; but テストでやられた
_HOME = _HOME_ADULTS + "|いえで|うちで|いえでは|うちでは"
_PEERS = (
    "ともだち|くらす|だんし|じょし|せんぱい|どうきゅうせい|みんな|いじめ|やつ|かこまれ|ぐるーぷ"
    "|おとうと|いもうと|こうはい|なかま"
)


@dataclass(frozen=True)
class Context:
    name: str
    cues: str  # over the sentence's reading
    cancels: frozenset[str]
    marks: str = ""  # over the sentence as written: w, 笑, emoji
    undone_by: str = ""  # over the whole message's reading
    whole_message: bool = False  # the cues may stand in another sentence of the message


_ALL = frozenset(PATTERNS) | {"physical_abuse", "bullying_violence"}
_VIOLENT = frozenset({"physical_abuse", "bullying_violence", "threat"})
_ME_TOO = _ME + "も|うちも"
CONTEXTS = (
    Context(
        "hyperbole",
        "(わらい|わろ)(すぎ|そう)|ばくしょう",
        frozenset({"suicide", "threat"}),
        marks="w|笑|草|😂|🤣|😍|🥰",
    ),
    Context(
        "game",
        "げーむ|まいくら|ふぉーとないと|すぷら|すまぶら|ぽけもん|ぼす|がちゃ|ぞんび|ひんし"
        "|ちゃっと|おんらいん|れべる",
        frozenset({"suicide", *_VIOLENT}),
    ),
    Context(
        "sport",
        "しあい|さっかー|やきゅう|ばすけ|じゅうどう|からて|けんどう|ぼくしんぐ|すぱー|どっじ"
        "|らぐびー|れんしゅう|たいいく|ぼーる|でっどぼーる|すもう",
        _VIOLENT,
    ),
    Context(
        "play_fight",
        "ごっこ|ふざけ|あそびで|あそんだ|じゃれ|くすぐ|まくらなげ|たたきあ|けんかして",
        _VIOLENT,
        undone_by="やめて(って|と)?(いって|いっても|いう)|いやなのに|むりやり|まいにち",
    ),
    Context(
        "fiction",
        "どらま|あにめ|まんが|しょうせつ|えいが|ものがたり|しゅじんこう|きゃら|しーん|せりふ|あくやく",
        _ALL,
        undone_by=_ME_TOO,
    ),
    Context("news", "にゅーす|しんぶん|ほうどう", _ALL, undone_by=_ME_TOO),
    Context(
        "lesson",
        "じゅぎょう|ほけん(の|で)|どうとく|ならった|ならいました|べんきょうした|ぽすたー|よぼう"
        "|がっこうで(ならっ|きい)",
        _ALL,
        undone_by=_ME_TOO,
    ),
    Context(
        "past",
        "いま(は|では).{0,10}(だいじょうぶ|へいき|げんき|たのし|やさし|なかよし)"
        "|いま(は|では)(もう)?(して(い)?な|おもわな|ない)",
        _ALL,
        undone_by="いまも|いまでも|まだ|また|さいきん|ずっと",
        whole_message=True,
    ),
    Context("question", "(って|とは)(なに|なん|どういう)", _ALL),
    Context(
        "farewell_event", "てんこう|そつぎょう|ひっこ|おわかれかい", frozenset({"preparation"})
    ),
    Context("outage", "ていでん", frozenset({"neglect"})),
    Context("cared_for", "しゅっちょう|(きて|みて)くれ", frozenset({"neglect"})),
    Context("fun", "たのしかった|たのしい|おもしろかった", frozenset({"dangerous_runaway"})),
)


@cache
def _compiled() -> dict[str, re.Pattern]:
    return {"_home": re.compile(_HOME), "_peers": re.compile(_PEERS)}


@cache
def _context_cues() -> tuple[tuple[Context, re.Pattern, re.Pattern | None, re.Pattern | None], ...]:
    return tuple(
        (
            context,
            re.compile(context.cues),
            re.compile(context.marks) if context.marks else None,
            re.compile(context.undone_by) if context.undone_by else None,
        )
        for context in CONTEXTS
    )


def _at_word_starts(pattern: re.Pattern, sentence: Sentence) -> list[tuple[int, int]]:
    found, position = [], 0
    while (match := pattern.search(sentence.reading, position)) is not None:
        if match.start() in sentence.word_starts and match.end() > match.start():
            found.append((match.start(), match.end()))
            position = match.end()
        else:
            position = match.start() + 1
    return found


_VIOLENCE_KINDS = {
    "_strong": _STRONG_VIOLENCE,
    "_weak": _WEAK_VIOLENCE,
    "_threats": _THREATS,
    "_home_only": _HOME_ONLY,
}


@cache
def _by_first_character() -> dict[str, tuple[re.Pattern, list[tuple[str, re.Pattern]]]]:
    """Every pattern, filed under each character it can start with, so a word is tried only
    against the patterns that could start there (Python's re would try every alternative at
    every position), first all of them at once, then one by one where that found something.
    A pattern that could start with anything is filed under every character."""
    kinds = {**PATTERNS, **_VIOLENCE_KINDS}
    compiled = [
        (kind, re.compile(p), first_characters(p)) for kind, ps in kinds.items() for p in ps
    ]
    chars = set().union(*(first for _, _, first in compiled if first is not None))
    index = {}
    for char in chars:
        filed = [
            (kind, pattern) for kind, pattern, first in compiled if first is None or char in first
        ]
        index[char] = (re.compile("|".join(f"(?:{p.pattern})" for _, p in filed)), filed)
    return index


def _kind_hits(sentence: Sentence) -> list[tuple[str, int, int]]:
    index = _by_first_character()
    reading, found = sentence.reading, []
    for start in sentence.word_starts:
        filed = index.get(reading[start])
        if filed is None or not filed[0].match(reading, start):
            continue
        for kind, pattern in filed[1]:
            match = pattern.match(reading, start)
            if match and match.end() > start:
                found.append((kind, start, match.end()))
    return found


def _family_hits(sentence: Sentence) -> list[tuple[str, int, int]]:
    """Each family's hits; violence and threats with their family read from who did it."""
    hits = _kind_hits(sentence)
    if not any(kind in _VIOLENCE_KINDS for kind, _, _ in hits):
        return hits
    patterns = _compiled()
    at_home = bool(_at_word_starts(patterns["_home"], sentence))
    peers = bool(_at_word_starts(patterns["_peers"], sentence))
    family = {
        "_strong": "physical_abuse" if at_home or not peers else "bullying_violence",
        "_weak": "physical_abuse" if at_home else "bullying_violence",
        "_threats": "physical_abuse" if at_home else "threat",
        "_home_only": "physical_abuse" if at_home else None,
    }
    return [
        (family.get(kind, kind), start, end) for kind, start, end in hits if family.get(kind, kind)
    ]


def _cancelled(sentence: Sentence, message_reading: str) -> set[str]:
    """The families this sentence's context cancels."""
    cancelled: set[str] = set()
    for context, cues, marks, undone_by in _context_cues():
        read = message_reading if context.whole_message else sentence.reading
        present = cues.search(read) or (marks and marks.search(sentence.text))
        if present and not (undone_by and undone_by.search(message_reading)):
            cancelled |= context.cancels
    return cancelled


def signals(text: str) -> list[Signal]:
    """Every family the Japanese in `text` signals, where the pupil wrote it."""
    read = sentences(text)
    message_reading = "\n".join(sentence.reading for sentence in read)
    found = []
    for sentence in read:
        hits = _family_hits(sentence)
        cancelled = _cancelled(sentence, message_reading) if hits else set()
        for key, start, end in hits:
            if key in cancelled:
                continue
            first, last = sentence.span(start, end)
            found.append(Signal(key, family_of(key).urgency, "ja", first, last))
    return sorted(found, key=lambda signal: (signal.start, -signal.end))
