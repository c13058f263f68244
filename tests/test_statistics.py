"""The centre's figures: every table checked against counts made independently in the test
(plain Python over the stored rows), small-number protection, and the CSV and Excel files."""

import csv
import io
import subprocess
import sys
from datetime import date

import openpyxl
import pytest

from school_report.statistics import Table, figures, protect, report_tables
from tests.statistics_data import expected, generate

FY2025 = (date(2025, 4, 1), date(2026, 3, 31))


def _comparable(rows: dict) -> dict:
    """The counts without totals and zeros, so the independent count need not list them."""
    kept = {}
    for row, cells in rows.items():
        if row == "total":
            continue
        cells = {
            column: value
            for column, value in cells.items()
            if column != "total" and value not in (0, None)
        }
        if cells:
            kept[row] = cells
    return kept


def assert_figures_match(db, start, end, school_id=None):
    tables = {table.name: table for table in report_tables(db, start, end, school_id)}
    independent = expected(db, start, end, school_id)
    for name, rows in independent.items():
        if name == "by_school" and school_id is not None:
            assert name not in tables
            continue
        if name == "response_times":
            assert tables[name].as_dict() == rows
            continue
        assert _comparable(tables[name].as_dict()) == _comparable(rows), name
    for table in tables.values():
        assert_totals_add_up(table)
    return tables


def assert_totals_add_up(table: Table) -> None:
    cells = table.cells
    if table.total_row:
        for column in range(len(table.columns)):
            assert cells[-1][column] == sum(row[column] for row in cells[:-1]), table.name
    if table.total_column:
        for row in cells:
            assert row[-1] == sum(row[:-1]), table.name


@pytest.fixture
def generated(db):
    return generate(db)


def test_a_fiscal_years_figures_are_the_counts_of_its_reports(db, generated):
    tables = assert_figures_match(db, *FY2025)
    # The reports of the city's first and last second of the year are in, the next ones not.
    created = [row[0] for row in db.execute("SELECT created_at FROM reports")]
    in_year = [
        at for at in created if "2025-03-31T15:00:00+00:00" <= at < "2026-03-31T15:00:00+00:00"
    ]
    assert tables["overview"].as_dict()["reports"]["count"] == len(in_year) < len(created)


@pytest.mark.parametrize(
    "period",
    [
        (date(2025, 6, 3), date(2025, 6, 3)),  # one day: the reports alone
        (date(2025, 5, 17), date(2025, 9, 2)),  # days, then months, then days
        (date(2025, 7, 1), date(2025, 7, 31)),  # a month in the city's zone
    ],
)
def test_any_period_is_counted_exactly(db, generated, period):
    assert_figures_match(db, *period)


def test_one_schools_figures_are_its_own(db, generated):
    tables = assert_figures_match(db, *FY2025, school_id=generated[4])
    assert "by_school" not in tables


def test_figures_follow_case_work_and_deletions(db, generated):
    report_id = db.execute("SELECT id FROM reports WHERE status != 'closed' LIMIT 1").fetchone()[0]
    db.execute(
        "UPDATE reports SET status = 'closed', outcome = 'resolved', watch_case = 1, "
        "closed_at = datetime(created_at, '+3 days') WHERE id = ?",
        [report_id],
    )
    db.execute(
        "INSERT INTO messages (report_id, author, body, created_at) "
        "VALUES (?, 'pupil', 'more', '2025-08-01T00:00:00+00:00')",
        [report_id],
    )
    gone = db.execute(
        "SELECT id FROM reports WHERE id != ? LIMIT 1 OFFSET 40", [report_id]
    ).fetchone()[0]
    for table in ("messages", "coordination", "hand_overs"):
        db.execute(f"DELETE FROM {table} WHERE report_id = ?", [gone])
    db.execute("DELETE FROM reports WHERE id = ?", [gone])
    assert_figures_match(db, *FY2025)


def test_a_reversed_or_endless_period_is_refused(db):
    from school_report.statistics import StatisticsError

    for start, end in ((date(2025, 5, 1), date(2025, 4, 1)), (date(2015, 1, 1), date(2025, 1, 1))):
        with pytest.raises(StatisticsError):
            figures(db, start, end)


# ---------------------------------------------------------------------------------------------
# Small-number protection


def _table(cells, total_row=True, total_column=False):
    rows = [("text", f"r{i}") for i in range(len(cells))]
    columns = [("text", f"c{i}") for i in range(len(cells[0]))]
    if total_column:
        columns.append(("total", "total"))
        cells = [[*row, sum(row)] for row in cells]
    if total_row:
        rows.append(("total", "total"))
        cells = [*cells, [sum(column) for column in zip(*cells, strict=True)]]
    return Table(
        "t", tuple(rows), tuple(columns), tuple(map(tuple, cells)), total_row, total_column
    )


def _hidden_per_line(table: Table) -> list[int]:
    lines = []
    grid = table.cells
    if table.total_row:
        lines += [[row[c] for row in grid] for c in range(len(table.columns))]
    if table.total_column:
        lines += [list(row) for row in grid]
    return [sum(isinstance(cell, str) for cell in line) for line in lines]


def test_a_small_count_is_hidden_and_its_total_cannot_give_it_away():
    shown = protect(_table([[12], [2], [7], [0]]), 3)
    assert [row[0] for row in shown.cells] == [12, "<3", "x", 0, 21]


def test_two_small_counts_whose_sum_gives_them_away_get_company():
    # 1 + 1 = 2 could only be 1 and 1: a third count is hidden too.
    shown = protect(_table([[1], [1], [9], [15]]), 3)
    assert [row[0] for row in shown.cells] == ["<3", "<3", "x", 15, 26]
    # 1 + 2 = 3 could be 1 + 2 or 2 + 1: nothing more to hide.
    shown = protect(_table([[1], [2], [9]]), 3)
    assert [row[0] for row in shown.cells] == ["<3", "<3", 9, 12]


def test_a_cross_table_hides_cells_in_rows_and_columns_and_totals_when_needed():
    shown = protect(_table([[20, 2, 8], [10, 9, 30], [0, 0, 1]], total_column=True), 3)
    assert shown.cells[0][1] == "<3"
    assert shown.cells[2][2] == "<3"
    # every row and column that hides anything hides at least two of its cells or total
    assert all(count != 1 for count in _hidden_per_line(shown))
    # the total row of a single small count cannot show it either
    assert shown.cells[2][3] != 1


def test_a_protected_year_never_leaves_one_hidden_cell_alone_in_a_line(db, generated):
    tables = report_tables(db, *FY2025, school_id=generated[0], publish=True)
    hidden = 0
    for table in tables:
        assert all(count != 1 for count in _hidden_per_line(table)), table.name
        for row in table.cells:
            for cell in row:
                assert not (isinstance(cell, int) and 0 < cell < 3), table.name
                hidden += isinstance(cell, str)
    assert hidden, "a school's year has small numbers to hide"
    times = next(table for table in tables if table.name == "response_times")
    for row in times.cells:
        if row[0] == "<3":
            assert row[1:] == ("x", "x")


# ---------------------------------------------------------------------------------------------
# Exports from the command line


@pytest.fixture
def city_file(tmp_path):
    from school_report.db import connect
    from school_report.migrations import migrate

    path = tmp_path / "city.db"
    db = connect(path)
    migrate(db)
    schools = generate(db, reports=300)
    return path, db, schools


def _stats(path, *args):
    return subprocess.run(
        [sys.executable, "-m", "school_admin", "stats", "--db", str(path), *args],
        capture_output=True,
        env={"PATH": "/usr/bin:/bin"},
    )


def test_the_csv_opens_in_excel_with_japanese_and_holds_the_figures(city_file, tmp_path):
    path, db, _ = city_file
    out = tmp_path / "year.csv"
    result = _stats(path, "--from", "2025-04-01", "--to", "2026-03-31", "--output", str(out))
    assert result.returncode == 0, result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    channel = {table.name: table for table in report_tables(db, *FY2025)}["by_channel"]
    start = next(i for i, row in enumerate(rows) if row == ["チャネル別（相談先）"])
    assert rows[start + 1] == ["", "実件数", "延べ件数"]
    assert rows[start + 2] == ["養護教諭", *map(str, channel.cells[0])]
    assert rows[start + 5] == ["合計", *map(str, channel.cells[3])]


def test_the_excel_file_has_a_sheet_per_table_with_numbers_and_hidden_counts(city_file, tmp_path):
    path, db, schools = city_file
    name = db.execute("SELECT name FROM schools WHERE id = ?", [schools[1]]).fetchone()[0]
    out = tmp_path / "school.xlsx"
    result = _stats(
        path,
        "--from",
        "2025-04-01",
        "--to",
        "2026-03-31",
        "--format",
        "xlsx",
        "--school",
        name,
        "--publish",
        "--output",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    workbook = openpyxl.load_workbook(out)
    tables = report_tables(db, *FY2025, school_id=schools[1], publish=True)
    assert len(workbook.sheetnames) == len(tables)
    sheet = workbook["時間帯別"]
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert any(name in str(row[0]) for row in values[:3])
    hours = next(table for table in tables if table.name == "by_hour")
    first = values.index((None, "実件数"))
    assert [row[1] for row in values[first + 1 :]] == [row[0] for row in hours.cells]
    assert any(row[1] == "<3" for row in values[first + 1 :])


def test_the_stats_command_refuses_a_bad_period_in_one_line(city_file):
    path, *_ = city_file
    for args in (("--from", "2025-04-01", "--to", "2025-03-01"), ("--from", "soon", "--to", "x")):
        result = _stats(path, *args)
        assert result.returncode == 2
        assert b"Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
