"""City settings: a small key/value store of JSON values, edited by the city."""

import json
from typing import Any

from sqlite_utils import Database


def get_setting(db: Database, key: str) -> Any:
    row = db.execute("SELECT value FROM city_settings WHERE key = ?", [key]).fetchone()
    if row is None:
        raise KeyError(key)
    return json.loads(row[0])


def set_setting(db: Database, key: str, value: Any) -> None:
    db.execute(
        "INSERT INTO city_settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, json.dumps(value, ensure_ascii=False)],
    )
