"""The families of danger a pupil's message can signal: one closed set, with the words staff
read and the urgency each family raises a report to.

Within 緊急 the queue puts the families in the order below (see `URGENT_ORDER`): what can end
a life soonest first. A farewell letter or pills set aside (preparation) is nearer to an act
than a wish to die; a child out at night with a stranger is in danger tonight; abuse and
sexual abuse come before self-harm, whose harm the child controls, and threats, whose harm
is announced but not yet done.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    key: str
    urgency: str  # one of migrations.URGENCIES
    label_ja: str
    label_en: str

    def label(self, language: str) -> str:
        return self.label_ja if language == "ja" else self.label_en


FAMILIES = (
    Family("preparation", "urgent", "準備行動", "Preparation"),
    Family("suicide", "urgent", "希死念慮", "Wish to die"),
    Family("dangerous_runaway", "urgent", "危険な家出・外泊", "Dangerous running away"),
    Family("sexual_abuse", "urgent", "性的虐待・性被害", "Sexual abuse"),
    Family("physical_abuse", "urgent", "身体的虐待", "Physical abuse"),
    Family("self_harm", "urgent", "自傷", "Self-harm"),
    Family("threat", "urgent", "脅迫・恐喝・性的脅迫", "Threats, extortion, sextortion"),
    Family("bullying_violence", "high", "暴力を伴ういじめ", "Bullying with violence"),
    Family("neglect", "high", "ネグレクト", "Neglect"),
)
# A word the city added itself (setting `danger_words`).
CITY = Family("city", "urgent", "センター登録語", "City word")

BY_KEY = {family.key: family for family in (*FAMILIES, CITY)}
URGENT_ORDER = tuple(family.key for family in FAMILIES if family.urgency == "urgent")


def family(key: str) -> Family:
    """The family of `key`; an unknown key (a city word's own category) reads as a city word."""
    return BY_KEY.get(key, CITY)


def severity(key: str) -> int:
    """Where a family stands among all (0 = most severe); a city word after the built-in ones
    of its urgency."""
    keys = [f.key for f in FAMILIES]
    return keys.index(key) if key in keys else len(keys)
