"""Small-number protection for the tables that leave the centre.

Every count from 1 to `limit`-1 is hidden (primary suppression). A reader who has every table
of a publication could still work a hidden count out from the totals and from what the tables
say together, so more counts are hidden (secondary suppression) until no hidden small count has
a single value consistent with everything published. Every hidden cell is shown with the same
mark, so a reader cannot tell a small hidden count from a large one: all they know of a hidden
count is that it is at least 1 (zeros are shown), and at most its partner where one is known
(a channel's reports are never more than its contacts).

What a reader knows is written as lines, `total = sum(parts)`: each table's totals, and the
links between tables (a category's topics add up to that category's total in the table by
school level, ...). A publication is laid out so that every count that can be hidden lies in at
most two lines, with signs that make the lines the nodes of a network and the counts its arcs
(a table with row and column totals is one: a transportation table). In a network a hidden
count can take another value exactly when it lies on a cycle of unknown counts each of which can
move by one in the cycle's direction without leaving what the reader knows of it; that is the
search below. It is exact, not a rule of thumb: the values a network's arcs can take together
are whole-number intervals, so "another value" is "one more or one less" along some cycle.

Secondary cells are chosen next to the exposed one: a cell that shelters it alone if there is
one, the smallest in the same row or column first. When nothing will do (four hidden ones that
must add up to a published 4 are all 1), the whole table is hidden, zeros too; the display rule
"zeros are shown, except in a table whose counts are all hidden" then tells the reader that a
hidden count there may be 0. Reports are at most their contacts: a reader who knows that is
modelled by moving a count with its partner kept as it is, or together with its hidden partner
along the same cycle (the contacts tables mirror the reports tables line by line).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

Key = tuple[str, ...]
GROUND = -1  # the node at the other end of a count that lies in one line only
UNBOUNDED = float("inf")


class NotANetwork(ValueError):
    """The lines of a publication are not a network: a layout mistake, found by the tests."""


class Unprotectable(ValueError):
    """No more cells can be hidden and a small count can still be worked out."""


@dataclass(frozen=True)
class Line:
    total: Key
    parts: tuple[Key, ...]


@dataclass
class Links:
    """What holds between the cells of a publication: the sums a reader can check, cells that
    repeat other cells, counts a reader can work out that no table shows, and more."""

    lines: list[Line] = field(default_factory=list)
    same: dict[Key, Key] = field(default_factory=dict)  # a cell that repeats another
    virtual: dict[Key, int] = field(default_factory=dict)  # worked out, never shown
    at_most: dict[Key, Key] = field(default_factory=dict)  # never above that cell (reports)
    follows: dict[Key, Key] = field(default_factory=dict)  # hidden when that one is (a median)
    fixed: set[Key] = field(default_factory=set)  # always shown: the publication's grand totals

    def extend(self, other: "Links") -> None:
        self.lines += other.lines
        self.same.update(other.same)
        self.virtual.update(other.virtual)
        self.at_most.update(other.at_most)
        self.follows.update(other.follows)
        self.fixed |= other.fixed

    def canonical(self, key: Key) -> Key:
        while key in self.same:
            key = self.same[key]
        return key


def _memberships(lines: list[Line], keys: set[Key]) -> dict[Key, list[tuple[int, int]]]:
    """For each key that may be unknown, the lines it lies in and its sign there."""
    found: dict[Key, list[tuple[int, int]]] = defaultdict(list)
    for index, line in enumerate(lines):
        for key, sign in ((line.total, -1), *((part, 1) for part in line.parts)):
            if key in keys:
                found[key].append((index, sign))
    return found


def _line_signs(memberships: dict[Key, list[tuple[int, int]]], count: int) -> dict[int, int]:
    """A sign for each line so that every key lying in two lines has opposite signs in them."""
    neighbours: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for key, places in memberships.items():
        if len(places) > 2 or (len(places) == 2 and places[0][0] == places[1][0]):
            raise NotANetwork(f"{key} lies in {len(places)} lines")
        if len(places) == 2:
            (a, sign_a), (b, sign_b) = places
            neighbours[a].append((b, -sign_a * sign_b))
            neighbours[b].append((a, -sign_a * sign_b))
    signs: dict[int, int] = {}
    for start in range(count):
        if start in signs:
            continue
        signs[start], stack = 1, [start]
        while stack:
            line = stack.pop()
            for other, relation in neighbours[line]:
                wanted = signs[line] * relation
                if other not in signs:
                    signs[other] = wanted
                    stack.append(other)
                elif signs[other] != wanted:
                    raise NotANetwork(f"lines {line} and {other} cannot both hold")
    return signs


class Audit:
    """What a reader can work out of a publication: which hidden counts have a single value."""

    def __init__(self, values: dict[Key, int], links: Links):
        self.values = values
        self.links = links
        self.lines = [
            Line(links.canonical(line.total), tuple(links.canonical(p) for p in line.parts))
            for line in links.lines
        ]
        movable = {key for key in values if key not in links.fixed}
        memberships = _memberships(self.lines, movable)
        signs = _line_signs(memberships, len(self.lines))
        self.arcs: dict[Key, tuple[int, int]] = {}
        self.incident: dict[int, list[Key]] = defaultdict(list)
        for key, places in memberships.items():
            self.arcs[key] = _arc(places, signs)
            for node in self.arcs[key]:
                self.incident[node].append(key)
        self.partner = {
            links.canonical(low): links.canonical(up) for low, up in links.at_most.items()
        }
        self.floor = {up: values[low] for low, up in self.partner.items()}
        self.twin = {**self.partner, **{up: low for low, up in self.partner.items()}}
        self.tables: dict[str, set[Key]] = defaultdict(set)  # what each table can hide
        for key in values:
            if key not in links.fixed and key not in links.virtual:
                self.tables[key[0]].add(key)
        self.whole: set[str] = set()  # tables hidden whole: there a hidden count may be 0
        self.bounds = {key: self._bounds(key) for key in self.arcs}

    def _bounds(self, key: Key) -> tuple[float, float]:
        """What a reader knows of a hidden count, were its partner shown: a count is at least 1
        (0 for one never shown), reports at most their contacts, contacts at least their reports."""
        value = self.values[key]
        low: float = 0 if key in self.links.virtual or key[0] in self.whole else 1
        high: float = UNBOUNDED
        if key in self.partner:
            high = max(value, self.values[self.partner[key]])
        if key in self.floor:
            low = max(low, min(value, self.floor[key]))
        return low, high

    def _can_move(self, key: Key, up: bool, unknown: set[Key], together: bool) -> bool:
        """Whether `key` can move by one: alone (its partner as it is), or `together` with its
        hidden partner (reports and contacts both one more, or both one less)."""
        if not together:
            low, high = self.bounds[key]
            return self.values[key] < high if up else self.values[key] > low
        twin = self.twin.get(key)
        if twin not in unknown:
            return False
        return up or min(self.values[key], self.values[twin]) > 1

    def _path(self, start: int, goal: int, unknown: set[Key], skip: Key, together: bool) -> bool:
        seen, stack = {start}, [start]
        while stack:
            node = stack.pop()
            if node == goal:
                return True
            for key in self.incident[node]:
                if key == skip or key not in unknown:
                    continue
                tail, head = self.arcs[key]
                forward = node == tail
                if self._can_move(key, forward, unknown, together):
                    following = head if forward else tail
                    if following not in seen:
                        seen.add(following)
                        stack.append(following)
        return False

    def has_other_value(self, key: Key, unknown: set[Key]) -> bool:
        """Whether the hidden `key` could, for all the reader knows, hold another value.

        Either a cycle moves it while every partner (the contacts of a report count, the reports
        of a contacts count) stays as it is: sound, as a reader knows less when the partner is
        hidden too. Or a cycle of counts whose partners are all hidden moves, and the same cycle
        moves the partners (the contacts tables mirror the reports tables line by line), so that
        no count of reports passes its contacts."""
        if key not in self.arcs:
            return True  # in no line: nothing ties it down
        tail, head = self.arcs[key]
        for together in (False, True):
            for up, start, goal in ((True, head, tail), (False, tail, head)):
                if self._can_move(key, up, unknown, together) and self._path(
                    start, goal, unknown, key, together
                ):
                    return True
        return False

    def single_valued(self, small: Iterable[Key], unknown: set[Key]) -> list[Key]:
        """The keys of `small` a reader can work out exactly when `unknown` are not shown."""
        return [key for key in sorted(small) if not self.has_other_value(key, unknown)]

    def note_hidden(self, unknown: set[Key]) -> None:
        """Tables with every count hidden (zeros too): a reader cannot tell a 0 there."""
        whole = {name for name, keys in self.tables.items() if keys <= unknown}
        for name in whole - self.whole:
            self.whole.add(name)
            for key in self.tables[name] & self.arcs.keys():
                self.bounds[key] = self._bounds(key)

    def whole_table(self, key: Key, unknown: set[Key]) -> set[Key]:
        """Every count of `key`'s table, zeros too: the last resort when nothing else will do."""
        keys = self.tables.get(key[0], set())
        if keys <= unknown:
            raise Unprotectable(f"{key} can be worked out whatever else is hidden")
        return keys

    def lines_of(self, key: Key) -> set[int]:
        return set(self.arcs.get(key, ())) - {GROUND}

    def neighbourhood(self, key: Key) -> set[Key]:
        """The counts joined by lines to `key` or its partner: those whose hiding can shelter it."""
        nodes = self.lines_of(key) | self.lines_of(self.twin.get(key, key))
        stack, found = list(nodes), set()
        while stack:
            for other in self.incident[stack.pop()]:
                found.add(other)
                for node in self.lines_of(other) - nodes:
                    nodes.add(node)
                    stack.append(node)
        return found - {key}


def _arc(places: list[tuple[int, int]], signs: dict[int, int]) -> tuple[int, int]:
    """(tail, head): the count leaves the line where its signed coefficient is -1."""
    ends = {signs[line] * sign: line for line, sign in places}
    if len(places) == 1:
        ((signed, line),) = ends.items()
        return (line, GROUND) if signed < 0 else (GROUND, line)
    return ends[-1], ends[1]


def _complement(audit: Audit, target: Key, unknown: set[Key], shown: dict[Key, int]) -> Key:
    """The cell to hide next to shelter `target`: one that does it alone if there is one, the
    smallest in the same row or column first."""
    candidates = [
        key
        for key in audit.neighbourhood(target)
        if key in shown and key not in unknown and shown[key] > 0
    ]
    alone = [key for key in candidates if audit.has_other_value(target, unknown | {key})]
    pool = alone or candidates
    if not pool:
        raise Unprotectable(f"{target} can be worked out whatever else is hidden")
    near = audit.lines_of(target)
    return min(pool, key=lambda key: (not audit.lines_of(key) & near, shown[key], key))


def suppress(shown: dict[Key, int], links: Links, limit: int) -> set[Key]:
    """The cells to hide, given every count a publication shows (by canonical key)."""
    counts = {**shown, **{links.canonical(key): n for key, n in links.virtual.items()}}
    small = {key for key, count in counts.items() if 0 < count < limit}
    if small & links.fixed:
        raise Unprotectable(f"a grand total below {limit}: {sorted(small & links.fixed)}")
    audit = Audit(counts, links)
    unknown = small | {links.canonical(key) for key in links.virtual}
    audit.note_hidden(unknown)
    while exposed := audit.single_valued(small, unknown):
        try:
            unknown.add(_complement(audit, exposed[0], unknown, shown))
        except Unprotectable:
            unknown |= audit.whole_table(exposed[0], unknown)
        audit.note_hidden(unknown)
    hidden = {key for key in unknown if key in shown}
    followers = {key for key, leader in links.follows.items() if links.canonical(leader) in hidden}
    return hidden | followers
