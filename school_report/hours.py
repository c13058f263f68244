"""Opening hours: when the centre, and each school's nurse and team, read what pupils write.

The centre is closed on Japan's public holidays (from `jpholiday`, which follows the law's
substitute and bridge days) unless the city opens on one, on any day the city closes, and over
年末年始 (29 December to 3 January) unless the city says otherwise. Its hours may differ by
weekday (Sapporo: weekdays 10-20, Saturday 10-16).

School staff work school days: the city's default hours for every school (a school may have
its own), never on public holidays, 年末年始 or the school breaks the city lists.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jpholiday
from sqlite_utils import Database

from school_report.admin_log import Actor
from school_report.clock import utc_now
from school_report.settings import SettingError, change_setting, change_settings, get_setting

# Year-end closures and Golden Week can chain into long runs of closed days.
_LOOK_AHEAD_DAYS = 400
_CLOCK_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?")


def city_zone(db: Database) -> ZoneInfo:
    return ZoneInfo(get_setting(db, "timezone"))


@dataclass(frozen=True)
class CentreHours:
    """Opening hours of one reader: the centre, or a school's nurse or team. (Hashable: the
    overdue clock caches by it.)"""

    weekdays: frozenset[int]
    opens: time
    closes: time
    public_holidays: bool
    closed: frozenset[date]
    open_anyway: frozenset[date]
    # Weekdays with other hours than `opens`-`closes`: (weekday, opens, closes).
    by_day: tuple[tuple[int, time, time], ...] = ()
    year_end: bool = True  # closed 29 December - 3 January

    def is_holiday(self, day: date) -> bool:
        if day in self.closed:
            return True
        if day in self.open_anyway:
            return False
        if self.year_end and ((day.month, day.day) >= (12, 29) or (day.month, day.day) <= (1, 3)):
            return True
        return self.public_holidays and jpholiday.is_holiday(day)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and not self.is_holiday(day)

    def hours_on(self, day: date) -> tuple[time, time]:
        """When this reader opens and closes on `day` (a working day)."""
        for weekday, opens, closes in self.by_day:
            if weekday == day.weekday():
                return opens, closes
        return self.opens, self.closes

    def is_open(self, local: datetime) -> bool:
        opens, closes = self.hours_on(local.date())
        return self.is_working_day(local.date()) and opens <= local.time() < closes

    def next_opening(self, local: datetime) -> datetime:
        """The next moment this reader opens, `local` itself if open now."""
        if self.is_open(local):
            return local
        for days_ahead in range(_LOOK_AHEAD_DAYS):
            day = (local + timedelta(days=days_ahead)).date()
            opening = datetime.combine(day, self.hours_on(day)[0], tzinfo=local.tzinfo)
            if self.is_working_day(day) and opening > local:
                return opening
        raise ValueError("no opening hours")


def _hours(hours: dict, holidays: dict, breaks: frozenset[date] = frozenset()) -> CentreHours:
    return CentreHours(
        weekdays=frozenset(hours["weekdays"]),
        opens=time.fromisoformat(hours["open"]),
        closes=time.fromisoformat(hours["close"]),
        public_holidays=holidays["public_holidays"],
        closed=frozenset(map(date.fromisoformat, holidays["closed"])) | breaks,
        open_anyway=frozenset(map(date.fromisoformat, holidays["open"])),
        by_day=tuple(
            (int(weekday), time.fromisoformat(opens), time.fromisoformat(closes))
            for weekday, (opens, closes) in sorted(hours.get("by_day", {}).items())
        ),
        year_end=holidays.get("year_end", True),
    )


def centre_hours(db: Database) -> CentreHours:
    return _hours(get_setting(db, "centre_hours"), get_setting(db, "centre_holidays"))


def school_hours(db: Database, school_id: int) -> CentreHours:
    """When a school's nurse and team work: the school's own hours if the city set them, else
    the city's default; closed on public holidays, 年末年始 and the school breaks."""
    default = get_setting(db, "school_hours")
    hours = default.get("schools", {}).get(str(school_id), default)
    breaks = frozenset(
        date.fromisoformat(first) + timedelta(days=n)
        for first, last in get_setting(db, "school_breaks")
        for n in range((date.fromisoformat(last) - date.fromisoformat(first)).days + 1)
    )
    holidays = {"public_holidays": True, "closed": [], "open": [], "year_end": True}
    return _hours(hours, holidays, breaks)


def reader_hours(db: Database, recipient: str, school_id: int) -> CentreHours:
    """The hours of whoever reads a report sent to `recipient` at the school."""
    return centre_hours(db) if recipient == "centre" else school_hours(db, school_id)


def reader_is_working(db: Database, recipient: str, school_id: int, at: datetime) -> bool:
    return reader_hours(db, recipient, school_id).is_open(at.astimezone(city_zone(db)))


def reader_reads_from(db: Database, recipient: str, school_id: int, at: datetime) -> datetime:
    """When the reader of `recipient` is next at work (in the city's zone): `at` if now."""
    local = at.astimezone(city_zone(db))
    return reader_hours(db, recipient, school_id).next_opening(local)


def centre_is_open(db: Database, at: datetime) -> bool:
    return centre_hours(db).is_open(at.astimezone(city_zone(db)))


def next_centre_opening(db: Database, at: datetime) -> datetime:
    """The next moment (in the city's zone) the centre opens, `at` itself if it is open."""
    return centre_hours(db).next_opening(at.astimezone(city_zone(db)))


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


def set_school_hours(
    db: Database,
    weekdays: list[int],
    opens: str,
    closes: str,
    breaks: list[tuple[date, date]],
    by: Actor,
) -> None:
    """Every school's nurse and team hours (a school's own, set before, are kept), and the
    school breaks, each its first and last day."""
    open_time, close_time = _clock_time(opens), _clock_time(closes)
    if not weekdays or not set(weekdays) <= set(range(7)) or open_time >= close_time:
        raise SettingError("open on at least one day, opening before closing", "hours_invalid")
    if any(first > last for first, last in breaks):
        raise SettingError("a break's first day comes before its last", "dates_invalid")
    value = {
        **get_setting(db, "school_hours"),
        "weekdays": sorted(set(weekdays)),
        "open": open_time.strftime("%H:%M"),
        "close": close_time.strftime("%H:%M"),
    }
    pairs = [[first.isoformat(), last.isoformat()] for first, last in breaks]
    change_settings(db, {"school_hours": value, "school_breaks": pairs}, by)
