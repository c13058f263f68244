"""The centre's annual report, counted as Sapporo counts it: by contact, each by its own date.

Definitions (shown on the glossary page and the 注記 sheet, `DEFINITIONS`):

- 延べ件数 (contacts): consultations in the period from the consulting side, each counted on its
  own date: a pupil's message, or a call, visit, e-mail, letter or LINE conversation recorded by
  staff. A staff reply is never one.
- 実件数 (cases): cases with at least one contact in the period. A case counts once, under the
  method and consulter of its first contact in the period (実件数（初回相談）).
- 案件数 of coordination: cases with at least one coordination contact with that agency (or of
  that activity) in the period; 延べ回数: the coordination contacts themselves.
- 留意ケース: cases first flagged to watch in the period; of them, those with a coordination
  contact on or after the day they were flagged, up to the end of the period.

Scopes (`SCOPES`): the centre's own caseload (cases whose thread the centre answers: what its
annual report counts), one school's view (the reports its pupils sent to the school itself), and
the city-wide view of every recipient.

Contacts come from `contact_counts` (kept by triggers, migration m018) for the whole UTC days of
the period and from `contacts` for the partial days at either end. A case with a contact in the
period either has its first contact ever there (counted in `contact_counts` as a first contact)
or is carried over: its first contact in the period follows one before the period. Those are
read from the `contacts_carried` index, which holds only contacts whose case's previous contact
lies in an earlier UTC month, so a year of a million reports stays quick to count.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlite_utils import Database

from school_report.hours import city_zone
from school_report.migrations import (
    AGENCIES,
    CONSULTERS,
    CONTACT_KEY,
    CONTACT_METHODS,
    COORDINATION_ACTIVITIES,
)
from school_report.statistics import StatisticsError, bucket_ranges, period_bounds

SCOPES = ("centre", "school", "city")
CHILD = "child"  # the consulter who is the child; every other one is an adult


@dataclass(frozen=True)
class Scope:
    """Whose figures: the centre's caseload, one school's, or the whole city's."""

    kind: str
    school_id: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in SCOPES or (self.kind == "school") != (self.school_id is not None):
            raise StatisticsError("bad_scope")

    def where(self, alias: str = "") -> tuple[str, list]:
        """SQL limiting rows that carry the case's key (`alias` names the table) to the scope.
        The unary + keeps SQLite from reading every report of the scope through an index of
        reports: the period's dates choose the rows, the scope only filters them."""
        prefix = f"+{alias}." if alias else ""
        if self.kind == "centre":
            return f"{prefix}answered_by = 'centre'", []
        if self.kind == "school":
            return f"{prefix}school_id = ? AND {prefix}recipient != 'centre'", [self.school_id]
        return "true", []


CENTRE = Scope("centre")
CITY = Scope("city")


@dataclass(frozen=True)
class Tally:
    cases: int = 0  # 実件数
    contacts: int = 0  # 延べ件数

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(self.cases + other.cases, self.contacts + other.contacts)


ContactKey = tuple[str, str, str, str, str, str]  # school id, recipient, inbox, topic, method, who


@dataclass(frozen=True)
class Caseload:
    """What a scope counted in a period: the raw counts the annual tables are laid out from."""

    start: date
    end: date
    scope: Scope
    contacts: dict[ContactKey, Tally]
    watch_cases: int = 0
    watch_coordinated: int = 0
    coordination_cases: int = 0  # cases with any coordination contact
    agencies: dict[str, Tally] = field(default_factory=dict)  # cases (案件数), times (延べ回数)
    activities: dict[str, Tally] = field(default_factory=dict)
    notifications: Tally = Tally()

    def total(self) -> Tally:
        return sum(self.contacts.values(), Tally())

    def by(self, part) -> dict[str, Tally]:
        """The tallies grouped by `part(key)`."""
        grouped: dict[str, Tally] = defaultdict(Tally)
        for key, tally in self.contacts.items():
            grouped[part(key)] += tally
        return dict(grouped)


# ---------------------------------------------------------------------------------------------
# Counting

_KEY = ", ".join(f"CAST(r.{column} AS TEXT)" for column in CONTACT_KEY[:4])
_RAW = (
    f"SELECT {_KEY}, c.method, c.consulter, count(*), sum(c.previous_at IS NULL) "
    "FROM contacts AS c JOIN reports AS r ON r.id = c.report_id "
    "WHERE c.contacted_at >= ? AND c.contacted_at < ? AND {scope} GROUP BY 1, 2, 3, 4, 5, 6"
)
_SUMMED = (
    "SELECT " + ", ".join(f"CAST({column} AS TEXT)" for column in CONTACT_KEY) + ", "
    "sum(contacts), sum(first_contacts) FROM contact_counts "
    "WHERE grain = ? AND bucket >= ? AND bucket < ? AND {scope} GROUP BY 1, 2, 3, 4, 5, 6"
)
# A case's first contact in the period that follows one before it; the partial-index terms are
# written out so the planner uses `contacts_carried`.
_CARRIED = (
    f"SELECT {_KEY}, c.method, c.consulter, count(*) "
    "FROM contacts AS c JOIN reports AS r ON r.id = c.report_id "
    "WHERE c.contacted_at >= ? AND c.contacted_at < ? AND c.previous_at < ? {index} "
    "AND {scope} GROUP BY 1, 2, 3, 4, 5, 6"
)
_CARRIED_INDEX = (
    "AND c.previous_at IS NOT NULL AND substr(c.previous_at, 1, 7) < substr(c.contacted_at, 1, 7)"
)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _contact_tallies(db: Database, low: datetime, high: datetime, scope: Scope):
    """{key: Tally} of the contacts in [low, high) and the cases with one there."""
    tallies: dict[ContactKey, Tally] = defaultdict(Tally)
    raw, summed, month = bucket_ranges(low, high)
    where, params = scope.where("r")
    for part_low, part_high in raw:
        for *key, contacts, first in db.execute(
            _RAW.format(scope=where), [_iso(part_low), _iso(part_high), *params]
        ):
            tallies[tuple(key)] += Tally(first, contacts)
    plain_where, plain_params = scope.where()
    for grain, bucket_low, bucket_high in summed:
        for *key, contacts, first in db.execute(
            _SUMMED.format(scope=plain_where), [grain, bucket_low, bucket_high, *plain_params]
        ):
            tallies[tuple(key)] += Tally(first, contacts)
    for part_low, part_high, index in ((low, min(month, high), ""), (month, high, _CARRIED_INDEX)):
        if part_low >= part_high:
            continue
        sql = _CARRIED.format(scope=where, index=index)
        for *key, cases in db.execute(sql, [_iso(part_low), _iso(part_high), _iso(low), *params]):
            tallies[tuple(key)] += Tally(cases, 0)
    return {key: tally for key, tally in tallies.items() if tally != Tally()}


def _coordination(db: Database, low: datetime, high: datetime, scope: Scope, column: str):
    where, params = scope.where("r")
    rows = db.execute(
        f"SELECT c.{column}, count(DISTINCT c.report_id), count(*) FROM coordination AS c "
        "JOIN reports AS r ON r.id = c.report_id "
        f"WHERE c.contacted_at >= ? AND c.contacted_at < ? AND {where} GROUP BY 1",
        [_iso(low), _iso(high), *params],
    )
    return {key: Tally(cases, times) for key, cases, times in rows}


def _coordination_totals(db: Database, low: datetime, high: datetime, scope: Scope):
    """(cases with coordination, notifications as (cases, times))."""
    where, params = scope.where("r")
    cases, notified, notifications = db.execute(
        "SELECT count(DISTINCT c.report_id), "
        "count(DISTINCT CASE WHEN c.abuse_notification THEN c.report_id END), "
        "coalesce(sum(c.abuse_notification), 0) FROM coordination AS c "
        "JOIN reports AS r ON r.id = c.report_id "
        f"WHERE c.contacted_at >= ? AND c.contacted_at < ? AND {where}",
        [_iso(low), _iso(high), *params],
    ).fetchone()
    return cases, Tally(notified, notifications)


def _watch(db: Database, low: datetime, high: datetime, scope: Scope) -> tuple[int, int]:
    where, params = scope.where("r")
    flagged, coordinated = db.execute(
        "SELECT count(*), coalesce(sum(EXISTS (SELECT 1 FROM coordination AS c "
        "WHERE c.report_id = r.id AND c.contacted_at >= r.watch_set_at "
        "AND c.contacted_at < ?)), 0) "
        f"FROM reports AS r WHERE r.watch_set_at >= ? AND r.watch_set_at < ? AND {where}",
        [_iso(high), _iso(low), _iso(high), *params],
    ).fetchone()
    return flagged, coordinated


def caseload(db: Database, start: date, end: date, scope: Scope = CENTRE) -> Caseload:
    """Everything the annual report counts for the city's days `start` to `end` (inclusive)."""
    if (
        scope.kind == "school"
        and not db.execute("SELECT 1 FROM schools WHERE id = ?", [scope.school_id]).fetchone()
    ):
        raise StatisticsError("not_found")
    low, high = period_bounds(city_zone(db), start, end)
    watch_cases, watch_coordinated = _watch(db, low, high, scope)
    coordination_cases, notifications = _coordination_totals(db, low, high, scope)
    return Caseload(
        start=start,
        end=end,
        scope=scope,
        contacts=_contact_tallies(db, low, high, scope),
        watch_cases=watch_cases,
        watch_coordinated=watch_coordinated,
        coordination_cases=coordination_cases,
        agencies=_coordination(db, low, high, scope, "agency"),
        activities=_coordination(db, low, high, scope, "activity"),
        notifications=notifications,
    )


def is_adult(consulter: str) -> bool:
    return consulter != CHILD


ORDERS = {
    "method": CONTACT_METHODS,
    "consulter": CONSULTERS,
    "agency": AGENCIES,
    "activity": COORDINATION_ACTIVITIES,
}
