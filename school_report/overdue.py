"""When an unanswered report becomes overdue: the one rule the triage queue, the case panel and
the daily digest all use (`triage`'s docstring says what the city's settings mean).

Kept apart from `triage` so that the mail module can use it without importing the reports."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from school_report.clock import parse_iso
from school_report.hours import CentreHours, centre_hours, city_zone
from school_report.settings import get_setting

if TYPE_CHECKING:
    from school_report.reports import Report

# Long runs of closed days (year end, Golden Week) are looked through, never forever.
_LOOK_AHEAD_DAYS = 400


# Pure, and asked again for the same reports at every refresh of an inbox.
@lru_cache(maxsize=4096)
def opening_deadline(hours: CentreHours, start: datetime, minutes: int) -> datetime:
    """The moment `minutes` of opening hours have passed since `start` (in the city's zone)."""
    left = timedelta(minutes=minutes)
    day = start.date()
    for _ in range(_LOOK_AHEAD_DAYS + minutes // 60):
        if hours.is_working_day(day):
            day_opens, day_closes = hours.hours_on(day)
            opens = max(start, datetime.combine(day, day_opens, tzinfo=start.tzinfo))
            closes = datetime.combine(day, day_closes, tzinfo=start.tzinfo)
            if opens < closes:
                if opens + left <= closes:
                    return opens + left
                left -= closes - opens
        day += timedelta(days=1)
    raise ValueError("the centre has no opening hours")


@lru_cache(maxsize=4096)
def closing_time(hours: CentreHours, start: datetime) -> datetime:
    """The centre's closing time on the day of `start`, or on the next opening day if `start`
    is after closing time or on a closed day ("the same day" for a report that arrives then)."""
    day = start.date()
    for _ in range(_LOOK_AHEAD_DAYS):
        closes = datetime.combine(day, hours.hours_on(day)[1], tzinfo=start.tzinfo)
        if hours.is_working_day(day) and closes > start:
            return closes
        day += timedelta(days=1)
    raise ValueError("the centre has no opening hours")


@dataclass(frozen=True)
class Deadlines:
    """When each unanswered report becomes overdue, by the city's settings read once."""

    hours: CentreHours
    zone: ZoneInfo
    minutes: dict[str, int]

    def deadline(self, urgency: str, created_at: str) -> datetime | None:
        """When a report of this urgency that arrived then is overdue without a first reply."""
        minutes = self.minutes.get(urgency)
        if not minutes:
            return None
        start = parse_iso(created_at).astimezone(self.zone)
        due = opening_deadline(self.hours, start, minutes)
        if urgency == "high":  # the same day, however many minutes that leaves
            due = min(due, closing_time(self.hours, start))
        return due

    def due_at(self, report: "Report") -> datetime | None:
        if report.first_reply_at or report.status == "closed":
            return None
        return self.deadline(report.urgency, report.created_at)


def deadlines(db: Database) -> Deadlines:
    return Deadlines(centre_hours(db), city_zone(db), get_setting(db, "overdue_minutes"))
