"""A reader who tries to work hidden counts out of published statistics tables.

Independent of `school_report.small_numbers`: the reader writes down every sum the tables show
and every link between tables they can know (a category's topics add up to its total, ...),
each hidden cell as an unknown of at least 1, then for each hidden count looks for another
solution of the whole system by bounds propagation and a search. A hidden count with no other
solution is pinned: a leak."""

from collections import defaultdict
from dataclasses import dataclass, field

Key = tuple

NOT_COUNTS = ("median_hours", "p90_hours", "share", "reports_share", "contacts_share")
LARGE = 10**7


@dataclass
class Knowledge:
    """What the reader knows: shown counts, unknowns with bounds, sums and inequalities."""

    shown: dict[Key, int] = field(default_factory=dict)
    unknown: dict[Key, tuple[int, int]] = field(default_factory=dict)
    sums: list[tuple[Key, list[Key]]] = field(default_factory=list)
    at_most: list[tuple[Key, Key]] = field(default_factory=list)

    def cell(self, key: Key, value) -> None:
        if isinstance(value, int):
            self.shown[key] = value
        elif value == "x":
            self.unknown[key] = (1, LARGE)

    def aux(self, key: Key) -> Key:
        """A count no table shows (the reader's own unknown, at least 0)."""
        self.unknown[key] = (0, LARGE)
        return key

    def add_sum(self, total: Key, parts: list[Key]) -> None:
        self.sums.append((total, parts))


def read_table(knowledge: Knowledge, name: str, table: dict, total_row=True, total_column=False):
    """The cells of a table ({row: {column: cell}}) and the sums it shows."""
    columns = [c for c in next(iter(table.values()), {}) if c not in NOT_COUNTS]
    for row, cells in table.items():
        for column in columns:
            knowledge.cell((name, row, column), cells[column])
    rows = [row for row in table if row != "total"]
    body = [table[row][column] for row in rows for column in columns]
    if body and all(cell == "x" for cell in body):  # hidden whole: its zeros are hidden too
        for row in table:
            for column in columns:
                if table[row][column] == "x":
                    knowledge.unknown[(name, row, column)] = (0, LARGE)
    if total_row and "total" in table:
        for column in columns:
            knowledge.add_sum((name, "total", column), [(name, row, column) for row in rows])
    if total_column:
        inner = [column for column in columns if column != "total"]
        for row in table:
            knowledge.add_sum((name, row, "total"), [(name, row, column) for column in inner])


# ---------------------------------------------------------------------------------------------
# Solving


class Solver:
    def __init__(self, knowledge: Knowledge, truth: dict[Key, int], limit: int = 20000):
        self.knowledge = knowledge
        self.truth = truth
        self.limit = limit
        self.nodes = 0
        self.lines = [
            [(total, -1), *((part, 1) for part in parts)] for total, parts in knowledge.sums
        ]

    def _line_range(self, line, bounds) -> tuple[int, int]:
        """The least and greatest the signed sum of a line can be."""
        shown, low, high = self.knowledge.shown, 0, 0
        for key, sign in line:
            lo, hi = (shown[key], shown[key]) if key in shown else bounds[key]
            low += sign * (lo if sign > 0 else hi)
            high += sign * (hi if sign > 0 else lo)
        return low, high

    def _tighten(self, line, bounds) -> bool | None:
        """New bounds from one line (it sums to 0); None if it cannot."""
        low, high = self._line_range(line, bounds)
        if low > 0 or high < 0:
            return None
        changed = False
        for key, sign in line:
            if key in self.knowledge.shown:
                continue
            lo, hi = bounds[key]
            rest_low = low - sign * (lo if sign > 0 else hi)
            rest_high = high - sign * (hi if sign > 0 else lo)
            new = (
                [max(lo, -rest_high), min(hi, -rest_low)]
                if sign > 0
                else [max(lo, rest_low), min(hi, rest_high)]
            )
            if new[0] > new[1]:
                return None
            if new != [lo, hi]:
                bounds[key], changed = new, True
        return changed

    def _propagate(self, bounds: dict[Key, list[int]]) -> bool:
        """Tighten the unknowns' bounds from every sum and inequality; False if none fits."""
        changed = True
        while changed:
            changed = False
            for line in self.lines:
                tightened = self._tighten(line, bounds)
                if tightened is None:
                    return False
                changed |= tightened
            for small, large in self.knowledge.at_most:
                changed |= self._order(bounds, small, large)
                if not self._fits(bounds, small) or not self._fits(bounds, large):
                    return False
        return True

    def _value(self, bounds, key, end: int) -> int:
        return self.knowledge.shown[key] if key in self.knowledge.shown else bounds[key][end]

    def _order(self, bounds, small, large) -> bool:
        changed = False
        if small in bounds and bounds[small][1] > self._value(bounds, large, 1):
            bounds[small][1], changed = self._value(bounds, large, 1), True
        if large in bounds and bounds[large][0] < self._value(bounds, small, 0):
            bounds[large][0], changed = self._value(bounds, small, 0), True
        return changed

    @staticmethod
    def _fits(bounds, key) -> bool:
        return key not in bounds or bounds[key][0] <= bounds[key][1]

    def _search(self, bounds: dict[Key, list[int]]) -> bool:
        self.nodes += 1
        if self.nodes > self.limit:
            raise TimeoutError("the search gave up")
        if not self._propagate(bounds):
            return False
        open_keys = [key for key, (lo, hi) in bounds.items() if lo < hi]
        if not open_keys:
            return True
        key = min(open_keys, key=lambda k: (bounds[k][1] - bounds[k][0], k))
        lo, hi = bounds[key]
        near = self.truth.get(key, lo)
        for value in sorted(range(lo, min(hi, lo + 60) + 1), key=lambda v: (abs(v - near), v)):
            trial = {k: list(b) for k, b in bounds.items()}
            trial[key] = [value, value]
            if self._search(trial):
                return True
        return False

    def other_value(self, key: Key) -> bool:
        """Whether the hidden `key` can hold a value other than its true one."""
        start = {k: list(b) for k, b in self.knowledge.unknown.items()}
        if not self._propagate(start):
            raise AssertionError("the true values do not fit what the reader knows")
        lo, hi = start[key]
        true = self.truth[key]
        for value in sorted(range(lo, min(hi, lo + 60) + 1), key=lambda v: (abs(v - true), v)):
            if value == true:
                continue
            self.nodes = 0
            trial = {k: list(b) for k, b in start.items()}
            trial[key] = [value, value]
            if self._search(trial):
                return True
        return False


def pinned(knowledge: Knowledge, truth: dict[Key, int], limit: int) -> list[Key]:
    """The hidden counts below `limit` (by their true value) that the reader can work out."""
    solver = Solver(knowledge, truth)
    small = [key for key in knowledge.unknown if 0 < truth.get(key, 0) < limit]
    return [key for key in sorted(small, key=str) if not solver.other_value(key)]


# ---------------------------------------------------------------------------------------------
# What a reader of this service's publications knows


@dataclass
class World:
    """Public knowledge: each topic's category and sub-item, each school's kind."""

    topics: dict[str, tuple[str, str]]  # label -> (category, sub-item)
    schools: dict[str, str]  # name -> kind
    city: bool


def _links(knowledge: Knowledge, tables: dict[str, dict], world: World) -> None:
    add, sums = knowledge.add_sum, defaultdict(list)
    for label, (category, sub_item) in world.topics.items():
        if label in tables.get("by_topic", {}):
            for measure, levels in (("reports", "by_level"), ("contacts", "by_level_contacts")):
                sums[("by_sub_item", sub_item, measure)].append(("by_topic", label, measure))
                if levels in tables:
                    sums[(levels, category, "total")].append(("by_topic", label, measure))
    for total, parts in sums.items():
        add(total, parts)
    for measure in ("reports", "contacts"):
        grand = (
            ("overview", "reports", "count")
            if measure == "reports"
            else ("contacts", "total", "count")
        )
        for name in ("by_channel", "by_sub_item", "by_topic"):
            add(grand, [(name, "total", measure)])
        if world.city and "by_school" in tables:
            add(
                ("by_school", "total", measure),
                [("by_channel", r, measure) for r in ("nurse", "school_team")],
            )
    for name in (
        "by_month",
        "by_weekday",
        "by_hour",
        "by_identity",
        "by_urgency",
        "by_status",
        "by_language",
        "by_grade",
    ):
        if name in tables:
            add(("overview", "reports", "count"), [(name, "total", "reports")])
    if "by_level" in tables:
        add(("overview", "reports", "count"), [("by_level", "total", "total")])
        add(("contacts", "total", "count"), [("by_level_contacts", "total", "total")])
    _case_links(knowledge, tables)
    _grade_links(knowledge, tables, world)
    _partners(knowledge, tables)


def _case_links(knowledge: Knowledge, tables: dict[str, dict]) -> None:
    add = knowledge.add_sum
    add(("by_status", "closed", "reports"), [("by_outcome", "total", "reports")])
    add(("by_status", "closed", "reports"), [("response_times", "close", "reports")])
    add(
        ("coordination", "total", "abuse_notifications"),
        [("overview", "abuse_notifications", "count")],
    )
    for row, name in (("first_reply", "response_times"), ("watch_cases", "overview")):
        key = (name, row, "reports") if name == "response_times" else (name, row, "count")
        add(("overview", "reports", "count"), [key, knowledge.aux(("without", row))])
    for label, cells in tables.get("top_sub_items", {}).items():
        for measure in ("reports", "contacts"):
            knowledge.cell(("top_sub_items", label, measure), cells[measure])
            add(("by_sub_item", label, measure), [("top_sub_items", label, measure)])


def _grade_links(knowledge: Knowledge, tables: dict[str, dict], world: World) -> None:
    if not world.city or "by_grade" not in tables:
        return
    unsaid = []
    for kind in ("elementary", "junior_high", "high"):
        grades = [
            ("by_grade", row, "reports") for row in tables["by_grade"] if row.startswith(f"{kind}|")
        ]
        unsaid.append(knowledge.aux(("no grade", kind)))
        knowledge.add_sum(("by_level", "total", kind), [*grades, unsaid[-1]])
    knowledge.add_sum(("by_grade", "none", "reports"), unsaid)


def _partners(knowledge: Knowledge, tables: dict[str, dict]) -> None:
    for name in ("by_channel", "by_sub_item", "by_topic", "by_school", "top_sub_items"):
        for row in tables.get(name, {}):
            knowledge.at_most.append(((name, row, "reports"), (name, row, "contacts")))
    for row, cells in tables.get("by_level", {}).items():
        for column in cells:
            if column not in NOT_COUNTS:
                knowledge.at_most.append(
                    (("by_level", row, column), ("by_level_contacts", row, column))
                )
    for row in tables.get("coordination", {}):
        knowledge.at_most.append(
            (("coordination", row, "abuse_notifications"), ("coordination", row, "contacts"))
        )


TWO_WAY = ("by_level", "by_level_contacts")


def read_publication(tables: dict[str, dict], world: World) -> Knowledge:
    """Everything a reader knows from a publication's tables ({name: as_dict})."""
    knowledge = Knowledge()
    for name, table in tables.items():
        if name in ("top_sub_items", "response_times", "overview"):
            for row, cells in table.items():
                for column, cell in cells.items():
                    if column not in NOT_COUNTS:
                        knowledge.cell((name, row, column), cell)
            continue
        read_table(knowledge, name, table, total_row=True, total_column=name in TWO_WAY)
    _links(knowledge, tables, world)
    return knowledge
