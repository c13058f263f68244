"""The annual report's tables in the shape of Sapporo's (section II 活動状況), each beside the
previous year with the change in %.

Counts come from `school_report.annual_report.caseload`; a share (割合) and a change (増減率) are
fractions (0.258 is 25.8 %) rounded half up to 0.1 %, so a spreadsheet formats them as
percentages. A table that leaves the centre (any school's view, or a published one) hides small
counts with `school_report.small_numbers`, this year and last year each as published on their
own; a share or change worked out from a hidden count is hidden too.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlite_utils import Database

from school_report.annual_report import (
    CENTRE,
    ORDERS,
    Caseload,
    Scope,
    Tally,
    caseload,
    is_adult,
)
from school_report.migrations import SCHOOL_KINDS
from school_report.small_numbers import Line, Links, suppress
from school_report.statistics import Cell, Label, Table, threshold
from school_report.statistics_tables import HIDDEN
from school_report.topics import CATEGORIES

TOP = 5
MEASURE_CASES, MEASURE_CONTACTS = "cases", "contacts"
# The tables in the order of the report, each with the glossary entries it uses.
TABLES = (
    "annual_summary",
    "annual_by_method",
    "annual_by_consulter",
    "annual_by_level",
    "annual_by_content",
    "annual_top_children",
    "annual_top_adults",
    "annual_watch",
    "annual_coordination",
    "annual_activities",
    "annual_notifications",
)
TOTAL: Label = ("total", "total")


@dataclass(frozen=True)
class AnnualReport:
    """A period's annual tables for a scope, as shown; `notes` name what is left out."""

    start: date
    end: date
    scope: Scope
    tables: list[Table]
    protected: bool = False
    limit: int = 0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Layout:
    """What one table counts: its rows, and per row key the count of each measure."""

    name: str
    rows: list[Label]
    measures: tuple[str, ...]
    shares: tuple[str, ...]  # measures shown with their share of the total
    compared: tuple[str, ...]  # measures shown beside last year's, with the change
    count: Callable[[Caseload, str, str], int]
    total: Callable[[Caseload, str], int] | None = None  # unless the sum of the rows
    ids: tuple[str, ...] = ()


def _sub_items(db: Database) -> dict[str, tuple[str, str]]:
    """topic id -> (category, sub-item)."""
    return {
        str(row[0]): (row[1], row[2])
        for row in db.execute("SELECT id, category, sub_item FROM topics ORDER BY position, id")
    }


def _kinds(db: Database) -> dict[str, str]:
    return {str(row[0]): row[1] for row in db.execute("SELECT id, kind FROM schools")}


def _ordered(keys, counted: dict) -> list[str]:
    keys = list(keys)
    return keys + sorted(key for key in counted if key not in keys)


def _tally(counts: dict[str, Tally], key: str, measure: str) -> int:
    return getattr(counts.get(key, Tally()), measure)


def _layouts(db: Database, current: Caseload, previous: Caseload) -> list[_Layout]:
    topics, kinds = _sub_items(db), _kinds(db)

    def topic_of(key) -> tuple[str, str]:
        return topics.get(key[3], ("other", "その他"))

    both = (current, previous)
    methods = _ordered(ORDERS["method"], {k[4] for c in both for k in c.contacts})
    consulters = _ordered(ORDERS["consulter"], {k[5] for c in both for k in c.contacts})
    sub_items = {}  # category -> its sub-items, in the order of the topics
    for category, sub_item in [*topics.values(), *(topic_of(k) for c in both for k in c.contacts)]:
        sub_items.setdefault(category, [])
        if sub_item not in sub_items[category]:
            sub_items[category].append(sub_item)
    content_rows, content_ids = [], []
    for category in _ordered(CATEGORIES, sub_items):
        content_rows.append(("category", category))
        content_ids.append(f"category:{category}")
        for sub_item in sub_items.get(category, []):
            content_rows.append(("sub_item", sub_item))
            content_ids.append(f"sub_item:{sub_item}")

    groupings: dict[tuple[int, str], dict[str, Tally]] = {}

    def grouped(counted: Caseload, name: str, part) -> dict[str, Tally]:
        """The caseload's tallies grouped by `part`, worked out once per table."""
        if (id(counted), name) not in groupings:
            groupings[id(counted), name] = counted.by(part)
        return groupings[id(counted), name]

    def who(key) -> str:
        return "adult" if is_adult(key[5]) else "child"

    def by_method(counted: Caseload, method: str, measure: str) -> int:
        group, _, what = measure.rpartition("_")
        if not group:
            return _tally(grouped(counted, "method", lambda key: key[4]), method, what)
        by_who = grouped(counted, "method_who", lambda key: f"{key[4]}|{who(key)}")
        return _tally(by_who, f"{method}|{group}", what)

    def by_key(name: str, part):
        def count(counted: Caseload, key: str, measure: str) -> int:
            return _tally(grouped(counted, name, part), key, measure)

        return count

    def content(counted: Caseload, row_id: str, measure: str) -> int:
        kind, _, key = row_id.partition(":")
        position = 0 if kind == "category" else 1
        return _tally(grouped(counted, kind, lambda k: topic_of(k)[position]), key, measure)

    def content_total(counted: Caseload, measure: str) -> int:
        return getattr(counted.total(), measure)

    def summary(counted: Caseload, key: str, measure: str) -> int:
        return getattr(counted.total(), key)

    def watch(counted: Caseload, key: str, measure: str) -> int:
        return getattr(counted, key)

    def coordination(field_name: str):
        def count(counted: Caseload, key: str, measure: str) -> int:
            return _tally(getattr(counted, field_name), key, measure)

        return count

    def coordination_total(counted: Caseload, measure: str) -> int:
        if measure == MEASURE_CASES:
            return counted.coordination_cases
        return sum(tally.contacts for tally in counted.agencies.values())

    def notifications(counted: Caseload, key: str, measure: str) -> int:
        return getattr(counted.notifications, measure)

    pair = (MEASURE_CASES, MEASURE_CONTACTS)
    agencies = _ordered(ORDERS["agency"], {k for c in both for k in c.agencies})
    activities = _ordered(ORDERS["activity"], {k for c in both for k in c.activities})
    return [
        _Layout(
            "annual_summary",
            [("column", "cases"), ("column", "contacts")],
            ("count",),
            (),
            ("count",),
            summary,
            total=None,
        ),
        _Layout(
            "annual_by_method",
            [("method", method) for method in methods],
            ("child_cases", "child_contacts", "adult_cases", "adult_contacts", *pair),
            pair,
            pair,
            by_method,
        ),
        _Layout(
            "annual_by_consulter",
            [("consulter", consulter) for consulter in consulters],
            pair,
            pair,
            pair,
            by_key("consulter", lambda key: key[5]),
        ),
        _Layout(
            "annual_by_level",
            [("kind", kind) for kind in SCHOOL_KINDS],
            pair,
            pair,
            pair,
            by_key("level", lambda key: kinds.get(key[0], "")),
        ),
        _Layout(
            "annual_by_content",
            content_rows,
            (MEASURE_CONTACTS,),
            (MEASURE_CONTACTS,),
            (MEASURE_CONTACTS,),
            content,
            content_total,
            tuple(content_ids),
        ),
        _Layout(
            "annual_watch",
            [("measure", "watch_cases"), ("measure", "watch_coordinated")],
            ("count",),
            (),
            ("count",),
            watch,
        ),
        _Layout(
            "annual_coordination",
            [("agency", agency) for agency in agencies],
            pair,
            (),
            pair,
            coordination("agencies"),
            coordination_total,
        ),
        _Layout(
            "annual_activities",
            [("activity", activity) for activity in activities],
            pair,
            (),
            pair,
            coordination("activities"),
            coordination_total,
        ),
        _Layout(
            "annual_notifications",
            [("measure", "notifications")],
            pair,
            (),
            pair,
            notifications,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Laying a table out


def fraction(part: Cell, whole: Cell) -> Cell:
    """part / whole rounded half up to 0.1 % (0.258); hidden where either is; none of nothing."""
    if HIDDEN in (part, whole):
        return HIDDEN
    if not isinstance(part, int) or not isinstance(whole, int) or whole == 0:
        return None
    exact = Decimal(part) / Decimal(whole)
    return float(exact.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def change(now: Cell, before: Cell) -> Cell:
    """The change from last year as a fraction (0.075 is 7.5 % more); none from nothing."""
    if HIDDEN in (now, before):
        return HIDDEN
    if not isinstance(now, int) or not isinstance(before, int) or before == 0:
        return None
    exact = Decimal(now - before) / Decimal(before)
    return float(exact.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def _has_total(layout: _Layout) -> bool:
    return len(layout.rows) > 1 and layout.name not in ("annual_summary", "annual_watch")


def _counts(layout: _Layout, counted: Caseload) -> Table:
    """The table's counts: one column per measure, a total row where the rows add up."""
    row_ids = list(layout.ids) or [key for _, key in layout.rows]
    cells = [[layout.count(counted, row, m) for m in layout.measures] for row in row_ids]
    rows, ids = list(layout.rows), list(layout.ids)
    if _has_total(layout):
        rows.append(TOTAL)
        ids += ["total"] if ids else []
        if layout.total:
            cells.append([layout.total(counted, measure) for measure in layout.measures])
        else:
            cells.append([sum(column) for column in zip(*cells, strict=True)])
    columns = tuple(("column", measure) for measure in layout.measures)
    total_row = _has_total(layout)
    return Table(
        layout.name,
        tuple(rows),
        columns,
        tuple(tuple(row) for row in cells),
        total_row=total_row,
        ids=tuple(ids),
    )


GRAND = {
    MEASURE_CASES: ("annual_summary", "cases", "count"),
    MEASURE_CONTACTS: (
        "annual_summary",
        "contacts",
        "count",
    ),
}
_SPLIT_BY_WHO = ("annual_by_method", "annual_by_consulter", "annual_by_level")


def _lines(layout: _Layout, table: Table) -> Links:
    """What a reader can add up or compare in a table of counts: each column's total, a
    category's sub-items, the grand totals (always shown) repeated, a row's cases never more
    than its contacts (the network `school_report.small_numbers` protects)."""
    links = Links(fixed=set(GRAND.values()))
    if not table.total_row:
        return links
    row_ids = [table.row_id(row) for row in range(len(table.rows))][:-1]
    for measure in layout.measures:
        total = table.key("total", measure)
        if layout.total is not None and measure == MEASURE_CASES:
            continue  # a case may work with several agencies: its rows do not add up
        if layout.name == "annual_by_content":
            links.lines += _content_lines(table, row_ids, measure)
        else:
            links.lines.append(Line(total, tuple(table.key(r, measure) for r in row_ids)))
        if layout.name in (*_SPLIT_BY_WHO, "annual_by_content"):
            links.same[total] = GRAND[measure]
    if layout.name in _SPLIT_BY_WHO:
        for row in row_ids:
            links.at_most[table.key(row, MEASURE_CASES)] = table.key(row, MEASURE_CONTACTS)
    if layout.name == "annual_activities":  # the same coordination contacts as by agency
        links.same[table.key("total", MEASURE_CONTACTS)] = (
            "annual_coordination",
            "total",
            MEASURE_CONTACTS,
        )
        links.same[table.key("total", MEASURE_CASES)] = (
            "annual_coordination",
            "total",
            MEASURE_CASES,
        )
    return links


def _content_lines(table: Table, row_ids: list[str], measure: str) -> list[Line]:
    """The categories add up to the total, each category's sub-items to the category."""
    categories = [row for row in row_ids if row.startswith("category:")]
    lines = [Line(table.key("total", measure), tuple(table.key(r, measure) for r in categories))]
    parts: list = []
    for row in reversed(row_ids):
        if row.startswith("category:"):
            lines.append(Line(table.key(row, measure), tuple(parts)))
            parts = []
        else:
            parts.append(table.key(row, measure))
    return lines


def _protected(tables: list[Table], layouts: list[_Layout], limit: int) -> list[Table]:
    links = Links()
    for layout, table in zip(layouts, tables, strict=True):
        links.extend(_lines(layout, table))
    shown: dict = {}
    for table in tables:
        for key, _, _, cell in table.keyed_cells():
            shown[links.canonical(key)] = cell
    hidden = suppress(shown, links, limit)
    masked = []
    for table in tables:
        cells = [list(row) for row in table.cells]
        for key, row, column, _ in table.keyed_cells():
            if links.canonical(key) in hidden:
                cells[row][column] = HIDDEN
        masked.append(replace(table, cells=tuple(tuple(row) for row in cells)))
    return masked


def _all_hidden(table: Table) -> Table:
    return replace(table, cells=tuple(tuple(HIDDEN for _ in row) for row in table.cells))


def _with_comparison(layout: _Layout, now: Table, before: Table) -> Table:
    """Shares after their counts, then last year's counts and the change for `compared`."""
    columns: list[Label] = []
    cells: list[list[Cell]] = [[] for _ in now.rows]
    total = now.cells[-1] if now.total_row else None
    for index, measure in enumerate(layout.measures):
        columns.append(("column", measure))
        for row, values in enumerate(now.cells):
            cells[row].append(values[index])
        if measure in layout.shares and total is not None:
            columns.append(("share", f"{measure}_share"))
            for row, values in enumerate(now.cells):
                cells[row].append(fraction(values[index], total[index]))
    for measure in layout.compared:
        index = layout.measures.index(measure)
        columns += [("previous", f"{measure}_previous"), ("change", f"{measure}_change")]
        for row, values in enumerate(now.cells):
            earlier = before.cells[row][index]
            cells[row] += [earlier, change(values[index], earlier)]
    return replace(now, columns=tuple(columns), cells=tuple(tuple(row) for row in cells))


def _top(name: str, counted: Caseload, adults: bool, topics, before: Caseload) -> Table:
    """The five sub-items with the most contacts from children (or adults), with their share
    of those contacts and last year's count."""

    def sub_item_counts(period: Caseload) -> Counter:
        counts: Counter = Counter()
        for key, tally in period.contacts.items():
            if is_adult(key[5]) == adults:
                counts[topics.get(key[3], ("other", "その他"))[1]] += tally.contacts
        return counts

    now, earlier = sub_item_counts(counted), sub_item_counts(before)
    whole = sum(now.values())
    top = sorted((item for item in now if now[item]), key=lambda item: (-now[item], item))[:TOP]
    rows = tuple(("sub_item", item) for item in top)
    cells = tuple(
        (now[item], fraction(now[item], whole), earlier[item], change(now[item], earlier[item]))
        for item in top
    )
    columns = (
        ("column", MEASURE_CONTACTS),
        ("share", f"{MEASURE_CONTACTS}_share"),
        ("previous", f"{MEASURE_CONTACTS}_previous"),
        ("change", f"{MEASURE_CONTACTS}_change"),
    )
    return Table(name, rows, columns, cells)


def _unsplit(layout: _Layout) -> _Layout:
    if layout.name != "annual_by_method":
        return layout
    return replace(layout, measures=(MEASURE_CASES, MEASURE_CONTACTS))


def previous_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def annual_report(
    db: Database,
    start: date,
    end: date,
    scope: Scope = CENTRE,
    *,
    publish: bool = False,
) -> AnnualReport:
    """The annual tables of the period for the scope, beside the same days a year earlier. A
    published view (every school staff member's, as the pages decide) hides small numbers,
    leaves out the top sub-items (a rank among hidden counts would tell of them) and shows
    nothing under the threshold."""
    current = caseload(db, start, end, scope)
    previous = caseload(db, previous_year(start), previous_year(end), scope)
    layouts = _layouts(db, current, previous)
    if publish:  # who consulted is shown by consulter; split by method too, it would link them
        layouts = [_unsplit(layout) for layout in layouts]
    now = [_counts(layout, current) for layout in layouts]
    before = [_counts(layout, previous) for layout in layouts]
    limit = threshold(db) if publish else 0
    notes: tuple[str, ...] = ()
    if publish:
        if current.total().cases < limit:
            return AnnualReport(start, end, scope, [], True, limit, ("too_few_reports",))
        now = _protected(now, layouts, limit)
        if previous.total().cases < limit:  # last year shows nothing, like a year too small
            before = [_all_hidden(table) for table in before]
        else:
            before = _protected(before, layouts, limit)
        notes = ("top_left_out",)
    tables = {
        layout.name: _with_comparison(layout, this, last)
        for layout, this, last in zip(layouts, now, before, strict=True)
    }
    if not publish:
        topics = _sub_items(db)
        for name, adults in (("annual_top_children", False), ("annual_top_adults", True)):
            top = _top(name, current, adults, topics, previous)
            if top.rows:  # nobody of that side consulted: nothing to rank
                tables[name] = top
    ordered = [tables[name] for name in TABLES if name in tables]
    return AnnualReport(start, end, scope, ordered, publish, limit, notes)
