"""Published annual tables are frozen. Publishing a period stores its tables as shown (revision
0); later changes to its cases (a contact recorded late, a case moved to the centre) never
change them: publishing again stores a dated revision beside them, with the cells it changes,
and the page says when the live figures differ from the latest one."""

import json
from dataclasses import dataclass
from datetime import date

from sqlite_utils import Database

from school_report.admin_log import Actor, record
from school_report.annual_report import Scope
from school_report.annual_tables import AnnualReport
from school_report.clock import now_iso
from school_report.db import transaction
from school_report.statistics import Cell, Table


@dataclass(frozen=True)
class Change:
    table: str
    row: str
    column: str
    before: Cell
    after: Cell


@dataclass(frozen=True)
class Revision:
    number: int  # 0: as first published
    published_at: str
    tables: list[Table]
    changes: tuple[Change, ...] = ()  # from the revision before


def _scope_key(scope: Scope) -> str:
    return scope.kind if scope.school_id is None else f"school:{scope.school_id}"


def _stored(tables: list[Table]) -> str:
    return json.dumps(
        [
            {
                "name": table.name,
                "rows": table.rows,
                "columns": table.columns,
                "cells": table.cells,
                "total_row": table.total_row,
                "ids": table.ids,
            }
            for table in tables
        ],
        ensure_ascii=False,
    )


def _read(text: str) -> list[Table]:
    return [
        Table(
            item["name"],
            tuple(tuple(row) for row in item["rows"]),
            tuple(tuple(column) for column in item["columns"]),
            tuple(tuple(row) for row in item["cells"]),
            total_row=item["total_row"],
            ids=tuple(item["ids"]),
        )
        for item in json.loads(text)
    ]


def changes(before: list[Table], after: list[Table]) -> tuple[Change, ...]:
    """Every cell that differs between two versions of the same tables."""
    old = {key: cell for table in before for key, _, _, cell in table.keyed_cells()}
    new = {key: cell for table in after for key, _, _, cell in table.keyed_cells()}
    return tuple(
        Change(*key, old.get(key), new.get(key))
        for key in [*old, *(key for key in new if key not in old)]
        if old.get(key) != new.get(key)
    )


def revisions(db: Database, start: date, end: date, scope: Scope, protected: bool):
    """The publication of the period and its revisions, oldest first (none: not published)."""
    rows = db.execute(
        "SELECT revision, published_at, tables FROM statistics_publications "
        "WHERE period_start = ? AND period_end = ? AND scope = ? AND protected = ? "
        "ORDER BY revision",
        [start.isoformat(), end.isoformat(), _scope_key(scope), int(protected)],
    ).fetchall()
    found: list[Revision] = []
    for number, published_at, text in rows:
        tables = _read(text)
        since = changes(found[-1].tables, tables) if found else ()
        found.append(Revision(number, published_at, tables, since))
    return found


def publish(db: Database, report: AnnualReport, by: Actor) -> Revision | None:
    """Store the report's tables as published, or as a dated revision when they differ from
    the latest one; None when nothing changed since."""
    with transaction(db):
        before = revisions(db, report.start, report.end, report.scope, report.protected)
        if before and not changes(before[-1].tables, report.tables):
            return None
        number, at = len(before), now_iso()
        db.execute(
            "INSERT INTO statistics_publications (period_start, period_end, scope, protected, "
            "revision, tables, published_at, staff_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                report.start.isoformat(),
                report.end.isoformat(),
                _scope_key(report.scope),
                int(report.protected),
                number,
                _stored(report.tables),
                at,
                by.staff_id,
            ],
        )
        period = f"{report.start.isoformat()} – {report.end.isoformat()}"
        record(
            db,
            by,
            "statistics.revise" if number else "statistics.publish",
            f"annual tables {period} ({_scope_key(report.scope)})",
            new={"revision": number},
        )
    since = changes(before[-1].tables, report.tables) if before else ()
    return Revision(number, at, report.tables, since)


@dataclass(frozen=True)
class Frozen:
    """What the page shows of a period: the tables as first published (or the live ones when
    never published), the dated revisions, and what the live figures change since the last."""

    report: AnnualReport
    revisions: list[Revision]
    unrecorded: tuple[Change, ...]


def frozen(db: Database, live: AnnualReport) -> Frozen:
    found = revisions(db, live.start, live.end, live.scope, live.protected)
    if not found:
        return Frozen(live, [], ())
    shown = AnnualReport(
        live.start, live.end, live.scope, found[0].tables, live.protected, live.limit, live.notes
    )
    return Frozen(shown, found, changes(found[-1].tables, live.tables))
