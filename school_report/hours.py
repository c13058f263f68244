"""The centre's opening hours: when a pupil writing to the centre can expect a reply.

The centre is closed on Japan's public holidays (from `jpholiday`, which follows the law's
substitute and bridge days) unless the city opens on one, and on any day the city closes.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jpholiday
from sqlite_utils import Database

from school_report.admin_log import Actor
from school_report.clock import utc_now
from school_report.settings import SettingError, change_setting, get_setting

# Year-end closures and Golden Week can chain into long runs of closed days.
_LOOK_AHEAD_DAYS = 400
_CLOCK_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?")


def city_zone(db: Database) -> ZoneInfo:
    return ZoneInfo(get_setting(db, "timezone"))


@dataclass(frozen=True)
class CentreHours:
    weekdays: frozenset[int]
    opens: time
    closes: time
    public_holidays: bool
    closed: frozenset[date]
    open_anyway: frozenset[date]

    def is_holiday(self, day: date) -> bool:
        if day in self.closed:
            return True
        return self.public_holidays and day not in self.open_anyway and jpholiday.is_holiday(day)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and not self.is_holiday(day)


def centre_hours(db: Database) -> CentreHours:
    hours = get_setting(db, "centre_hours")
    holidays = get_setting(db, "centre_holidays")
    return CentreHours(
        weekdays=frozenset(hours["weekdays"]),
        opens=time.fromisoformat(hours["open"]),
        closes=time.fromisoformat(hours["close"]),
        public_holidays=holidays["public_holidays"],
        closed=frozenset(map(date.fromisoformat, holidays["closed"])),
        open_anyway=frozenset(map(date.fromisoformat, holidays["open"])),
    )


def centre_is_open(db: Database, at: datetime) -> bool:
    hours = centre_hours(db)
    local = at.astimezone(city_zone(db))
    return hours.is_working_day(local.date()) and hours.opens <= local.time() < hours.closes


def next_centre_opening(db: Database, at: datetime) -> datetime:
    """The next moment (in the city's zone) the centre opens, `at` itself if it is open."""
    if centre_is_open(db, at):
        return at.astimezone(city_zone(db))
    hours = centre_hours(db)
    local = at.astimezone(city_zone(db))
    for days_ahead in range(_LOOK_AHEAD_DAYS):
        day = (local + timedelta(days=days_ahead)).date()
        opening = datetime.combine(day, hours.opens, tzinfo=local.tzinfo)
        if hours.is_working_day(day) and opening > local:
            return opening
    raise ValueError("the centre has no opening hours")


def public_holidays(year: int) -> list[tuple[date, str]]:
    """Japan's public holidays of the year, with their Japanese names."""
    return sorted(jpholiday.year_holidays(year))


def holiday_calendar(db: Database) -> list[tuple[date, str, bool]]:
    """Japan's public holidays this year and next in the city, each with whether the centre is
    closed on it."""
    hours = centre_hours(db)
    this_year = utc_now().astimezone(city_zone(db)).year
    return [
        (day, name, hours.is_holiday(day))
        for year in (this_year, this_year + 1)
        for day, name in public_holidays(year)
    ]


def _clock_time(text: str) -> time:
    """A time of day on the centre's clock, as a browser's time field sends it (10:00 or
    10:00:00); never one with a zone offset, which could not be compared with the others."""
    if not _CLOCK_TIME.fullmatch(text):
        raise SettingError("times are written like 10:00", "hours_invalid")
    return time.fromisoformat(text)


def set_centre_hours(db: Database, weekdays: list[int], opens: str, closes: str, by: Actor) -> None:
    open_time, close_time = _clock_time(opens), _clock_time(closes)
    if not weekdays or not set(weekdays) <= set(range(7)) or open_time >= close_time:
        raise SettingError("open on at least one day, opening before closing", "hours_invalid")
    value = {
        "weekdays": sorted(set(weekdays)),
        "open": open_time.strftime("%H:%M"),
        "close": close_time.strftime("%H:%M"),
    }
    change_setting(db, "centre_hours", value, by)


def set_centre_holidays(
    db: Database, public: bool, closed: list[date], open_anyway: list[date], by: Actor
) -> None:
    """Whether public holidays close the centre, the public holidays it opens on anyway, and
    the other days it is closed (such as the year-end break)."""
    value = {
        "public_holidays": public,
        "closed": sorted({day.isoformat() for day in closed}),
        "open": sorted({day.isoformat() for day in open_anyway}),
    }
    change_setting(db, "centre_holidays", value, by)
