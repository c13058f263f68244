"""City settings: a small key/value store of JSON values, edited by the city.

Every change the city makes goes through `change_setting` (or `change_settings` for several
that belong together), which writes its old and new value to the admin log.
"""

import copy
import json
import re
from typing import Any
from urllib.parse import urlsplit

from sqlite_utils import Database

from school_report.admin_log import Actor, record
from school_report.db import transaction
from school_report.migrations import URGENCIES
from school_report.refused import Refused
from school_report.text import clean_admin_text

_REQUIRED = object()

# What a setting is until the city first saves it. Keys the migrations seed (such as
# `overdue_minutes`, `centre_hours`, `timezone`) have no entry here: their seed is the default.
DEFAULTS: dict[str, Any] = {
    "retention_years": 3,
    "mail_from": "",
    "danger_words": [],
    "emergency_checklist": [],
    "centre_holidays": {"public_holidays": True, "closed": [], "open": [], "year_end": True},
    # When every school's nurse and team work (a school's own under "schools": {id: hours}),
    # and the school breaks [first day, last day] when they do not.
    "school_hours": {"weekdays": [0, 1, 2, 3, 4], "open": "08:15", "close": "16:45"},
    "school_breaks": [],
    # Numbers that answer now, shown to a pupil after a message that signals danger and behind
    # the "help now" link on every page. `kind` picks the pupil's words for a line this
    # service knows; a city's own line shows its `name` (furigana marks allowed). `hours`:
    # "24h", or [from, to]. These are Japanese-language services: `languages` says so.
    "help_lines": [
        {
            "kind": "children_sos",
            "name": "24{時間|じかん}{子供|こども}SOSダイヤル",
            "number": "0120-0-78310",
            "hours": "24h",
            "languages": ["ja"],
        },
        {
            "kind": "child_guidance",
            "name": "{児童相談所|じどうそうだんじょ} {虐待対応|ぎゃくたいたいおう}ダイヤル",
            "number": "189",
            "hours": "24h",
            "languages": ["ja"],
        },
        {
            "kind": "police",
            "name": "{警察|けいさつ}",
            "number": "110",
            "hours": "24h",
            "languages": ["ja"],
        },
        {
            "kind": "childline",
            "name": "チャイルドライン",
            "number": "0120-99-7777",
            "hours": ["16:00", "21:00"],
            "languages": ["ja"],
        },
    ],
    # Whether an urgent report to a school reader who is not at work, which the pupil did not
    # agree to share, is also put in the centre's queue to protect the child's life or body.
    "urgent_to_centre_out_of_hours": False,
    "base_url": "",
    # The chance a school link's wrong codes of a day may have of hitting a live code
    # (school_report.reports.code_guess_budget).
    "code_guess_chance_per_day": 1e-5,
}
# The settings the city settings page shows and edits, besides the centre's hours.
CITY_SETTINGS = (
    "base_url",
    "centre_hours",
    "centre_holidays",
    "overdue_minutes",
    "retention_years",
    "mail_from",
    "danger_words",
    "emergency_checklist",
    "help_lines",
    "urgent_to_centre_out_of_hours",
    "school_hours",
    "school_breaks",
)
MAIL_SERVER_SETTINGS = ("smtp_host", "smtp_port", "smtp_starttls", "smtp_user")
MAX_OVERDUE_MINUTES = 30 * 24 * 60
RETENTION_YEARS = range(1, 21)
MAX_DANGER_WORDS = 500
MAX_WORD_CHARS = 40
MAX_EMAIL_CHARS = 254
MAX_CHECKLIST_LABEL_CHARS = 80
MAX_BASE_URL_CHARS = 200
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CHECKLIST_KEY = re.compile(r"[a-z0-9_]{1,40}")


class SettingError(Refused):
    """A setting cannot be saved as asked."""


def get_setting(db: Database, key: str, default: Any = _REQUIRED) -> Any:
    """The stored value; else `default` if given, else the key's entry in DEFAULTS."""
    row = db.execute("SELECT value FROM city_settings WHERE key = ?", [key]).fetchone()
    if row is not None:
        return json.loads(row[0])
    if default is not _REQUIRED:
        return default
    if key in DEFAULTS:
        return copy.deepcopy(DEFAULTS[key])
    raise KeyError(key)


def set_setting(db: Database, key: str, value: Any) -> None:
    """Store a value unlogged: for what the service keeps for itself, not the city's edits."""
    db.execute(
        "INSERT INTO city_settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, json.dumps(value, ensure_ascii=False)],
    )


def _change(db: Database, key: str, value: Any, by: Actor) -> None:
    old = get_setting(db, key, None)
    if old != value:
        set_setting(db, key, value)
        record(db, by, "setting", key, old=old, new=value)


def change_setting(db: Database, key: str, value: Any, by: Actor) -> None:
    """Save a setting the city edits, with its old and new value in the admin log."""
    change_settings(db, {key: value}, by)


def change_settings(db: Database, values: dict[str, Any], by: Actor) -> None:
    """Save settings that belong together in one commit, each change logged as in
    `change_setting` (an unchanged value is not logged)."""
    with transaction(db):
        for key, value in values.items():
            _change(db, key, value, by)


def city_settings(db: Database) -> dict[str, Any]:
    """What the city settings page shows: each setting's value, and the mail server's."""
    values = {key: get_setting(db, key) for key in CITY_SETTINGS}
    values["mail_server"] = {key: get_setting(db, key, None) for key in MAIL_SERVER_SETTINGS}
    return values


def set_overdue_minutes(db: Database, minutes: dict[str, int], by: Actor) -> None:
    """How many minutes of the centre's opening hours (school_report/triage.py) a report of each
    urgency may wait for a first reply before it shows overdue."""
    if set(minutes) != set(URGENCIES) or not all(
        0 < value <= MAX_OVERDUE_MINUTES for value in minutes.values()
    ):
        raise SettingError("each urgency needs a time of 1 minute to 30 days", "overdue_range")
    change_setting(db, "overdue_minutes", {u: minutes[u] for u in URGENCIES}, by)


def set_retention_years(db: Database, years: int, by: Actor) -> None:
    if years not in RETENTION_YEARS:
        raise SettingError("reports are kept for 1 to 20 years", "retention_range")
    change_setting(db, "retention_years", years, by)


def set_mail_from(db: Database, address: str, by: Actor) -> None:
    """The sender of notification e-mails (empty: the mail set-up's own default)."""
    address = clean_admin_text(
        address, MAX_EMAIL_CHARS, SettingError, required=False, too_long="email_invalid"
    )
    if address and not _EMAIL.fullmatch(address):
        raise SettingError("the sender must be an e-mail address", "email_invalid")
    change_setting(db, "mail_from", address, by)


def _danger_word(word: str | dict) -> str | dict | None:
    """A city word as stored: a plain stem (urgent), or {"stem", "urgency", "unless"}."""
    if isinstance(word, str):
        return _word_text(word) or None
    stem = _word_text(word.get("stem", ""))
    urgency = word.get("urgency", "urgent")
    if urgency not in URGENCIES:
        raise SettingError(f"unknown urgency {urgency!r}", "danger_words_format")
    unless = [kept for kept in map(_word_text, word.get("unless", [])) if kept]
    if not stem:
        return None
    if urgency == "urgent" and not unless:
        return stem
    return {"stem": stem, "urgency": urgency, "unless": list(dict.fromkeys(unless))}


def _word_text(word: str) -> str:
    return clean_admin_text(
        word, MAX_WORD_CHARS, SettingError, required=False, too_long="danger_words_size"
    )


def checked_danger_words(words: list[str | dict]) -> list[str | dict]:
    """City danger words as they would be stored, or SettingError: each a plain stem (urgent)
    or an object with its urgency and the harmless phrases (`unless`) in which it means
    nothing (see `school_report.danger_words`)."""
    kept: list[str | dict] = []
    for word in words:
        stored = _danger_word(word)
        if stored is not None and stored not in kept:
            kept.append(stored)
    if len(kept) > MAX_DANGER_WORDS:
        raise SettingError("up to 500 words of up to 40 characters", "danger_words_size")
    return kept


def set_danger_words(db: Database, words: list[str | dict], by: Actor) -> None:
    """The city's own words that raise a report's urgency, beside the built-in families."""
    change_setting(db, "danger_words", checked_danger_words(words), by)


def _checklist_label(label: str | None) -> str:
    return clean_admin_text(
        label,
        MAX_CHECKLIST_LABEL_CHARS,
        SettingError,
        empty="checklist_items",
        too_long="checklist_items",
    )


def set_emergency_checklist(db: Database, items: list[dict[str, str]], by: Actor) -> None:
    """What staff check off in an emergency: each item a key and its Japanese and English label."""
    keys = [item.get("key", "") for item in items]
    if len(set(keys)) != len(keys) or not all(_CHECKLIST_KEY.fullmatch(key) for key in keys):
        raise SettingError("each item needs its own key and both labels", "checklist_items")
    cleaned = [
        {
            "key": item["key"],
            "label_ja": _checklist_label(item.get("label_ja")),
            "label_en": _checklist_label(item.get("label_en")),
        }
        for item in items
    ]
    change_setting(db, "emergency_checklist", cleaned, by)


def base_url(db: Database) -> str:
    """The service's public address as the city stored it (`school-admin init --base-url`, the
    settings page), or "" while none is stored."""
    return get_setting(db, "base_url")


def checked_base_url(url: str) -> str:
    """`url` as stored: an http(s) origin, optionally with a path prefix, without a trailing
    slash; links are this plus `/p/<token>`, so a query or fragment would break them."""
    url = url.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        parts = None
    if (
        parts is None
        or len(url) > MAX_BASE_URL_CHARS
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username is not None
        or any(ch.isspace() for ch in url)
    ):
        raise SettingError(
            "the public address is like https://report.city.example", "base_url_invalid"
        )
    return url


def set_base_url(db: Database, url: str, by: Actor) -> None:
    """Store the address pupils' tablets and staff open; printed links, QR codes, posters and
    mails carry it (SCHOOL_REPORT_BASE_URL, when set, overrides it)."""
    change_setting(db, "base_url", checked_base_url(url), by)
