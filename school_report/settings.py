"""City settings: a small key/value store of JSON values, edited by the city."""

import copy
import json
import re
from typing import Any

from sqlite_utils import Database

from school_report.admin_log import Actor, record
from school_report.db import transaction
from school_report.migrations import URGENCIES

_REQUIRED = object()

# What a setting is until the city first saves it (other parts seed some keys themselves).
DEFAULTS: dict[str, Any] = {
    "overdue_minutes": {"urgent": 60, "high": 4 * 60, "normal": 24 * 60, "low": 3 * 24 * 60},
    "retention_years": 3,
    "mail_from": "",
    "danger_words": [],
    "emergency_checklist": [],
    "centre_holidays": {"public_holidays": True, "closed": [], "open": []},
}
MAX_OVERDUE_MINUTES = 30 * 24 * 60
RETENTION_YEARS = range(1, 21)
MAX_DANGER_WORDS = 500
MAX_WORD_CHARS = 40
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CHECKLIST_KEY = re.compile(r"[a-z0-9_]{1,40}")


class SettingError(ValueError):
    """A setting cannot be saved as asked; `reason` names why for the pages."""

    def __init__(self, message: str, reason: str = "bad_form"):
        super().__init__(message)
        self.reason = reason


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
    db.execute(
        "INSERT INTO city_settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, json.dumps(value, ensure_ascii=False)],
    )


def change_setting(db: Database, key: str, value: Any, by: Actor) -> None:
    """Save a setting the city edits, with its old and new value in the admin log."""
    with transaction(db):
        old = get_setting(db, key, None)
        if old == value:
            return
        set_setting(db, key, value)
        record(db, by, "setting", key, old=old, new=value)


def set_overdue_minutes(db: Database, minutes: dict[str, int], by: Actor) -> None:
    """How long a report of each urgency may wait for a first reply before it shows overdue."""
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
    address = address.strip()
    if address and not _EMAIL.fullmatch(address):
        raise SettingError("the sender must be an e-mail address", "email_invalid")
    change_setting(db, "mail_from", address, by)


def set_danger_words(db: Database, words: list[str], by: Actor) -> None:
    """The city's own words that raise a report to urgent, in addition to the built-in ones."""
    kept = list(dict.fromkeys(word.strip() for word in words if word.strip()))
    if len(kept) > MAX_DANGER_WORDS or any(len(word) > MAX_WORD_CHARS for word in kept):
        raise SettingError("up to 500 words of up to 40 characters", "danger_words_size")
    change_setting(db, "danger_words", kept, by)


def set_emergency_checklist(db: Database, items: list[dict[str, str]], by: Actor) -> None:
    """What staff check off in an emergency: each item a key and its Japanese and English label."""
    keys = [item.get("key", "") for item in items]
    if len(set(keys)) != len(keys) or not all(
        _CHECKLIST_KEY.fullmatch(item.get("key", ""))
        and item.get("label_ja", "").strip()
        and item.get("label_en", "").strip()
        for item in items
    ):
        raise SettingError("each item needs its own key and both labels", "checklist_items")
    cleaned = [
        {
            "key": item["key"],
            "label_ja": item["label_ja"].strip(),
            "label_en": item["label_en"].strip(),
        }
        for item in items
    ]
    change_setting(db, "emergency_checklist", cleaned, by)
