"""The centre's figures: every table checked against counts made independently in the test
(plain Python over the stored rows), small-number protection attacked by a reader who has
every published table, and the CSV and Excel files."""

import csv
import io
import subprocess
import sys
from datetime import UTC, date, datetime

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from school_report.admin_log import COMMAND_LINE
from school_report.annual_report import Scope
from school_report.annual_tables import annual_report
from school_report.retention import purge_expired_cases
from school_report.settings import set_setting
from school_report.small_numbers import Links, suppress
from school_report.statistics import (
    StatisticsError,
    Table,
    figures,
    fixed_grade,
    set_threshold,
    threshold,
)
from school_report.statistics_tables import (
    laid_out,
    own_lines,
    publication_sections,
    report_tables,
    share,
)
from tests.statistics_attack import Knowledge, World, pinned, read_publication, read_table
from tests.statistics_data import expected, generate

FY2025 = (date(2025, 4, 1), date(2026, 3, 31))
DERIVED = ("total", "share", "reports_share", "contacts_share")


def _comparable(rows: dict) -> dict:
    """The counts without totals, shares and zeros, so the independent count need not list
    them."""
    kept = {}
    for row, cells in rows.items():
        if row == "total":
            continue
        cells = {
            column: value
            for column, value in cells.items()
            if column not in DERIVED and value not in (0, None)
        }
        if cells:
            kept[row] = cells
    return kept


def _tables(db, start, end, school_id=None, **options) -> dict[str, Table]:
    publication = report_tables(db, start, end, school_id, **options)
    return {table.name: table for table in publication.tables}


def assert_figures_match(db, start, end, school_id=None):
    tables = _tables(db, start, end, school_id)
    for name, rows in expected(db, start, end, school_id).items():
        if name == "by_school" and school_id is not None:
            assert name not in tables
        elif name == "response_times":
            assert tables[name].as_dict() == rows
        else:
            assert _comparable(tables[name].as_dict()) == _comparable(rows), name
    for table in tables.values():
        assert_totals_add_up(table)
    return tables


def assert_totals_add_up(table: Table) -> None:
    counted = [i for i, (_, key) in enumerate(table.columns) if key not in DERIVED[1:]]
    cells = table.cells
    if table.total_row:
        for column in counted:
            assert cells[-1][column] == sum(row[column] for row in cells[:-1]), table.name
    if table.total_column:
        for row in cells:
            assert row[counted[-1]] == sum(row[c] for c in counted[:-1]), table.name


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


def _contacts(db) -> int:
    return _tables(db, *FY2025)["contacts"].as_dict()["total"]["count"]


def test_a_reply_waiting_for_a_supervisor_is_a_contact_once_approved(db, generated):
    report_id = db.execute(
        "SELECT id FROM reports WHERE created_at >= '2025-06-01' LIMIT 1"
    ).fetchone()[0]
    before = _contacts(db)
    message_id = db.execute(
        "INSERT INTO messages (report_id, author, body, pupil_visible, review_state, created_at) "
        "VALUES (?, 'staff', 'draft', 0, 'pending', '2025-07-01T00:00:00+00:00')",
        [report_id],
    ).lastrowid
    assert _contacts(db) == before
    db.execute(
        "UPDATE messages SET pupil_visible = 1, review_state = 'approved' WHERE id = ?",
        [message_id],
    )
    assert _contacts(db) == before + 1
    assert_figures_match(db, *FY2025)


def test_a_school_that_changes_kind_is_counted_under_its_new_kind(db, generated):
    school_id = generated[0]  # an elementary school
    db.execute("UPDATE schools SET kind = 'high' WHERE id = ?", [school_id])
    # Whole months come from kept counts, the days around them from the reports: both read
    # the school's kind as it is now.
    assert_figures_match(db, *FY2025)
    assert_figures_match(db, date(2025, 5, 17), date(2025, 9, 2))
    own = assert_figures_match(db, *FY2025, school_id=school_id)
    totals = own["by_level"].as_dict()["total"]
    assert totals["high"] == totals["total"] and totals["elementary"] == 0
    grades = own["by_grade"].as_dict()
    assert "high|1" in grades and "elementary|5" not in grades


def test_purged_cases_leave_the_figures_of_their_year_as_they_were(db, generated):
    city = report_tables(db, *FY2025)
    published = report_tables(db, *FY2025, publish=True)
    school = report_tables(db, *FY2025, generated[2], publish=True)
    closed = db.execute("SELECT count(*) FROM reports WHERE status = 'closed'").fetchone()[0]
    result = purge_expired_cases(db, now=datetime(2031, 1, 1, tzinfo=UTC))
    assert result.cases == closed > 0
    assert db.execute("SELECT count(*) FROM reports WHERE status = 'closed'").fetchone()[0] == 0
    assert report_tables(db, *FY2025).tables == city.tables
    assert report_tables(db, *FY2025, publish=True).tables == published.tables
    assert report_tables(db, *FY2025, generated[2], publish=True).tables == school.tables


def test_a_period_outside_the_years_or_reversed_or_endless_is_refused(db):
    for start, end, reason in (
        (date(2025, 5, 1), date(2025, 4, 1), "period_reversed"),
        (date(2015, 1, 1), date(2025, 1, 1), "period_too_long"),
        (date(9999, 12, 31), date(9999, 12, 31), "bad_date"),
        (date(1, 1, 1), date(2025, 1, 1), "bad_date"),
        (date(2025, 1, 1), date(2101, 1, 1), "bad_date"),
    ):
        with pytest.raises(StatisticsError) as refused:
            report_tables(db, start, end)
        assert refused.value.reason == reason


def test_published_figures_count_whole_months_only(db, generated):
    # Oct 2 - 31 beside Oct 1 - 31 would show Oct 1's reports alone.
    with pytest.raises(StatisticsError) as refused:
        report_tables(db, date(2025, 10, 2), date(2025, 10, 31), publish=True)
    assert refused.value.reason == "whole_months"
    with pytest.raises(StatisticsError):
        report_tables(db, date(2025, 10, 1), date(2025, 10, 30), generated[0], publish=True)
    assert report_tables(db, date(2025, 10, 1), date(2025, 11, 30), publish=True).tables


def _school_with_reports(db, kind: str, *times: str, recipient: str = "nurse") -> int:
    school_id = db.execute(
        "INSERT INTO schools (name, kind, created_at) VALUES (?, ?, '2025-01-01')",
        [f"School {kind} {len(times)} {recipient}", kind],
    ).lastrowid
    topic_id = db.execute("SELECT id FROM topics LIMIT 1").fetchone()[0]
    for number, at in enumerate(times):
        db.execute(
            "INSERT INTO reports (school_id, topic_id, recipient, answered_by, language, urgency, "
            "status, code_hash, submission_key, created_at, last_pupil_message_at) "
            "VALUES (?, ?, ?, ?, 'ja', 'normal', 'new', ?, ?, ?, ?)",
            [
                school_id,
                topic_id,
                recipient,
                recipient,
                f"h{school_id}-{number}",
                f"k{school_id}-{number}",
                at,
                at,
            ],
        )
    return school_id


def test_a_publication_with_fewer_reports_than_the_threshold_shows_nothing(db, generated):
    school_id = _school_with_reports(
        db, "junior_high", "2025-06-03T01:00:00+00:00", "2025-06-09T01:00:00+00:00"
    )
    june = (date(2025, 6, 1), date(2025, 6, 30))
    published = report_tables(db, *june, school_id, publish=True)
    assert published.tables == [] and published.notes == ("too_few_reports",)
    assert report_tables(db, *june, school_id).tables  # the centre's own view shows them


def test_reports_sent_to_the_centre_are_left_out_of_a_schools_publication(db, generated):
    sent = ["2025-06-03T01:00:00+00:00", "2025-06-09T01:00:00+00:00", "2025-06-10T01:00:00+00:00"]
    school_id = _school_with_reports(db, "high", *sent)
    db.execute(
        "UPDATE reports SET recipient = 'centre', answered_by = 'centre' WHERE school_id = ? "
        "AND created_at = ?",
        [school_id, sent[0]],
    )
    june = (date(2025, 6, 1), date(2025, 6, 30))
    published = _tables(db, *june, school_id, publish=True)
    assert published == {}  # two reports to the school: fewer than the threshold
    own = _tables(db, *june, school_id)  # the centre's own view counts all three
    assert own["overview"].cells[0][0] == 3
    assert own["by_channel"].as_dict()["centre"]["reports"] == 1
    city = _tables(db, *june, publish=True)["by_school"].as_dict()
    assert city["School high 3 nurse"]["reports"] in (2, "x")


# ---------------------------------------------------------------------------------------------
# Grades, shares, hours, the threshold


@pytest.mark.parametrize(
    ("kind", "written", "grade"),
    [
        ("elementary", "5", "5"),
        ("elementary", "5年", "5"),
        ("elementary", "５年生", "5"),
        ("elementary", "小学5年", "5"),
        ("elementary", "五年", "5"),
        ("elementary", "ごねん", "5"),
        ("elementary", " ３ ", "3"),
        ("elementary", "7", "none"),
        ("elementary", "中1", "none"),
        ("junior_high", "中2", "2"),
        ("junior_high", "4", "none"),
        ("high", "高校1年", "1"),
        ("high", "せんせい", "none"),
        ("high", None, "none"),
    ],
)
def test_a_grade_is_one_of_the_fixed_grades_of_the_school_kind(kind, written, grade):
    assert fixed_grade(kind, written) == grade


def test_no_table_shows_what_a_pupil_wrote_as_their_grade(db, generated):
    tables = _tables(db, *FY2025)
    written = {row[0] for row in db.execute("SELECT DISTINCT grade FROM reports") if row[0]}
    for table in tables.values():
        for kind, key in table.rows:
            assert key not in written or kind in ("weekday", "hour", "named"), (table.name, key)
    grades = tables["by_grade"].as_dict()
    assert "elementary|5" in grades and "5年" not in grades and "none" in grades


def test_shares_are_each_count_over_the_total_rounded_half_up(db, generated):
    tables = _tables(db, *FY2025)
    channel = tables["by_channel"].as_dict()
    for cells in channel.values():
        assert cells["reports_share"] == share(cells["reports"], channel["total"]["reports"])
        assert cells["contacts_share"] == share(cells["contacts"], channel["total"]["contacts"])
    assert channel["total"]["reports_share"] == 100.0
    assert sum(tables["by_level"].column("share")[:-1]) == pytest.approx(100, abs=0.5)
    assert share(1, 8) == 12.5 and share(1, 16) == 6.3 and share(2, 3) == 66.7
    top = tables["top_sub_items"].as_dict()
    total = tables["by_sub_item"].as_dict()["total"]["contacts"]
    assert all(cells["share"] == share(cells["contacts"], total) for cells in top.values())


def test_a_city_in_a_half_hour_zone_counts_its_own_hours(db):
    set_setting(db, "timezone", "Asia/Kolkata")  # UTC+5:30
    _school_with_reports(db, "elementary", "2025-06-10T18:20:00+00:00", "2025-06-10T18:40:00+00:00")
    hours = _tables(db, date(2025, 6, 1), date(2025, 6, 30))["by_hour"].as_dict()
    assert hours["23"]["reports"] == 1  # 23:50 on the 10th, local time
    assert hours["0"]["reports"] == 1  # 00:10 on the 11th
    days = _tables(db, date(2025, 6, 11), date(2025, 6, 11))["overview"]
    assert days.cells[0][0] == 1


def test_the_city_sets_the_threshold_and_it_is_logged(db, generated):
    for refused in (1, 0, 101):
        with pytest.raises(StatisticsError):
            set_threshold(db, refused, COMMAND_LINE)
    set_threshold(db, 5, COMMAND_LINE)
    assert threshold(db) == 5
    logged = db.execute(
        "SELECT old_value, new_value FROM admin_log "
        "WHERE action = 'setting' AND subject = 'statistics_threshold'"
    ).fetchall()
    assert logged == [("3", "5")]
    published = _tables(db, *FY2025, generated[0], publish=True)
    cells = [cell for table in published.values() for row in table.cells for cell in row]
    assert not any(isinstance(cell, int) and 0 < cell < 5 for cell in cells)


# ---------------------------------------------------------------------------------------------
# Small-number protection, attacked


def _grid(cells, total_row=True, total_column=False) -> Table:
    from school_report.statistics_tables import _table

    rows = [("text", f"r{i}") for i in range(len(cells))]
    columns = [("text", f"c{i}") for i in range(len(cells[0]))]
    return _table("t", rows, columns, cells, total_row=total_row, total_column=total_column)


def _protected(table: Table, limit: int = 3) -> Table:
    """The table alone as a publication: its own sums, nothing fixed."""
    shown = {key: cell for key, _, _, cell in table.keyed_cells()}
    hidden = suppress(shown, Links(own_lines(table)), limit)
    cells = [list(row) for row in table.cells]
    for key, row, column, _ in table.keyed_cells():
        if key in hidden:
            cells[row][column] = "x"
    return Table(
        table.name,
        table.rows,
        table.columns,
        tuple(map(tuple, cells)),
        table.total_row,
        table.total_column,
    )


def _attack(table: Table, shown: Table, limit: int = 3) -> list:
    knowledge = Knowledge()
    read_table(knowledge, "t", shown.as_dict(), table.total_row, table.total_column)
    truth = {("t", *key[1:]): cell for key, _, _, cell in table.keyed_cells()}
    return pinned(knowledge, truth, limit)


def _column(table: Table) -> list:
    return [row[0] for row in table.cells]


def test_two_small_counts_and_their_small_total_are_all_hidden():
    # [1, 1, 0]: a total of 2 shown as "<3" used to give both ones away.
    table = _grid([[1], [1], [0]])
    shown = _protected(table)
    assert _column(shown) == ["x", "x", 0, "x"]
    assert _attack(table, shown) == []


def test_a_small_count_is_sheltered_by_another_that_looks_the_same():
    # [1, 3, 20]: "x" for the 3 said "0 or at least 3", which gave 1 and 3 away.
    table = _grid([[1], [3], [20]])
    shown = _protected(table)
    assert _column(shown) == ["x", "x", 20, 24]
    assert _attack(table, shown) == []


def test_a_cross_table_of_small_counts_cannot_be_solved():
    table = _grid([[2, 3], [3, 1]], total_column=True)
    shown = _protected(table)
    assert shown.cells[0][0] == "x" and shown.cells[1][1] == "x"
    assert _attack(table, shown) == []


small_tables = st.integers(1, 4).flatmap(
    lambda width: st.lists(
        st.lists(st.sampled_from((0, 0, 1, 1, 2, 3, 4, 7, 12)), min_size=width, max_size=width),
        min_size=1,
        max_size=4,
    )
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=small_tables, total_column=st.booleans(), limit=st.sampled_from((2, 3, 4)))
def test_no_hidden_small_count_of_a_random_table_can_be_worked_out(cells, total_column, limit):
    table = _grid(cells, total_column=total_column)
    shown = _protected(table, limit)
    for _, row, column, cell in table.keyed_cells():
        if 0 < cell < limit:
            assert shown.cells[row][column] == "x"
    assert _attack(table, shown, limit) == []


def _world(db, city: bool) -> World:
    topics = {
        row[0]: (row[1], row[2])
        for row in db.execute("SELECT label_ja, category, sub_item FROM topics")
    }
    schools = dict(db.execute("SELECT name, kind FROM schools").fetchall())
    return World(topics, schools, city)


def _truth(db, start, end, school_id) -> dict:
    counted = figures(db, start, end, school_id, to_school_only=school_id is not None)
    sections, _ = publication_sections(db, counted, threshold(db))
    return {
        (table.name, row, column): cell
        for table in laid_out(sections)
        for row, cells in table.as_dict().items()
        for column, cell in cells.items()
    }


def _leaks(db, start, end, school_id=None) -> list:
    publication = report_tables(db, start, end, school_id, publish=True)
    if not publication.tables:
        return []
    tables = {table.name: table.as_dict() for table in publication.tables}
    knowledge = read_publication(tables, _world(db, school_id is None))
    return pinned(knowledge, _truth(db, start, end, school_id), publication.limit)


def test_no_published_small_count_of_the_generated_city_can_be_worked_out(db, generated):
    periods = [
        FY2025,
        (date(2025, 7, 1), date(2025, 7, 31)),
        (date(2025, 10, 1), date(2025, 12, 31)),
    ]
    hidden = 0
    for start, end in periods:
        for school_id in (None, *generated):
            assert _leaks(db, start, end, school_id) == [], (start, school_id)
        published = _tables(db, start, end, generated[0], publish=True)
        hidden += sum(cell == "x" for t in published.values() for row in t.cells for cell in row)
    assert hidden, "the schools' figures have small numbers to hide"


def test_every_published_cell_below_the_threshold_is_hidden(db, generated):
    for school_id in (None, *generated):
        for table in _tables(db, *FY2025, school_id, publish=True).values():
            for row in table.cells:
                counts = row if table.name != "response_times" else row[:1]
                assert not any(isinstance(c, int) and 0 < c < 3 for c in counts), table.name
            if table.name == "response_times":
                assert all(row[1:] == ("x", "x") for row in table.cells if row[0] == "x")


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


def _school_admin(path, *args):
    return subprocess.run(
        [sys.executable, "-m", "school_admin", *args, "--db", str(path)],
        capture_output=True,
        env={"PATH": "/usr/bin:/bin"},
    )


def _stats(path, *args):
    return _school_admin(path, "stats", *args)


def test_the_csv_opens_in_excel_with_japanese_and_holds_the_figures(city_file, tmp_path):
    path, db, _ = city_file
    out = tmp_path / "year.csv"
    result = _stats(path, "--from", "2025-04-01", "--to", "2026-03-31", "--output", str(out))
    assert result.returncode == 0, result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert any("内部用" in row[0] for row in rows[:6] if row)
    channel = _tables(db, *FY2025)["by_channel"]
    start = next(i for i, row in enumerate(rows) if row == ["チャネル別（相談先）"])
    assert rows[start + 1] == ["", "受付件数", "割合（%）", "メッセージ数", "割合（%）"]
    assert rows[start + 2] == ["養護教諭", *map(str, channel.cells[0])]
    assert rows[start + 5] == ["合計", *map(str, channel.cells[3])]


def test_a_schools_excel_file_is_protected_unless_asked_for_internal(city_file, tmp_path):
    path, db, schools = city_file
    name = db.execute("SELECT name FROM schools WHERE id = ?", [schools[1]]).fetchone()[0]
    out = tmp_path / "school.xlsx"
    period = ("--from", "2025-04-01", "--to", "2026-03-31", "--format", "xlsx", "--school", name)
    result = _stats(path, *period, "--output", str(out))
    assert result.returncode == 0, result.stderr
    workbook = openpyxl.load_workbook(out)
    tables = report_tables(db, *FY2025, schools[1], publish=True).tables
    annual = annual_report(db, *FY2025, Scope("school", schools[1]), publish=True).tables
    assert workbook.sheetnames[0] == "表紙"  # what the file counts, before the tables
    assert workbook.sheetnames[-1] == "注記"  # and the definitions after them
    assert len(workbook.sheetnames) == len(annual) + len(tables) + 2
    values = list(workbook["時間帯別"].iter_rows(values_only=True))
    assert any(name in str(row[0]) for row in values[:3])
    hours = next(table for table in tables if table.name == "by_hour")
    first = values.index((None, "受付件数"))
    assert [row[1] for row in values[first + 1 :]] == [row[0] for row in hours.cells]
    assert any(row[1] == "x" for row in values[first + 1 :])
    internal = tmp_path / "internal.xlsx"
    assert _stats(path, *period, "--internal", "--output", str(internal)).returncode == 0
    sheet = openpyxl.load_workbook(internal)["時間帯別"]
    assert any("内部用" in str(row[0]) for row in sheet.iter_rows(values_only=True))


def test_a_school_named_like_a_formula_stays_text_in_csv_and_excel(city_file, tmp_path):
    path, db, schools = city_file
    evil = '=HYPERLINK("http://evil.example/","click")'
    db.execute("UPDATE schools SET name = ? WHERE id = ?", [evil, schools[0]])
    out_csv, out_xlsx = tmp_path / "city.csv", tmp_path / "city.xlsx"
    period = ("--from", "2025-04-01", "--to", "2026-03-31")
    assert _stats(path, *period, "--output", str(out_csv)).returncode == 0
    rows = list(csv.reader(io.StringIO(out_csv.read_text(encoding="utf-8-sig"))))
    assert [row[0] for row in rows if row and evil in row[0]] == ["'" + evil]
    assert not any(row and row[0].startswith(("=", "+", "-", "@")) for row in rows)
    assert _stats(path, *period, "--format", "xlsx", "--output", str(out_xlsx)).returncode == 0
    sheet = openpyxl.load_workbook(out_xlsx)["学校別"]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == evil]
    assert cells and all(cell.data_type == "s" for cell in cells)


def test_the_stats_command_refuses_a_bad_period_in_one_line(city_file):
    path, *_ = city_file
    for args in (
        ("--from", "2025-04-01", "--to", "2025-03-01"),
        ("--from", "soon", "--to", "x"),
        ("--from", "9999-12-31", "--to", "9999-12-31"),
        ("--from", "0001-01-01", "--to", "2025-03-01"),
        ("--from", "2025-04-02", "--to", "2025-04-30", "--publish"),
    ):
        result = _stats(path, *args)
        assert result.returncode == 2, args
        assert b"Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_the_stats_threshold_command_sets_it_for_every_publication(city_file):
    path, db, _ = city_file
    assert _school_admin(path, "stats-threshold", "1").returncode == 2
    result = _school_admin(path, "stats-threshold", "4")
    assert result.returncode == 0, result.stderr
    assert threshold(db) == 4


def _school_with_one_report(db) -> str:
    """A new school whose pupils sent one report to their school team in fiscal year 2025."""
    name = "ひとつ小学校"
    school_id = db.execute(
        "INSERT INTO schools (name, kind, created_at) VALUES (?, 'elementary', ?)",
        [name, "2025-01-01T00:00:00+00:00"],
    ).lastrowid
    at = "2025-06-02T01:00:00+00:00"
    report_id = db.execute(
        "INSERT INTO reports (school_id, topic_id, recipient, answered_by, urgency, code_hash, "
        "submission_key, created_at, last_pupil_message_at) "
        "VALUES (?, (SELECT min(id) FROM topics), 'school_team', 'school_team', 'normal', "
        "'one-code', 'one-key', ?, ?)",
        [school_id, at, at],
    ).lastrowid
    db.execute(
        "INSERT INTO messages (report_id, author, body, created_at) VALUES (?, 'pupil', 'x', ?)",
        [report_id, at],
    )
    return name


def test_a_school_with_fewer_reports_than_the_threshold_exports_a_file_saying_so(
    city_file, tmp_path
):
    path, db, _ = city_file
    name = _school_with_one_report(db)
    out = tmp_path / "one.xlsx"
    period = ("--from", "2025-04-01", "--to", "2026-03-31", "--school", name)
    result = _stats(path, *period, "--publish", "--format", "xlsx", "--output", str(out))
    assert result.returncode == 0, result.stderr
    workbook = openpyxl.load_workbook(out)
    lines = [row[0] for sheet in workbook for row in sheet.iter_rows(values_only=True)]
    assert any("表は表示しません" in str(line) for line in lines), lines
    assert _stats(path, *period, "--publish", "--output", str(tmp_path / "one.csv")).returncode == 0
