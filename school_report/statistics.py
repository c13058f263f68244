"""Statistics for the centre's annual report and the schools' own figures.

`figures` counts a period (city-wide or one school) and `tables` lays the counts out as the
tables the centre publishes (Sapporo's section II: by channel, by school level, by category,
top-5 sub-items) and the rest the centre and schools ask for. `protect` applies small-number
protection to a table that leaves the centre.

Reports are counted by the day they were received, in the city's zone; 延べ件数 (contacts)
counts every pupil and staff message of those reports; hand-overs and coordination contacts
are counted by the day they happened. City-wide counts come from `statistics_counts` (kept by
triggers, see migration m060) plus the reports of the partial UTC days at either end of the
period; one school's come from its reports directly.
"""

import math
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from school_report.hours import city_zone
from school_report.migrations import (
    AGENCIES,
    OUTCOMES,
    RECIPIENTS,
    SCHOOL_KINDS,
    STATUSES,
    URGENCIES,
    statistics_dimension_rows,
)
from school_report.settings import get_setting

CATEGORIES = (
    "home_life",
    "school_life",
    "life_in_care",
    "personality",
    "physical",
    "relationships",
    "delinquency",
    "other",
)
DIRECTIONS = ("school_to_centre", "centre_to_school")
LANGUAGES = ("ja", "en")
TOP_SUB_ITEMS = 5
MAX_PERIOD_DAYS = 5 * 366

Label = tuple[str, str]  # (kind, key): what the page or export shows, e.g. ("category", "other")
Cell = int | float | str | None


class StatisticsError(ValueError):
    """A period cannot be counted as asked; `reason` names why for the pages."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Count:
    reports: int = 0
    contacts: int = 0

    def __add__(self, other: "Count") -> "Count":
        return Count(self.reports + other.reports, self.contacts + other.contacts)


@dataclass(frozen=True)
class Figures:
    """The raw counts of a period: never published as they are (see `protect`)."""

    start: date
    end: date  # inclusive
    school: tuple[int, str, str] | None  # id, name, kind
    pupil_messages: int
    staff_messages: int
    counts: dict[str, dict[str, Count]]  # dimension -> value -> count (migration m060)
    zone: ZoneInfo
    hand_overs: dict[str, int] = field(default_factory=dict)
    coordination: dict[str, tuple[int, int]] = field(default_factory=dict)  # contacts, abuse

    @property
    def reports(self) -> int:
        return sum(count.reports for count in self.counts.get("recipient", {}).values())


@dataclass(frozen=True)
class Table:
    """Rows by columns of cells; a total row and column, when present, are the last ones."""

    name: str
    rows: tuple[Label, ...]
    columns: tuple[Label, ...]
    cells: tuple[tuple[Cell, ...], ...]
    total_row: bool = False
    total_column: bool = False

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
# Counting


def period_bounds(zone: ZoneInfo, start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants of the city's midnight starting `start` and ending `end`."""
    if end < start:
        raise StatisticsError("period_reversed")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise StatisticsError("period_too_long")
    low = datetime.combine(start, time(), zone).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time(), zone).astimezone(UTC)
    return low, high


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _raw_counts(
    db: Database, low: datetime, high: datetime, school_id: int | None
) -> list[tuple[str, str, int, int, int]]:
    """(dimension, value, reports, pupil messages, staff messages) straight from the reports."""
    if low >= high:
        return []
    school = "AND school_id = ?" if school_id is not None else ""
    sql = (
        "WITH period AS MATERIALIZED (SELECT reports.*, "
        "(SELECT count(*) FROM messages m WHERE m.report_id = reports.id "
        "AND m.author = 'pupil') AS pupil_messages, "
        "(SELECT count(*) FROM messages m WHERE m.report_id = reports.id "
        "AND m.author = 'staff') AS staff_messages "
        f"FROM reports WHERE created_at >= ? AND created_at < ? {school}) "
        "SELECT dim, value, count(*), sum(pupil_messages), sum(staff_messages) "
        f"FROM ({statistics_dimension_rows('period')}) GROUP BY dim, value"
    )
    params = [_iso(low), _iso(high)] + ([school_id] if school_id is not None else [])
    return db.execute(sql, params).fetchall()


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


def _summed_counts(db: Database, low: datetime, high: datetime) -> list[tuple]:
    """The counts of whole UTC days [low, high): whole months from the month grain, the days
    around them from the day grain."""
    first_month, last_month = _next_month(low), high.replace(day=1)
    if first_month >= last_month:
        ranges = [("day", low.date().isoformat(), high.date().isoformat())]
    else:
        ranges = [
            ("day", low.date().isoformat(), first_month.date().isoformat()),
            ("month", first_month.strftime("%Y-%m"), last_month.strftime("%Y-%m")),
            ("day", last_month.date().isoformat(), high.date().isoformat()),
        ]
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


def _dimension_counts(
    db: Database, low: datetime, high: datetime, school_id: int | None
) -> list[tuple]:
    if school_id is not None:
        return _raw_counts(db, low, high, school_id)
    first_day, last_day = _next_day(low), _day(high)
    if first_day >= last_day:
        return _raw_counts(db, low, high, None)
    return [
        *_raw_counts(db, low, first_day, None),
        *_summed_counts(db, first_day, last_day),
        *_raw_counts(db, last_day, high, None),
    ]


def _activity_counts(
    db: Database, table: str, column: str, key: str, low: datetime, high: datetime, school_id
) -> list[tuple]:
    """(key, rows, abuse notifications) of the rows of `table` whose `column` time (UTC text,
    like every stored time) lies in [low, high)."""
    abuse = "sum(abuse_notification)" if table == "coordination" else "0"
    school = "AND report_id IN (SELECT id FROM reports WHERE school_id = ?)" if school_id else ""
    sql = (
        f"SELECT {key}, count(*), {abuse} FROM {table} "
        f"WHERE {column} >= ? AND {column} < ? {school} GROUP BY {key}"
    )
    params = [_iso(low), _iso(high)] + ([school_id] if school_id else [])
    return db.execute(sql, params).fetchall()


def _school(db: Database, school_id: int) -> tuple[int, str, str]:
    row = db.execute("SELECT id, name, kind FROM schools WHERE id = ?", [school_id]).fetchone()
    if row is None:
        raise StatisticsError("not_found")
    return tuple(row)


def figures(db: Database, start: date, end: date, school_id: int | None = None) -> Figures:
    """Everything counted for the city's days `start` to `end` (inclusive), city-wide or for
    one school. This is the entry point the benchmark times."""
    zone = city_zone(db)
    low, high = period_bounds(zone, start, end)
    school = _school(db, school_id) if school_id is not None else None
    counts: dict[str, dict[str, Count]] = defaultdict(lambda: defaultdict(Count))
    pupil = staff = 0
    for dim, value, reports, pupil_messages, staff_messages in _dimension_counts(
        db, low, high, school_id
    ):
        counts[dim][value] += Count(reports, pupil_messages + staff_messages)
        if dim == "recipient":  # every report has exactly one recipient: count messages once
            pupil += pupil_messages
            staff += staff_messages
    hand_overs = _activity_counts(db, "hand_overs", "created_at", "direction", low, high, school_id)
    coordination = _activity_counts(
        db, "coordination", "contacted_at", "agency", low, high, school_id
    )
    return Figures(
        start=start,
        end=end,
        school=school,
        pupil_messages=pupil,
        staff_messages=staff,
        counts={dim: dict(values) for dim, values in counts.items()},
        zone=zone,
        hand_overs={direction: count for direction, count, _ in hand_overs},
        coordination={agency: (count, abuse) for agency, count, abuse in coordination},
    )


# ---------------------------------------------------------------------------------------------
# Laying the counts out as tables


@dataclass(frozen=True)
class _Topic:
    id: int
    label: str
    category: str
    sub_item: str
    position: int


def _topics(db: Database, language: str) -> dict[str, _Topic]:
    rows = db.execute(
        "SELECT id, label_ja, label_en, category, sub_item, position FROM topics ORDER BY position"
    )
    return {
        str(row[0]): _Topic(row[0], row[1] if language == "ja" else row[2], *row[3:])
        for row in rows
    }


def _school_names(db: Database) -> dict[str, str]:
    return {str(row[0]): row[1] for row in db.execute("SELECT id, name FROM schools")}


def _table(
    name: str,
    rows: Iterable[Label],
    columns: Iterable[Label],
    values: Iterable[Iterable[int]],
    *,
    total_row: bool = True,
    total_column: bool = False,
) -> Table:
    """A table of counts with its totals added."""
    rows, columns = list(rows), list(columns)
    cells = [list(row) for row in values]
    if total_column:
        columns.append(("total", "total"))
        cells = [[*row, sum(row)] for row in cells]
    if total_row:
        rows.append(("total", "total"))
        cells.append(
            [sum(column) for column in zip(*cells, strict=True)] if cells else [0] * len(columns)
        )
    return Table(
        name,
        tuple(rows),
        tuple(columns),
        tuple(tuple(row) for row in cells),
        total_row=total_row,
        total_column=total_column,
    )


REPORTS: Label = ("measure", "reports")
CONTACTS: Label = ("measure", "contacts")


def _counts_table(
    name: str, kind: str, keys: Iterable[str], counts: dict[str, Count], contacts: bool = True
) -> Table:
    keys = list(keys)
    columns = [REPORTS, CONTACTS] if contacts else [REPORTS]
    values = [
        [counts.get(key, Count()).reports]
        + ([counts.get(key, Count()).contacts] if contacts else [])
        for key in keys
    ]
    return _table(name, [(kind, key) for key in keys], columns, values)


def _regroup(counts: dict[str, Count], key_of) -> dict[str, Count]:
    grouped: dict[str, Count] = defaultdict(Count)
    for value, count in counts.items():
        grouped[key_of(value)] += count
    return dict(grouped)


def _local_times(figures: Figures) -> tuple[Counter, Counter, Counter]:
    """Reports by the city's month, weekday (0 = Monday) and hour of day."""
    months, weekdays, hours = Counter(), Counter(), Counter()
    for utc_hour, count in figures.counts.get("hour", {}).items():
        local = datetime.fromisoformat(f"{utc_hour}:00:00+00:00").astimezone(figures.zone)
        months[f"{local.year:04d}-{local.month:02d}"] += count.reports
        weekdays[str(local.weekday())] += count.reports
        hours[str(local.hour)] += count.reports
    return months, weekdays, hours


def _months(start: date, end: date) -> list[str]:
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append(day.strftime("%Y-%m"))
        day = (day + timedelta(days=32)).replace(day=1)
    return months


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


def _duration_row(histogram: dict[int, int]) -> list[Cell]:
    median, p90 = percentile(histogram, 0.5), percentile(histogram, 0.9)
    hours = [None if value is None else round(value / 3600, 2) for value in (median, p90)]
    return [sum(histogram.values()), *hours]


def _response_times(figures: Figures) -> Table:
    rows = [("duration", "first_reply"), ("duration", "close")]
    histograms = [
        {int(value): count.reports for value, count in figures.counts.get(dim, {}).items()}
        for dim in ("reply", "close")
    ]
    columns = [REPORTS, ("measure", "median_hours"), ("measure", "p90_hours")]
    cells = tuple(tuple(_duration_row(histogram)) for histogram in histograms)
    return Table("response_times", tuple(rows), tuple(columns), cells)


def _grade_key(value: str) -> str:
    kind, _, grade = value.partition("|")
    return f"{kind}|{unicodedata.normalize('NFKC', grade).strip()}"


def _by_level(name: str, topic_kinds: dict[str, Count], topics, measure: str) -> Table:
    grid: dict[tuple[str, str], int] = Counter()
    for value, count in topic_kinds.items():
        topic_id, _, kind = value.partition("|")
        category = topics[topic_id].category if topic_id in topics else "other"
        grid[category, kind] += getattr(count, measure)
    values = [[grid[category, kind] for kind in SCHOOL_KINDS] for category in CATEGORIES]
    rows = [("category", category) for category in CATEGORIES]
    columns = [("kind", kind) for kind in SCHOOL_KINDS]
    return _table(name, rows, columns, values, total_column=True)


def tables(db: Database, figures: Figures, language: str = "ja") -> list[Table]:
    """The figures as the tables a page or an export shows, in order."""
    counts = figures.counts
    topics = _topics(db, language)
    topic_kinds = counts.get("topic_kind", {})
    by_topic = _regroup(topic_kinds, lambda value: value.partition("|")[0])
    by_sub_item = _regroup(
        by_topic, lambda topic_id: topics[topic_id].sub_item if topic_id in topics else "?"
    )
    sub_items = sorted(by_sub_item, key=lambda key: (-by_sub_item[key].contacts, key))
    top_sub_items = sub_items[:TOP_SUB_ITEMS]
    topic_ids = [key for key in topics if key in by_topic]
    months, weekdays, hours = _local_times(figures)
    grades = _regroup(counts.get("grade", {}), _grade_key)
    kind_order = {kind: position for position, kind in enumerate(SCHOOL_KINDS)}
    grade_keys = sorted(grades, key=lambda key: (kind_order.get(key.split("|")[0], 9), key))
    abuse = sum(abuse for _, abuse in figures.coordination.values())
    result = [
        Table(
            "overview",
            (REPORTS, ("measure", "watch_cases"), ("measure", "abuse_notifications")),
            (("measure", "count"),),
            (
                (figures.reports,),
                (counts.get("watch_case", {}).get("1", Count()).reports,),
                (abuse,),
            ),
        ),
        _table(
            "contacts",
            [("author", "pupil"), ("author", "staff")],
            [("measure", "count")],
            [[figures.pupil_messages], [figures.staff_messages]],
        ),
        _counts_table("by_channel", "recipient", RECIPIENTS, counts.get("recipient", {})),
        _by_level("by_level", topic_kinds, topics, "reports"),
        _by_level("by_level_contacts", topic_kinds, topics, "contacts"),
        _table(
            "top_sub_items",
            [("text", key) for key in top_sub_items],
            [CONTACTS, REPORTS],
            [[by_sub_item[key].contacts, by_sub_item[key].reports] for key in top_sub_items],
            total_row=False,
        ),
        _counts_table("by_sub_item", "text", sorted(by_sub_item), by_sub_item),
        replace(
            _counts_table("by_topic", "topic", topic_ids, by_topic),
            rows=(*[("text", topics[key].label) for key in topic_ids], ("total", "total")),
        ),
    ]
    if figures.school is None:
        names = _school_names(db)
        schools = sorted(counts.get("school", {}), key=lambda key: names.get(key, key))
        result.append(
            replace(
                _counts_table("by_school", "school", schools, counts.get("school", {})),
                rows=(*[("text", names.get(key, key)) for key in schools], ("total", "total")),
            )
        )
    result += [
        _counts_table("by_grade", "grade", grade_keys, grades, contacts=False),
        _month_table(figures, months),
        _plain_table("by_weekday", "weekday", [str(day) for day in range(7)], weekdays),
        _plain_table("by_hour", "hour", [str(hour) for hour in range(24)], hours),
        _counts_table("by_identity", "named", ("0", "1"), counts.get("named", {}), False),
        _counts_table("by_urgency", "urgency", URGENCIES, counts.get("urgency", {}), False),
        _counts_table("by_status", "status", STATUSES, counts.get("status", {}), False),
        _counts_table("by_outcome", "outcome", OUTCOMES, counts.get("outcome", {}), False),
        _counts_table("by_language", "language", LANGUAGES, counts.get("language", {}), False),
        _response_times(figures),
        _plain_table("hand_overs", "direction", DIRECTIONS, figures.hand_overs),
        _table(
            "coordination",
            [("agency", agency) for agency in AGENCIES],
            [("measure", "contacts"), ("measure", "abuse_notifications")],
            [list(figures.coordination.get(agency, (0, 0))) for agency in AGENCIES],
        ),
    ]
    return result


def _plain_table(name: str, kind: str, keys: Iterable[str], counts: dict[str, int]) -> Table:
    keys = list(keys)
    return _table(
        name, [(kind, key) for key in keys], [REPORTS], [[counts.get(key, 0)] for key in keys]
    )


def _month_table(figures: Figures, months: Counter) -> Table:
    return _plain_table("by_month", "month", _months(figures.start, figures.end), months)


# ---------------------------------------------------------------------------------------------
# Small-number protection


def threshold(db: Database) -> int:
    return int(get_setting(db, "statistics_threshold"))


def _lines(table: Table) -> list[list[tuple[int, int]]]:
    """Each row and column that sums to a total shown in the table, its total last."""
    height, width = len(table.rows), len(table.columns)
    lines = []
    if table.total_column:
        lines += [[(row, column) for column in range(width)] for row in range(height)]
    if table.total_row:
        lines += [[(row, column) for row in range(height)] for column in range(width)]
    return lines


def _pinned(values: list[int], limit: int) -> bool:
    """Whether hidden small counts (each 1..limit-1) are worked out from their known sum."""
    hidden, total = len(values), sum(values)
    lowest = max(1, total - (hidden - 1) * (limit - 1))
    highest = min(limit - 1, total - (hidden - 1))
    return lowest == highest


def _needs_more(line, cells, marks, limit: int) -> bool:
    marked = [position for position in line if position in marks]
    if not marked:
        return False
    if len(marked) == 1:
        return True
    only_small = all(marks[position] == "small" for position in marked)
    return only_small and _pinned([cells[position] for position in marked], limit)


def _complement(line, cells, marks) -> tuple[int, int] | None:
    """The cell to hide with the small ones: the smallest non-zero count, else the total."""
    *inner, total = line
    open_cells = [p for p in inner if p not in marks and isinstance(cells[p], int) and cells[p]]
    if open_cells:
        return min(open_cells, key=lambda position: cells[position])
    return total if total not in marks else None


def protect(table: Table, limit: int) -> Table:
    """The table with every count from 1 to `limit`-1 shown as "<limit", and, where a row or
    column total would let a reader work such a count out, more cells hidden as "x"
    (complementary suppression). Durations of fewer than `limit` reports are hidden too."""
    cells = {
        (row, column): cell
        for row, values in enumerate(table.cells)
        for column, cell in enumerate(values)
    }
    marks = {
        position: "small"
        for position, cell in cells.items()
        if isinstance(cell, int) and 0 < cell < limit
    }
    lines = _lines(table)
    changed = True
    while changed:
        changed = False
        for line in lines:
            if _needs_more(line, cells, marks, limit):
                extra = _complement(line, cells, marks)
                if extra is not None:
                    marks[extra] = "other"
                    changed = True
    if table.name == "response_times":  # a median of one or two replies is theirs
        for row in range(len(table.rows)):
            if (row, 0) in marks:
                marks.update({(row, 1): "other", (row, 2): "other"})
    shown = {"small": f"<{limit}", "other": "x"}
    return replace(
        table,
        cells=tuple(
            tuple(
                shown[marks[row, column]] if (row, column) in marks else cell
                for column, cell in enumerate(values)
            )
            for row, values in enumerate(table.cells)
        ),
    )


def report_tables(
    db: Database,
    start: date,
    end: date,
    school_id: int | None = None,
    *,
    publish: bool = False,
    language: str = "ja",
) -> list[Table]:
    """The tables of a period as a page or an export shows them: protected when `publish`
    (for the board of education, the public, and every school's own view)."""
    counted = tables(db, figures(db, start, end, school_id), language)
    if not publish:
        return counted
    limit = threshold(db)
    return [protect(table, limit) for table in counted]
