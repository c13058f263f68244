"""Statistics of reports received, the centre's and the schools' own: the counting.

`figures` counts a period, city-wide or for one school; `school_report.statistics_tables` lays
the counts out as tables (受付件数 by channel, school, grade, hour…) and hides small numbers in
those that leave the centre (`school_report.small_numbers`). The annual report as Sapporo
counts it (実件数 and 延べ件数 by contact, each on its own date) is `school_report.annual_report`.

Reports are counted by the day they were received, in the city's zone, with their messages
that the pupil can see, the pupil's and the staff's (the column still named "contacts" here):
a reply waiting for a supervisor is counted once it is approved. Hand-overs and
coordination contacts are counted by the day they happened. City-wide counts come from
`statistics_counts` (kept by triggers, migration m011) plus the reports of the partial UTC days
at either end of the period; one school's come from its reports directly. A school's kind and a
topic's category are read when the counts are laid out, so a change shows everywhere at once.

Reports that retention deletes are counted on in `statistics_retained`, per school and city
month: a period that holds their whole month counts them, so a published year stays as it was.
"""

import math
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from school_report.admin_log import Actor
from school_report.hours import city_zone
from school_report.migrations import statistics_rows, visible_message_count
from school_report.refused import ReasonRefused
from school_report.settings import change_setting, get_setting

MAX_PERIOD_DAYS = 5 * 366
YEARS = range(2000, 2101)  # what a period may start and end in
THRESHOLDS = range(2, 101)  # what the city may set as the smallest count shown
NOT_GIVEN = "none"
GRADES = {"elementary": 6, "junior_high": 3, "high": 3}
_KIND_PREFIXES = {
    "elementary": ("小学校", "小学", "小"),
    "junior_high": ("中学校", "中学", "中"),
    "high": ("高等学校", "高校", "高"),
}
_GRADE_SUFFIXES = ("ねんせい", "年生", "ねん", "年", "生")
_GRADE_WORDS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_GRADE_WORDS |= {"いち": 1, "に": 2, "さん": 3, "よん": 4, "し": 4, "ご": 5, "ろく": 6}
ACTIVITY_DIMENSIONS = ("hand_over", "coordination", "abuse_notification")

Label = tuple[str, str]  # (kind, key): what the page or export shows, e.g. ("category", "other")
Cell = int | float | str | None


class StatisticsError(ReasonRefused):
    """A period cannot be counted as asked; `reason` names why for the pages."""


@dataclass(frozen=True)
class Count:
    reports: int = 0
    contacts: int = 0

    def __add__(self, other: "Count") -> "Count":
        return Count(self.reports + other.reports, self.contacts + other.contacts)


@dataclass(frozen=True)
class Figures:
    """The raw counts of a period: never published as they are (see `statistics_tables`)."""

    start: date
    end: date  # inclusive
    school: tuple[int, str, str] | None  # id, name, kind
    pupil_messages: int
    staff_messages: int
    counts: dict[str, dict[str, Count]]  # dimension -> value -> count (migration m011)
    zone: ZoneInfo
    kinds: dict[str, str] = field(default_factory=dict)  # school id -> its kind now
    hand_overs: dict[str, int] = field(default_factory=dict)
    coordination: dict[str, tuple[int, int]] = field(default_factory=dict)  # contacts, abuse
    to_school_only: bool = False  # only the reports a pupil sent to the school itself

    @property
    def reports(self) -> int:
        return sum(count.reports for count in self.counts.get("school_recipient", {}).values())


@dataclass(frozen=True)
class Table:
    """Rows by columns of cells; a total row and column, when present, are the last ones.
    `ids` names each row where its label is a name (a topic, a school): what links use."""

    name: str
    rows: tuple[Label, ...]
    columns: tuple[Label, ...]
    cells: tuple[tuple[Cell, ...], ...]
    total_row: bool = False
    total_column: bool = False
    ids: tuple[str, ...] = ()

    def row_id(self, index: int) -> str:
        return self.ids[index] if self.ids else self.rows[index][1]

    def key(self, row_id: str, column: str) -> tuple[str, str, str]:
        return (self.name, row_id, column)

    def keyed_cells(self):
        """(key, row index, column index, cell) of every cell."""
        for row, values in enumerate(self.cells):
            for column, cell in enumerate(values):
                yield self.key(self.row_id(row), self.columns[column][1]), row, column, cell

    def column(self, key: str) -> list[Cell]:
        index = [column_key for _, column_key in self.columns].index(key)
        return [row[index] for row in self.cells]

    def as_dict(self) -> dict[str, dict[str, Cell]]:
        """{row key: {column key: cell}}: what tests and exports read."""
        return {
            row_key: {
                column_key: cell for (_, column_key), cell in zip(self.columns, row, strict=True)
            }
            for (_, row_key), row in zip(self.rows, self.cells, strict=True)
        }


# ---------------------------------------------------------------------------------------------
# Periods


def period_bounds(zone: ZoneInfo, start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants of the city's midnight starting `start` and ending `end`."""
    if start.year not in YEARS or end.year not in YEARS:
        raise StatisticsError("bad_date")
    if end < start:
        raise StatisticsError("period_reversed")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise StatisticsError("period_too_long")
    low = datetime.combine(start, time(), zone).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time(), zone).astimezone(UTC)
    return low, high


def month_after(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def whole_months(start: date, end: date) -> bool:
    """Whether the period runs from the first day of a month to the last day of one."""
    return start.day == 1 and (end + timedelta(days=1)).day == 1


def _months_within(start: date, end: date) -> tuple[str, str]:
    """The first and last month lying wholly in the period ("YYYY-MM"; first > last if none)."""
    first = start if start.day == 1 else month_after(start)
    last = end.replace(day=1)
    if month_after(end) - timedelta(days=1) != end:
        last = (last - timedelta(days=1)).replace(day=1)
    return first.strftime("%Y-%m"), last.strftime("%Y-%m")


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------------------
# Counting

Rows = list[tuple[str, str, int, int, int]]  # dimension, value, reports, pupil and staff messages


def _with_messages(where: str) -> str:
    pupil, staff = (visible_message_count("reports.id", author) for author in ("pupil", "staff"))
    return (
        f"SELECT reports.*, {pupil} AS pupil_messages, {staff} AS staff_messages "
        f"FROM reports WHERE {where}"
    )


def _school_filter(school_id: int | None, to_school_only: bool) -> tuple[str, list]:
    where = " AND school_id = ?" if school_id is not None else ""
    if to_school_only:
        where += " AND recipient != 'centre'"
    return where, [school_id] if school_id is not None else []


def _raw_counts(
    db: Database, low: datetime, high: datetime, school_id: int | None, to_school_only: bool
) -> Rows:
    """The counts straight from the reports received in [low, high)."""
    if low >= high:
        return []
    school, params = _school_filter(school_id, to_school_only)
    period = _with_messages("created_at >= ? AND created_at < ?" + school)
    sql = (
        f"WITH period AS MATERIALIZED ({period}) "
        "SELECT dim, value, count(*), sum(pupil_messages), sum(staff_messages) "
        f"FROM ({statistics_rows('period')}) GROUP BY dim, value"
    )
    return db.execute(sql, [_iso(low), _iso(high), *params]).fetchall()


def _next_day(moment: datetime) -> datetime:
    day = datetime.combine(moment.date(), time(), UTC)
    return day if day == moment else day + timedelta(days=1)


def _day(moment: datetime) -> datetime:
    return datetime.combine(moment.date(), time(), UTC)


def _next_month(day: datetime) -> datetime:
    first = day.replace(day=1)
    if first == day:
        return first
    return (first + timedelta(days=32)).replace(day=1)


def _grain_ranges(low: datetime, high: datetime) -> list[tuple[str, str, str]]:
    """(grain, first bucket, bucket after the last) covering the whole UTC days [low, high):
    whole months from the month grain, the days around them from the day grain."""
    first_month, last_month = _next_month(low), high.replace(day=1)
    if first_month >= last_month:
        return [("day", low.date().isoformat(), high.date().isoformat())]
    return [
        ("day", low.date().isoformat(), first_month.date().isoformat()),
        ("month", first_month.strftime("%Y-%m"), last_month.strftime("%Y-%m")),
        ("day", last_month.date().isoformat(), high.date().isoformat()),
    ]


def bucket_ranges(low: datetime, high: datetime):
    """How to count [low, high) from counts kept per UTC day and month: the partial days at
    either end to count row by row, the (grain, from, to) buckets of the whole days between,
    and the first UTC month that starts at or after `low`."""
    first_day, last_day = _next_day(low), _day(high)
    month = _next_month(first_day)
    if first_day >= last_day:
        return [(low, high)], [], month
    raw = [(low, first_day), (last_day, high)]
    return raw, _grain_ranges(first_day, last_day), month


def _summed_counts(db: Database, low: datetime, high: datetime) -> Rows:
    """The counts of whole UTC days [low, high)."""
    ranges = _grain_ranges(low, high)
    union = " UNION ALL ".join(
        "SELECT dim, value, reports, pupil_messages, staff_messages FROM statistics_counts "
        "WHERE grain = ? AND bucket >= ? AND bucket < ?"
        for _ in ranges
    )
    sql = (
        "SELECT dim, value, sum(reports), sum(pupil_messages), sum(staff_messages) "
        f"FROM ({union}) GROUP BY dim, value"
    )
    return db.execute(sql, [part for bounds in ranges for part in bounds]).fetchall()


def _live_counts(
    db: Database, low: datetime, high: datetime, school_id: int | None, to_school_only: bool
) -> Rows:
    if school_id is not None:
        return _raw_counts(db, low, high, school_id, to_school_only)
    first_day, last_day = _next_day(low), _day(high)
    if first_day >= last_day:
        return _raw_counts(db, low, high, None, False)
    return [
        *_raw_counts(db, low, first_day, None, False),
        *_summed_counts(db, first_day, last_day),
        *_raw_counts(db, last_day, high, None, False),
    ]


def _retained_counts(
    db: Database, start: date, end: date, school_id: int | None, to_school_only: bool
) -> Rows:
    """What the purged reports of the months lying wholly in the period counted."""
    first, last = _months_within(start, end)
    school = " AND school_id = ?" if school_id is not None else ""
    school += " AND to_school = 1" if to_school_only else ""
    sql = (
        "SELECT dim, value, sum(reports), sum(pupil_messages), sum(staff_messages) "
        f"FROM statistics_retained WHERE month >= ? AND month <= ?{school} GROUP BY dim, value"
    )
    params = [first, last, *([school_id] if school_id is not None else [])]
    return db.execute(sql, params).fetchall()


def _activity_counts(
    db: Database, table: str, column: str, key: str, low: datetime, high: datetime, scope
) -> list[tuple]:
    """(key, rows, abuse notifications) of the rows of `table` whose `column` time (UTC text,
    like every stored time) lies in [low, high); `scope` is (school id, to school only)."""
    abuse = "sum(abuse_notification)" if table == "coordination" else "0"
    school, params = _school_filter(*scope)
    of_school = f"AND report_id IN (SELECT id FROM reports WHERE true{school})" if school else ""
    sql = (
        f"SELECT {key}, count(*), {abuse} FROM {table} "
        f"WHERE {column} >= ? AND {column} < ? {of_school} GROUP BY {key}"
    )
    return db.execute(sql, [_iso(low), _iso(high), *params]).fetchall()


def _school(db: Database, school_id: int) -> tuple[int, str, str]:
    row = db.execute("SELECT id, name, kind FROM schools WHERE id = ?", [school_id]).fetchone()
    if row is None:
        raise StatisticsError("not_found")
    return tuple(row)


def _collect(rows: Rows) -> tuple[dict[str, dict[str, Count]], int, int]:
    counts: dict[str, dict[str, Count]] = defaultdict(lambda: defaultdict(Count))
    pupil = staff = 0
    for dim, value, reports, pupil_messages, staff_messages in rows:
        counts[dim][value] += Count(reports, pupil_messages + staff_messages)
        if dim == "school_recipient":  # every report has one: count its messages once
            pupil += pupil_messages
            staff += staff_messages
    return {dim: dict(values) for dim, values in counts.items()}, pupil, staff


def _activities(counts: dict[str, dict[str, Count]], live_hand_overs, live_coordination):
    """Hand-overs and coordination contacts, the live ones and those kept after a purge."""
    hand_overs = defaultdict(int, {direction: count for direction, count, _ in live_hand_overs})
    coordination = defaultdict(lambda: (0, 0))
    for agency, count, abuse in live_coordination:
        coordination[agency] = (count, abuse or 0)
    for direction, kept in counts.pop("hand_over", {}).items():
        hand_overs[direction] += kept.reports
    for agency, kept in counts.pop("coordination", {}).items():
        contacts, abuse = coordination[agency]
        coordination[agency] = (contacts + kept.reports, abuse)
    for agency, kept in counts.pop("abuse_notification", {}).items():
        contacts, abuse = coordination[agency]
        coordination[agency] = (contacts, abuse + kept.reports)
    return dict(hand_overs), dict(coordination)


def figures(
    db: Database,
    start: date,
    end: date,
    school_id: int | None = None,
    to_school_only: bool = False,
) -> Figures:
    """Everything counted for the city's days `start` to `end` (inclusive), city-wide or for
    one school (with `to_school_only`, only the reports its pupils sent to the school itself).
    This is the entry point the benchmark times."""
    zone = city_zone(db)
    low, high = period_bounds(zone, start, end)
    school = _school(db, school_id) if school_id is not None else None
    to_school_only = to_school_only and school is not None
    rows = _live_counts(db, low, high, school_id, to_school_only)
    rows += _retained_counts(db, start, end, school_id, to_school_only)
    counts, pupil, staff = _collect(rows)
    scope = (school_id, to_school_only)
    hand_overs, coordination = _activities(
        counts,
        _activity_counts(db, "hand_overs", "created_at", "direction", low, high, scope),
        _activity_counts(db, "coordination", "contacted_at", "agency", low, high, scope),
    )
    kinds = {str(row[0]): row[1] for row in db.execute("SELECT id, kind FROM schools")}
    return Figures(
        start=start,
        end=end,
        school=school,
        pupil_messages=pupil,
        staff_messages=staff,
        counts=counts,
        zone=zone,
        kinds=kinds,
        hand_overs=hand_overs,
        coordination=coordination,
        to_school_only=to_school_only,
    )


def percentile(histogram: dict[int, int], share: float) -> int | None:
    """The nearest-rank percentile of a histogram {value: how many}."""
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = math.ceil(share * total), 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable")


def fixed_grade(kind: str, written: str | None) -> str:
    """The grade a pupil wrote ("5", "５年", "小5", "五年生", "ごねん") as one of the grades of
    the school's kind ("5"), or NOT_GIVEN: a table never shows what a pupil typed."""
    text = "".join(unicodedata.normalize("NFKC", written or "").split())
    for other, prefixes in _KIND_PREFIXES.items():
        prefix = next((prefix for prefix in prefixes if text.startswith(prefix)), "")
        if prefix:
            if other != kind:
                return NOT_GIVEN
            text = text[len(prefix) :]
            break
    for suffix in _GRADE_SUFFIXES:
        if text.endswith(suffix):
            text = text[: -len(suffix)]
            break
    number = _GRADE_WORDS.get(text) or (int(text) if text.isdecimal() and len(text) < 3 else 0)
    return str(number) if 1 <= number <= GRADES.get(kind, 0) else NOT_GIVEN


# ---------------------------------------------------------------------------------------------
# Retention and the threshold


def _register_city_month(db: Database) -> None:
    zone = city_zone(db)

    def city_month(moment: str) -> str:
        return datetime.fromisoformat(moment).astimezone(zone).strftime("%Y-%m")

    db.conn.create_function("statistics_city_month", 1, city_month, deterministic=True)


_KEEP = """INSERT INTO statistics_retained
    (month, school_id, to_school, dim, value, reports, pupil_messages, staff_messages)
    {select} WHERE true GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (month, school_id, to_school, dim, value) DO UPDATE SET
        reports = reports + excluded.reports,
        pupil_messages = pupil_messages + excluded.pupil_messages,
        staff_messages = staff_messages + excluded.staff_messages"""
_KEEP_ACTIVITY = (
    "SELECT statistics_city_month(a.{column}), r.school_id, r.recipient != 'centre', '{dim}', "
    "a.{key}, {count}, 0, 0 FROM {table} AS a JOIN reports AS r ON r.id = a.report_id "
    "JOIN purging AS p ON p.report_id = a.report_id"
)


def keep_purged_counts(db: Database) -> None:
    """What the reports listed in `purging` count, kept in `statistics_retained` before
    retention deletes them (call it in the purge's transaction). Only counts are kept, per
    school and city month, never a report."""
    _register_city_month(db)
    purged = f"({_with_messages('id IN (SELECT report_id FROM purging)')})"
    reports = (
        "SELECT statistics_city_month(d.created_at), d.school_id, d.recipient != 'centre', "
        "d.dim, d.value, count(*), sum(d.pupil_messages), sum(d.staff_messages) "
        f"FROM ({statistics_rows(purged)}) AS d"
    )
    db.execute(_KEEP.format(select=reports))
    for table, column, key, dim, count in (
        ("hand_overs", "created_at", "direction", "hand_over", "count(*)"),
        ("coordination", "contacted_at", "agency", "coordination", "count(*)"),
        ("coordination", "contacted_at", "agency", "abuse_notification", "sum(abuse_notification)"),
    ):
        select = _KEEP_ACTIVITY.format(table=table, column=column, key=key, dim=dim, count=count)
        db.execute(_KEEP.format(select=select))


def threshold(db: Database) -> int:
    return int(get_setting(db, "statistics_threshold"))


def set_threshold(db: Database, limit: int, by: Actor) -> None:
    """The smallest count a table that leaves the centre shows (smaller ones are hidden)."""
    if limit not in THRESHOLDS:
        raise StatisticsError("threshold_range")
    change_setting(db, "statistics_threshold", limit, by)


def tables(db: Database, counted: Figures, language: str = "ja") -> list[Table]:
    """The centre's own (unprotected) tables of `counted`, as the benchmark lays them out."""
    from school_report.statistics_tables import internal_tables  # it builds on this module

    return internal_tables(db, counted, language)
