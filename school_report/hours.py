"""The centre's opening hours: when a pupil writing to the centre can expect a reply."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from school_report.settings import get_setting


def city_zone(db: Database) -> ZoneInfo:
    return ZoneInfo(get_setting(db, "timezone"))


def _hours(db: Database) -> tuple[set[int], time, time]:
    hours = get_setting(db, "centre_hours")
    return (
        set(hours["weekdays"]),
        time.fromisoformat(hours["open"]),
        time.fromisoformat(hours["close"]),
    )


def centre_is_open(db: Database, at: datetime) -> bool:
    weekdays, opens, closes = _hours(db)
    local = at.astimezone(city_zone(db))
    return local.weekday() in weekdays and opens <= local.time() < closes


def next_centre_opening(db: Database, at: datetime) -> datetime:
    """The next moment (in the city's zone) the centre opens, `at` itself if it is open."""
    if centre_is_open(db, at):
        return at.astimezone(city_zone(db))
    weekdays, opens, _ = _hours(db)
    local = at.astimezone(city_zone(db))
    for days_ahead in range(8):
        day = (local + timedelta(days=days_ahead)).date()
        opening = datetime.combine(day, opens, tzinfo=local.tzinfo)
        if day.weekday() in weekdays and opening > local:
            return opening
    raise ValueError("the centre has no opening hours")
