"""The statistics as tables, and what a reader could put together from them.

`report_tables` is the one entry point of the page, the exports and `school-admin stats` for the
tables by day received (the annual tables are `school_report.annual_tables`). Each section
below lays out its tables (by channel, by school level and category, the top sub-items…) and
says, as `Links`, what holds between their cells. A
publication (a table for the board of education or the public, and every school-level view) is
protected by `school_report.small_numbers` from those links, which are laid out as a network:

- the grand totals (reports, contacts) are always shown: a publication with fewer reports than
  the threshold shows nothing. City-wide, each school level's reports are shown too, so the
  tables by school level and by grade are left out when a level has fewer than the threshold;
- a category's topics add up to its row of the table by school level, a sub-item's topics to
  its count, a school level's grades (and its reports with no grade given) to its total;
- a publication counts, by school, only the reports pupils sent to the school itself (nurse or
  in-school team), which add up to those two rows of the table by channel; and a school-level
  publication leaves out the reports its pupils sent to the centre altogether. A pupil who
  chose the centre chose someone outside the school (often about a teacher, or home): the
  school does not learn what about, or when, from its own figures or the board's;
- the closed cases by outcome add up to the closed ones by status, which are also those timed
  to close; a school level's reports never outnumber its contacts, nor a coordination
  contact's abuse notifications its contacts;
- the top sub-items of a publication are ranked among the counts it shows, so a rank never
  tells anything of a hidden one; shares (割合) are worked out from the counts shown.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlite_utils import Database

from school_report.hours import city_zone
from school_report.migrations import (
    AGENCIES,
    OUTCOMES,
    RECIPIENTS,
    SCHOOL_KINDS,
    STATUSES,
    URGENCIES,
)
from school_report.reports import LANGUAGES
from school_report.small_numbers import Key, Line, Links, suppress
from school_report.statistics import (
    GRADES,
    NOT_GIVEN,
    Cell,
    Count,
    Figures,
    Label,
    StatisticsError,
    Table,
    figures,
    fixed_grade,
    percentile,
    period_bounds,
    threshold,
    whole_months,
)
from school_report.text import plain_text
from school_report.topics import CATEGORIES

DIRECTIONS = ("school_to_centre", "centre_to_school")
SCHOOL_RECIPIENTS = ("nurse", "school_team")
TOP_SUB_ITEMS = 5
HIDDEN = "x"  # every hidden count looks the same, small or not
REPORTS: Label = ("measure", "reports")
CONTACTS: Label = ("measure", "contacts")
COUNT: Label = ("measure", "count")
TOTAL: Label = ("total", "total")
N_KEY: Key = ("overview", "reports", "count")
C_KEY: Key = ("contacts", "total", "count")
ORDER = (
    "overview",
    "contacts",
    "by_channel",
    "by_level",
    "by_level_contacts",
    "top_sub_items",
    "by_sub_item",
    "by_topic",
    "by_school",
    "by_grade",
    "by_month",
    "by_weekday",
    "by_hour",
    "by_identity",
    "by_urgency",
    "by_status",
    "by_outcome",
    "by_language",
    "response_times",
    "hand_overs",
    "coordination",
)


@dataclass(frozen=True)
class Publication:
    """The tables of a period as shown; `notes` name (as reasons) what was left out and why."""

    tables: list[Table]
    protected: bool = False
    limit: int = 0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    category: str
    sub_item: str


@dataclass(frozen=True)
class View:
    figures: Figures
    topics: dict[str, Topic]
    names: dict[str, str]  # school id -> name
    publish: bool

    @property
    def kinds(self) -> tuple[str, ...]:
        school = self.figures.school
        return (school[2],) if school else SCHOOL_KINDS

    def counts(self, dim: str) -> dict[str, Count]:
        return self.figures.counts.get(dim, {})

    def topic(self, topic_id: str) -> Topic:
        return self.topics.get(topic_id) or Topic(topic_id, topic_id, "other", "?")


@dataclass
class Section:
    tables: list[Table]
    links: Links = field(default_factory=Links)


# ---------------------------------------------------------------------------------------------
# Building tables


def _table(
    name: str,
    rows: Iterable[Label],
    columns: Iterable[Label],
    values: Iterable[Iterable[int]],
    *,
    total_row: bool = True,
    total_column: bool = False,
    ids: Iterable[str] = (),
) -> Table:
    """A table of counts with its totals added."""
    rows, columns, ids = list(rows), list(columns), list(ids)
    cells = [list(row) for row in values]
    if total_column:
        columns.append(TOTAL)
        cells = [[*row, sum(row)] for row in cells]
    if total_row:
        rows.append(TOTAL)
        ids += ["total"] if ids else []
        cells.append([sum(column) for column in zip(*cells, strict=True)] or [0] * len(columns))
    return Table(
        name,
        tuple(rows),
        tuple(columns),
        tuple(tuple(row) for row in cells),
        total_row=total_row,
        total_column=total_column,
        ids=tuple(ids),
    )


def _ordered(keys: Iterable[str], counts: dict) -> list[str]:
    """The expected keys, then any other one counted (so that totals always add up)."""
    keys = list(keys)
    return keys + sorted(key for key in counts if key not in keys)


def _counts_table(
    name: str,
    kind: str,
    keys: Iterable[str],
    counts: dict[str, Count],
    contacts: bool = True,
    labels: dict[str, str] | None = None,
) -> Table:
    keys = _ordered(keys, counts)
    values = [
        [counts.get(key, Count()).reports]
        + ([counts.get(key, Count()).contacts] if contacts else [])
        for key in keys
    ]
    rows = [("text", labels[key]) if labels else (kind, key) for key in keys]
    columns = [REPORTS, CONTACTS] if contacts else [REPORTS]
    return _table(name, rows, columns, values, ids=keys if labels else ())


def _regroup(counts: dict[str, Count], key_of: Callable[[str], str]) -> dict[str, Count]:
    grouped: dict[str, Count] = defaultdict(Count)
    for value, count in counts.items():
        grouped[key_of(value)] += count
    return dict(grouped)


def own_lines(table: Table, skip_columns: Iterable[str] = ()) -> list[Line]:
    """The sums a table shows: each column's total (unless skipped) and each row's total."""
    row_ids = [table.row_id(row) for row in range(len(table.rows))]
    inner_rows = row_ids[:-1] if table.total_row else row_ids
    columns = [key for _, key in table.columns]
    lines = []
    if table.total_row:
        lines += [
            Line(table.key("total", column), tuple(table.key(row, column) for row in inner_rows))
            for column in columns
            if column not in skip_columns
        ]
    if table.total_column:
        inner = columns[:-1]
        lines += [
            Line(table.key(row, "total"), tuple(table.key(row, column) for column in inner))
            for row in row_ids
        ]
    return lines


def _grand_totals(table: Table) -> dict[Key, Key]:
    """The table's total reports and contacts are the publication's."""
    columns = [key for _, key in table.columns]
    return {
        table.key("total", column): grand
        for column, grand in (("reports", N_KEY), ("contacts", C_KEY))
        if column in columns
    }


def _pairs(table: Table) -> dict[Key, Key]:
    """Each row's reports are never more than its contacts."""
    return {
        table.key(table.row_id(row), "reports"): table.key(table.row_id(row), "contacts")
        for row in range(len(table.rows))
    }


# ---------------------------------------------------------------------------------------------
# Sections


def _overview(view: View) -> Section:
    counted = view.figures
    watch = view.counts("watch_case").get("1", Count()).reports
    abuse = sum(abuse for _, abuse in counted.coordination.values())
    overview = Table(
        "overview",
        (REPORTS, ("measure", "watch_cases"), ("measure", "abuse_notifications")),
        (COUNT,),
        ((counted.reports,), (watch,), (abuse,)),
    )
    contacts = _table(
        "contacts",
        [("author", "pupil"), ("author", "staff")],
        [COUNT],
        [[counted.pupil_messages], [counted.staff_messages]],
    )
    not_watched = ("virtual", "not_watch_case")
    links = Links(
        lines=[
            *own_lines(contacts),
            Line(N_KEY, (("overview", "watch_cases", "count"), not_watched)),
        ],
        virtual={not_watched: counted.reports - watch},
        same={
            ("overview", "abuse_notifications", "count"): (
                "coordination",
                "total",
                "abuse_notifications",
            )
        },
        fixed={N_KEY, C_KEY},
    )
    return Section([overview, contacts], links)


def _channels(view: View) -> Section:
    by_recipient = _regroup(view.counts("school_recipient"), lambda value: value.partition("|")[2])
    recipients = SCHOOL_RECIPIENTS if view.figures.to_school_only else RECIPIENTS
    channel = _counts_table("by_channel", "recipient", recipients, by_recipient)
    section = Section(
        [channel], Links(own_lines(channel), same=_grand_totals(channel), at_most=_pairs(channel))
    )
    if view.figures.school is None:
        _add_schools(view, section, channel)
    return section


def _add_schools(view: View, section: Section, channel: Table) -> None:
    """By school: in a publication, only the reports pupils sent to their school."""
    counted = {
        value: count
        for value, count in view.counts("school_recipient").items()
        if not view.publish or value.partition("|")[2] != "centre"
    }
    by_school = _regroup(counted, lambda value: value.partition("|")[0])
    ids = sorted(by_school, key=lambda school: (view.names.get(school, school), school))
    names = {school: view.names.get(school, school) for school in ids}
    table = _counts_table("by_school", "text", ids, by_school, labels=names)
    section.tables.append(table)
    if not view.publish:
        return
    section.links.lines += own_lines(table) + [
        Line(table.key("total", measure), tuple(channel.key(r, measure) for r in SCHOOL_RECIPIENTS))
        for measure in ("reports", "contacts")
    ]
    section.links.at_most.update(_pairs(table))


def _level_grid(view: View, measure: str) -> list[list[int]]:
    grid: Counter = Counter()
    for value, count in view.counts("topic_school").items():
        topic_id, _, school_id = value.partition("|")
        kind = view.figures.kinds.get(school_id, "")
        grid[view.topic(topic_id).category, kind] += getattr(count, measure)
    return [[grid[category, kind] for kind in SCHOOL_KINDS] for category in CATEGORIES]


def _levels(view: View) -> Section:
    """Reports received by category and by the school level of the child."""
    rows = [("category", category) for category in CATEGORIES]
    columns = [("kind", kind) for kind in SCHOOL_KINDS]
    made = [
        _table(name, rows, columns, _level_grid(view, measure), total_column=True)
        for name, measure in (("by_level", "reports"), ("by_level_contacts", "contacts"))
    ]
    reports, contacts = made
    links = Links(
        same={reports.key("total", "total"): N_KEY, contacts.key("total", "total"): C_KEY}
    )
    for table in made:  # a category's total is shared with its topics: its sum over them stays
        links.lines += own_lines(table, skip_columns=("total",))
        links.fixed |= {table.key("total", kind) for kind in SCHOOL_KINDS}
    links.at_most = {key: (contacts.name, *key[1:]) for key, *_ in reports.keyed_cells()}
    return Section(made, links)


def level_totals(levels: Section) -> dict[str, int]:
    """The reports of each school level."""
    by_level = levels.tables[0]
    return dict(zip(SCHOOL_KINDS, by_level.cells[-1][:-1], strict=True))


def _topic_tables(view: View) -> tuple[Table, Table]:
    by_topic = _regroup(view.counts("topic_school"), lambda value: value.partition("|")[0])
    by_sub_item = _regroup(by_topic, lambda topic_id: view.topic(topic_id).sub_item)
    topic_ids = [topic_id for topic_id in view.topics if topic_id in by_topic]
    labels = {topic_id: view.topic(topic_id).label for topic_id in _ordered(topic_ids, by_topic)}
    sub_items = _counts_table("by_sub_item", "text", sorted(by_sub_item), by_sub_item)
    return sub_items, _counts_table("by_topic", "text", topic_ids, by_topic, labels=labels)


def _topics(view: View, with_levels: bool) -> Section:
    """By sub-item and by topic; each topic is a part of its sub-item and of its category."""
    sub_items, topics = _topic_tables(view)
    links = Links(own_lines(sub_items), same={**_grand_totals(sub_items), **_grand_totals(topics)})
    links.at_most = {**_pairs(sub_items), **_pairs(topics)}
    topic_ids = topics.ids[:-1]
    for measure, levels in (("reports", "by_level"), ("contacts", "by_level_contacts")):
        groups: dict[Key, list[Key]] = defaultdict(list)
        for topic_id in topic_ids:
            topic = view.topic(topic_id)
            groups[sub_items.key(topic.sub_item, measure)].append(topics.key(topic_id, measure))
            if with_levels:
                groups[(levels, topic.category, "total")].append(topics.key(topic_id, measure))
        links.lines += [Line(total, tuple(parts)) for total, parts in groups.items()]
    return Section([sub_items, topics], links)


def _grade_counts(view: View) -> Counter:
    grades: Counter = Counter()
    school = view.figures.school
    for value, count in view.counts("grade_school").items():
        school_id, _, written = value.partition("|")
        kind = school[2] if school else view.figures.kinds.get(school_id, "")
        grades[kind, fixed_grade(kind, written)] += count.reports
    return grades


def _grades(view: View, level_reports: dict[str, int]) -> Section:
    """By grade, as fixed grades of each school level; what a pupil wrote is never shown."""
    grades = _grade_counts(view)
    keys = [f"{kind}|{grade}" for kind in view.kinds for grade in range(1, GRADES[kind] + 1)]
    given = {key: grades[tuple(key.split("|"))] for key in keys}
    unsaid = {
        kind: level_reports[kind] - sum(n for key, n in given.items() if key.startswith(f"{kind}|"))
        for kind in view.kinds
    }
    values = [[given[key]] for key in keys] + [[sum(unsaid.values())]]
    table = _table("by_grade", [("grade", key) for key in [*keys, NOT_GIVEN]], [REPORTS], values)
    links = Links(same={table.key("total", "reports"): N_KEY})
    if view.figures.school is not None:
        links.lines = own_lines(table)
        return Section([table], links)
    virtual = {("virtual", f"no_grade|{kind}"): count for kind, count in unsaid.items()}
    links.virtual = virtual
    links.lines = [Line(table.key(NOT_GIVEN, "reports"), tuple(virtual))] + [
        Line(
            ("by_level", "total", kind),
            (
                *(table.key(key, "reports") for key in keys if key.startswith(f"{kind}|")),
                ("virtual", f"no_grade|{kind}"),
            ),
        )
        for kind in view.kinds
    ]
    return Section([table], links)


def _local_times(view: View) -> tuple[Counter, Counter, Counter]:
    """Reports by the city's month, weekday (0 = Monday) and hour of day, from UTC quarters."""
    months, weekdays, hours = Counter(), Counter(), Counter()
    for quarter, count in view.counts("quarter").items():
        local = datetime.fromisoformat(f"{quarter}:00+00:00").astimezone(view.figures.zone)
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


def _plain_table(name: str, kind: str, keys: Iterable[str], counts: dict[str, int]) -> Table:
    keys = _ordered(keys, counts)
    return _table(
        name, [(kind, key) for key in keys], [REPORTS], [[counts.get(key, 0)] for key in keys]
    )


def _partitions(tables: list[Table]) -> Section:
    """Tables that each split all the reports one way: their totals are the grand total."""
    links = Links()
    for table in tables:
        links.lines += own_lines(table)
        links.same[table.key("total", "reports")] = N_KEY
    return Section(tables, links)


def _times(view: View) -> Section:
    months, weekdays, hours = _local_times(view)
    counted = view.figures
    return _partitions(
        [
            _plain_table("by_month", "month", _months(counted.start, counted.end), months),
            _plain_table("by_weekday", "weekday", [str(day) for day in range(7)], weekdays),
            _plain_table("by_hour", "hour", [str(hour) for hour in range(24)], hours),
        ]
    )


def _duration_row(histogram: dict[int, int]) -> list[Cell]:
    median, p90 = percentile(histogram, 0.5), percentile(histogram, 0.9)
    hours = [None if value is None else round(value / 3600, 2) for value in (median, p90)]
    return [sum(histogram.values()), *hours]


def _response_times(view: View) -> Table:
    rows = (("duration", "first_reply"), ("duration", "close"))
    histograms = [
        {int(value): count.reports for value, count in view.counts(dim).items()}
        for dim in ("reply", "close")
    ]
    columns = (REPORTS, ("measure", "median_hours"), ("measure", "p90_hours"))
    cells = tuple(tuple(_duration_row(histogram)) for histogram in histograms)
    return Table("response_times", rows, columns, cells)


def _case_links(status: Table, outcome: Table, times: Table) -> Links:
    """Closed cases by outcome, and those timed to close, are the closed ones by status; the
    reports with a first reply and those without add up to all. A median hides with its count."""
    closed = status.key("closed", "reports")
    links = Links(own_lines(outcome))
    if _cell(outcome, outcome.key("total", "reports")) == _cell(status, closed):
        links.same[outcome.key("total", "reports")] = closed
    for row, shared in (("close", closed), ("first_reply", None)):
        key = times.key(row, "reports")
        if shared is not None and _cell(status, shared) == _cell(times, key):
            links.same[key] = shared
        else:
            rest = ("virtual", f"without_{row}")
            links.virtual[rest] = _cell(status, status.key("total", "reports")) - _cell(times, key)
            links.lines.append(Line(N_KEY, (key, rest)))
        for column in ("median_hours", "p90_hours"):
            links.follows[times.key(row, column)] = key
    return links


def _cell(table: Table, key: Key) -> int:
    """The count of a table's cell by (table, row id, column) key; the table name is ignored."""
    _, row_id, column = key
    row = [table.row_id(index) for index in range(len(table.rows))].index(row_id)
    return table.cells[row][[k for _, k in table.columns].index(column)]


def _cases(view: View) -> Section:
    count = view.counts
    status = _counts_table("by_status", "status", STATUSES, count("status"), False)
    outcome = _counts_table("by_outcome", "outcome", OUTCOMES, count("outcome"), False)
    section = _partitions(
        [
            _counts_table("by_identity", "named", ("0", "1"), count("named"), False),
            _counts_table("by_urgency", "urgency", URGENCIES, count("urgency"), False),
            status,
            _counts_table("by_language", "language", LANGUAGES, count("language"), False),
        ]
    )
    times = _response_times(view)
    section.tables[3:3] = [outcome]
    section.tables.append(times)
    section.links.extend(_case_links(status, outcome, times))
    return section


def _activities(view: View) -> Section:
    counted = view.figures
    hand_overs = _plain_table("hand_overs", "direction", DIRECTIONS, counted.hand_overs)
    agencies = _ordered(AGENCIES, counted.coordination)
    coordination = _table(
        "coordination",
        [("agency", agency) for agency in agencies],
        [("coordination", "contacts"), ("measure", "abuse_notifications")],  # 延べ回数
        [list(counted.coordination.get(agency, (0, 0))) for agency in agencies],
    )
    at_most = {
        coordination.key(coordination.row_id(row), "abuse_notifications"): coordination.key(
            coordination.row_id(row), "contacts"
        )
        for row in range(len(coordination.rows))
    }
    lines = own_lines(hand_overs) + own_lines(coordination)
    return Section([hand_overs, coordination], Links(lines, at_most=at_most))


# ---------------------------------------------------------------------------------------------
# Putting a publication together


def _sections(view: View, limit: int | None) -> tuple[list[Section], tuple[str, ...]]:
    """Every section of the view; city-wide publications leave the tables by school level and
    by grade out when a level has fewer reports than the threshold (see the module's doc)."""
    levels = _levels(view)
    reports = level_totals(levels)
    city = view.figures.school is None
    linked = not (limit and city and any(0 < count < limit for count in reports.values()))
    sections = [_overview(view), _channels(view)]
    sections += [levels] if linked else []
    sections.append(_topics(view, with_levels=linked))
    sections += [_grades(view, reports)] if linked else []
    sections += [_times(view), _cases(view), _activities(view)]
    return sections, () if linked else ("levels_left_out",)


def _shown_counts(tables: list[Table], links: Links) -> dict[Key, int]:
    shown: dict[Key, int] = {}
    for table in tables:
        for key, _, _, cell in table.keyed_cells():
            if isinstance(cell, int):
                key = links.canonical(key)
                if shown.setdefault(key, cell) != cell:
                    raise AssertionError(f"{key} is shown as {cell} and {shown[key]}")
    return shown


def _masked(table: Table, hidden: set[Key], links: Links) -> Table:
    cells = [list(row) for row in table.cells]
    for key, row, column, _ in table.keyed_cells():
        if key in hidden or links.canonical(key) in hidden:
            cells[row][column] = HIDDEN
    return replace(table, cells=tuple(tuple(row) for row in cells))


def _protect(sections: list[Section], limit: int) -> list[Table]:
    tables, links = publication_links(sections)
    hidden = suppress(_shown_counts(tables, links), links, limit)
    return [_masked(table, hidden, links) for table in tables]


def publication_links(sections: list[Section]) -> tuple[list[Table], Links]:
    """The tables and links of sections, as the protection sees them (for the tests)."""
    links = Links()
    for section in sections:
        links.extend(section.links)
    return [table for section in sections for table in section.tables], links


def share(count: Cell, total: Cell) -> Cell:
    """A count's share of the total in %, rounded half up to one decimal as Sapporo prints it;
    hidden where the count or the total is."""
    if HIDDEN in (count, total):
        return HIDDEN
    if not isinstance(count, int) or not isinstance(total, int) or total == 0:
        return None
    exact = Decimal(count * 100) / Decimal(total)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _with_share(table: Table, column: str, name: str, total: Cell = None) -> Table:
    """`table` with a share column after `column` (of the table's total unless given)."""
    index = [key for _, key in table.columns].index(column)
    total = table.cells[-1][index] if total is None else total
    return replace(
        table,
        columns=(*table.columns[: index + 1], ("measure", name), *table.columns[index + 1 :]),
        cells=tuple(
            (*row[: index + 1], share(row[index], total), *row[index + 1 :]) for row in table.cells
        ),
    )


def _top_sub_items(by_sub_item: Table) -> Table:
    """The five sub-items with the most contacts among those shown (a hidden one is not ranked:
    its place would tell between which counts it lies)."""
    shown = [
        (label, cells)
        for label, cells in zip(by_sub_item.rows[:-1], by_sub_item.cells[:-1], strict=True)
        if isinstance(cells[1], int) and cells[1] > 0
    ]
    top = sorted(shown, key=lambda row: (-row[1][1], row[0][1]))[:TOP_SUB_ITEMS]
    table = Table(
        "top_sub_items",
        tuple(label for label, _ in top),
        (CONTACTS, REPORTS),
        tuple((cells[1], cells[0]) for _, cells in top),
    )
    return _with_share(table, "contacts", "share", total=by_sub_item.cells[-1][1])


def _finish(tables: list[Table]) -> list[Table]:
    """The tables in their order, with the top sub-items and the shares (割合) added."""
    named = {table.name: table for table in tables}
    if "by_sub_item" in named:
        named["top_sub_items"] = _top_sub_items(named["by_sub_item"])
    if "by_channel" in named:
        channel = _with_share(named["by_channel"], "reports", "reports_share")
        named["by_channel"] = _with_share(channel, "contacts", "contacts_share")
    if "by_level" in named:
        named["by_level"] = _with_share(named["by_level"], "total", "share")
    return [named[name] for name in ORDER if name in named]


def laid_out(sections: list[Section]) -> list[Table]:
    """The tables of sections as shown, unprotected (what a publication hides cells of)."""
    return _finish([table for section in sections for table in section.tables])


def _topics_of(db: Database, language: str) -> dict[str, Topic]:
    rows = db.execute(
        "SELECT id, label_ja, label_en, category, sub_item FROM topics ORDER BY position, id"
    )
    return {
        str(row[0]): Topic(
            str(row[0]), plain_text(row[1] if language == "ja" else row[2]), row[3], row[4]
        )
        for row in rows
    }


def _view(db: Database, counted: Figures, language: str, publish: bool) -> View:
    names = {str(row[0]): row[1] for row in db.execute("SELECT id, name FROM schools")}
    return View(counted, _topics_of(db, language), names, publish)


def internal_tables(db: Database, counted: Figures, language: str = "ja") -> list[Table]:
    """The centre's own view: every count as it is."""
    sections, _ = _sections(_view(db, counted, language, publish=False), None)
    return laid_out(sections)


def publication_sections(
    db: Database, counted: Figures, limit: int, language: str = "ja"
) -> tuple[list[Section], tuple[str, ...]]:
    return _sections(_view(db, counted, language, publish=True), limit)


def report_tables(
    db: Database,
    start: date,
    end: date,
    school_id: int | None = None,
    *,
    publish: bool = False,
    language: str = "ja",
) -> Publication:
    """The tables of a period as a page or an export shows them. A publication (for the board
    of education, the public, and every school's own view) counts whole months only, hides
    small numbers, and shows nothing when the period has fewer reports than the threshold."""
    period_bounds(city_zone(db), start, end)  # refuse a period before counting it
    if not publish:
        return Publication(internal_tables(db, figures(db, start, end, school_id), language))
    if not whole_months(start, end):
        raise StatisticsError("whole_months")
    limit = threshold(db)
    counted = figures(db, start, end, school_id, to_school_only=school_id is not None)
    if counted.reports < limit:
        return Publication([], True, limit, ("too_few_reports",))
    sections, notes = publication_sections(db, counted, limit, language)
    return Publication(_finish(_protect(sections, limit)), True, limit, notes)
