"""The pictures shown for the topics' emoji, and the header's, as small SVGs in
`static/pictures/` (drawn for this project, CC0: `static/pictures/LICENSE.txt`): a tablet
without an emoji font would show empty boxes instead. An emoji the city chose for a topic and
nobody drew here is shown as it is."""

# The joiner emoji such as 🧑‍🏫 are made with (school_report.topics.EMOJI_JOINER).
_ZWJ = "\u200d"

PICTURES = {
    "😣": "worried",
    f"🧑{_ZWJ}🤝{_ZWJ}🧑": "friends",
    f"🧑{_ZWJ}🏫": "teacher",
    "📚": "books",
    "📱": "phone",
    "🏫": "school",
    "🩹": "bandage",
    "💭": "thought",
    "🏠": "house",
    "🆘": "sos",
    "🍚": "rice",
    "🤲": "caring_hands",
    "💬": "speech",
    "🌐": "globe",
    "🔊": "speaker",
}


def picture_file(icon: str) -> str | None:
    """The static file drawn for this emoji (ignoring a trailing variation selector)."""
    name = PICTURES.get(icon.strip().removesuffix("\ufe0f"))
    return f"pictures/{name}.svg" if name else None
