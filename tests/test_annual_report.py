"""The annual report as Sapporo counts it: contacts by their own date, never a staff reply;
cases with a contact in the period; scopes; every figure worked out by hand (tests/annual_data)."""

import csv
import io
import shutil
import sqlite3
import subprocess
import sys
from datetime import date

import openpyxl
import pytest

from school_report.admin_log import COMMAND_LINE
from school_report.annual_report import CENTRE, CITY, Scope, Tally, caseload
from school_report.annual_tables import annual_report
from school_report.contacts import ContactRefused, record_contact
from school_report.publications import Change, frozen, publish
from school_report.schools import find_school
from school_report.topics import CATEGORIES
from tests.annual_data import build, japan
from tests.statistics_attack import Knowledge, pinned, read_table
from tests.statistics_data import generate
from tests.support import csrf_token_in, log_in

FY2024 = (date(2024, 4, 1), date(2025, 3, 31))
FY2025 = (date(2025, 4, 1), date(2026, 3, 31))
FY2026 = (date(2026, 4, 1), date(2027, 3, 31))


@pytest.fixture
def annual(db):
    return build(db)


def _by_method(counted) -> dict[tuple[str, str], Tally]:
    return counted.by(lambda key: (key[4], key[5]))


def test_contacts_count_by_their_own_date_and_a_staff_reply_never(db, annual):
    year = caseload(db, *FY2025)
    assert year.total() == Tally(cases=4, contacts=8)  # A 2, B 3, C 2, E 1; never a reply
    assert caseload(db, *FY2024).total() == Tally(cases=2, contacts=3)  # A 1, F 2
    assert caseload(db, *FY2026).total() == Tally(cases=1, contacts=1)  # E after midnight


def test_a_case_counts_once_under_its_first_contact_in_the_period(db, annual):
    assert _by_method(caseload(db, *FY2025)) == {
        ("tablet", "child"): Tally(3, 4),  # A (carried over), B, E
        ("phone", "mother"): Tally(0, 1),  # B's call: B counts under the pupil's message
        ("email", "mother"): Tally(0, 1),  # recorded late, counted on its own date
        ("phone", "father"): Tally(1, 1),  # C opened by a call
        ("visit", "father"): Tally(0, 1),
    }


def test_a_month_or_a_day_counts_the_cases_with_a_contact_in_it(db, annual):
    april = caseload(db, date(2025, 4, 1), date(2025, 4, 30))
    assert april.total() == Tally(cases=1, contacts=2)  # A, carried over from March
    day = caseload(db, date(2025, 6, 5), date(2025, 6, 5))
    assert day.total() == Tally(cases=1, contacts=1)  # B's e-mail: B is a case that day
    july = caseload(db, date(2025, 7, 2), date(2025, 7, 31))
    assert _by_method(july) == {("visit", "father"): Tally(1, 1)}  # C, carried by the visit


def test_scopes_count_the_centre_a_school_or_the_whole_city(db, annual):
    assert caseload(db, *FY2025, CENTRE).total() == Tally(4, 8)
    assert caseload(db, *FY2025, CITY).total() == Tally(5, 10)  # and D, at the school
    school = Scope("school", annual.elementary)
    assert caseload(db, *FY2025, school).total() == Tally(1, 2)  # D only: B, C went to the centre


def test_a_case_handed_to_the_centre_moves_its_contacts_to_the_centre(db, annual):
    db.execute("UPDATE reports SET answered_by = 'centre' WHERE id = ?", [annual.cases["D"]])
    assert caseload(db, *FY2025, CENTRE).total() == Tally(5, 10)


def test_watch_cases_count_in_the_year_they_were_flagged(db, annual):
    assert (caseload(db, *FY2024).watch_cases, caseload(db, *FY2025).watch_cases) == (0, 1)
    assert caseload(db, *FY2025).watch_coordinated == 1


def test_coordination_counts_cases_and_times_by_agency_and_activity(db, annual):
    year = caseload(db, *FY2025)
    assert year.agencies == {"school": Tally(1, 1), "child_guidance_centre": Tally(1, 1)}
    assert year.activities == {"meeting": Tally(1, 1), "contact": Tally(1, 1)}
    assert year.coordination_cases == 1
    assert year.notifications == Tally(1, 1)


def test_a_deleted_message_is_no_longer_a_contact_and_the_next_one_opens_the_case(db, annual):
    first = db.execute(
        "SELECT min(id) FROM messages WHERE report_id = ?", [annual.cases["A"]]
    ).fetchone()[0]
    db.execute("DELETE FROM messages WHERE id = ?", [first])
    assert caseload(db, *FY2024).total() == Tally(1, 2)  # F only
    assert caseload(db, *FY2025).total() == Tally(4, 8)  # A now opens in April


def test_a_contact_is_refused_with_an_unknown_method_or_consulter(db, annual):
    at = japan("2025-06-03T10:00:00")
    for method, consulter in (("tablet", "child"), ("fax", "mother"), ("phone", "uncle")):
        with pytest.raises(ContactRefused):
            record_contact(db, annual.cases["B"], method, consulter, at)


# ---------------------------------------------------------------------------------------------
# The tables, against the figures worked out by hand


def _tables(db, *period, scope=CENTRE, publish=False) -> dict[str, dict]:
    report = annual_report(db, *period, scope, publish=publish)
    return {table.name: table.as_dict() for table in report.tables}


def test_the_summary_is_beside_last_year_with_the_change(db, annual):
    summary = _tables(db, *FY2025)["annual_summary"]
    assert summary["cases"] == {"count": 4, "count_previous": 2, "count_change": 1.0}
    assert summary["contacts"] == {"count": 8, "count_previous": 3, "count_change": 1.667}


def test_by_method_children_and_adults_first_contact_and_contacts(db, annual):
    by_method = _tables(db, *FY2025)["annual_by_method"]
    assert by_method["tablet"] == {
        "child_cases": 3,
        "child_contacts": 4,
        "adult_cases": 0,
        "adult_contacts": 0,
        "cases": 3,
        "cases_share": 0.75,
        "contacts": 4,
        "contacts_share": 0.5,
        "cases_previous": 2,
        "cases_change": 0.5,
        "contacts_previous": 3,
        "contacts_change": 0.333,
    }
    assert [by_method[m]["adult_contacts"] for m in ("phone", "email", "visit")] == [2, 1, 1]
    assert by_method["phone"]["cases"] == 1 and by_method["phone"]["cases_change"] is None
    assert by_method["total"]["cases"] == 4 and by_method["total"]["contacts"] == 8


def test_by_who_consulted_and_by_school_level(db, annual):
    tables = _tables(db, *FY2025)
    consulter, level = tables["annual_by_consulter"], tables["annual_by_level"]
    assert {row: (cells["cases"], cells["contacts"]) for row, cells in consulter.items()} == {
        "child": (3, 4),
        "mother": (0, 2),
        "father": (1, 2),
        "grandparent": (0, 0),
        "relative": (0, 0),
        "teacher": (0, 0),
        "other": (0, 0),
        "total": (4, 8),
    }
    assert level["elementary"]["cases"] == 2 and level["elementary"]["contacts"] == 5
    assert level["junior_high"]["contacts_previous"] == 3  # A and F in fiscal 2024
    assert level["junior_high"]["contacts_change"] == 0.0


def test_content_shares_are_of_contacts_to_one_decimal(db, annual):
    content = _tables(db, *FY2025)["annual_by_content"]
    assert content["home_life"]["contacts"] == 4 and content["home_life"]["contacts_share"] == 0.5
    assert content["親子・兄弟関係"]["contacts"] == 4  # B's three, E's one
    assert content["友人関係"] == {
        "contacts": 2,
        "contacts_share": 0.25,
        "contacts_previous": 1,
        "contacts_change": 1.0,
    }
    assert content["精神不安"]["contacts"] == 2 and content["total"]["contacts"] == 8


def test_the_top_sub_items_of_children_and_of_adults(db, annual):
    tables = _tables(db, *FY2025)
    children, adults = tables["annual_top_children"], tables["annual_top_adults"]
    assert {row: cells["contacts_share"] for row, cells in children.items()} == {
        "友人関係": 0.5,
        "親子・兄弟関係": 0.5,
    }
    assert list(adults) == ["精神不安", "親子・兄弟関係"]  # two each, in name order
    assert adults["精神不安"]["contacts"] == 2
    assert "annual_top_adults" not in _tables(db, *FY2024)  # only children wrote then


def test_watch_cases_coordination_and_notifications_in_the_year(db, annual):
    tables = _tables(db, *FY2025)
    assert tables["annual_watch"]["watch_cases"]["count"] == 1
    assert tables["annual_watch"]["watch_coordinated"]["count"] == 1
    assert _tables(db, *FY2024)["annual_watch"]["watch_cases"]["count"] == 0
    coordination = tables["annual_coordination"]
    assert coordination["school"]["cases"] == 1 and coordination["school"]["contacts"] == 1
    assert coordination["total"]["cases"] == 1 and coordination["total"]["contacts"] == 2
    assert tables["annual_activities"]["meeting"]["contacts"] == 1
    assert tables["annual_notifications"]["notifications"]["cases"] == 1


def test_a_published_view_hides_every_small_count_and_what_would_give_one_away(db, annual):
    tables = _tables(db, *FY2025, scope=CITY, publish=True)
    for name, rows in tables.items():
        for row, cells in rows.items():
            for column, cell in cells.items():
                if column.endswith(("_share", "_change")) or not isinstance(cell, int):
                    continue
                assert cell == 0 or cell >= 3, (name, row, column)
    assert tables["annual_summary"]["cases"]["count"] == 5  # the grand totals are shown
    assert "annual_top_children" not in tables


def test_a_school_with_fewer_cases_than_the_threshold_shows_no_table(db, annual):
    report = annual_report(db, *FY2025, Scope("school", annual.elementary), publish=True)
    assert report.protected and report.tables == [] and report.notes == ("too_few_reports",)


# ---------------------------------------------------------------------------------------------
# The page, the definitions and the workbook a board accepts


@pytest.fixture
def city_cases(city):
    return build(city.db)


@pytest.fixture
def centre_client(client, city, city_cases):
    log_in(client, city.staff("centre"))
    return client


YEAR = "from=2025-04-01&to=2026-03-31"


def test_the_page_shows_the_annual_tables_of_the_scope_asked_for(centre_client):
    page = centre_client.get(f"/staff/statistics?{YEAR}")
    assert page.status_code == 200
    assert "年報: センターの相談（センターが受け持つ事案）" in page.text
    summary = page.text.split('data-table="annual_summary"', 1)[1].split("</table>", 1)[0]
    assert "<td>4</td><td>2</td><td>+100.0%</td>" in summary
    assert 'aria-label="相談方法別の延べ件数"' in page.text  # drawn as bars
    city_page = centre_client.get(f"/staff/statistics?{YEAR}&caseload=city")
    assert "年報: 市全体（すべての相談先）" in city_page.text


def test_the_definitions_are_written_once_and_shown(centre_client):
    page = centre_client.get("/staff/statistics/definitions")
    assert page.status_code == 200
    assert "<dt>実件数</dt>" in page.text and "職員の返信は数えません" in page.text


def _workbook(client, query: str):
    response = client.get(f"/staff/statistics/export.xlsx?{query}")
    assert response.status_code == 200
    return response.content, openpyxl.load_workbook(io.BytesIO(response.content))


def test_the_workbook_has_formats_borders_print_settings_charts_and_notes(centre_client):
    _, workbook = _workbook(centre_client, YEAR)
    cover = [row[0] for row in workbook["表紙"].iter_rows(values_only=True)]
    assert "期間: 令和7年度（2025年度）（2025-04-01 – 2026-03-31）" in cover
    assert any(str(line).startswith("作成: ") and str(line).endswith(" JST") for line in cover)
    sheet = workbook["相談方法別（実件数は初回相談）"]
    header = next(row for row in sheet.iter_rows() if row[0].value is None and row[1].value)
    first = header[0].row + 1
    tablet = sheet[first]
    assert tablet[0].value == "タブレット" and tablet[5].value == 3
    assert tablet[5].number_format == "#,##0"
    assert tablet[6].value == 0.75 and tablet[6].number_format == "0.0%"
    assert all(cell.border.left.style == "thin" for cell in tablet)
    assert sheet.freeze_panes == f"B{first}"
    assert sheet.print_title_rows == f"$1:${first - 1}"
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4  # 9: A4
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert len(sheet._charts) == 1
    notes = {row[0]: row[1] for row in workbook["注記"].iter_rows(values_only=True)}
    assert "職員の返信は数えません" in notes["延べ件数"] and "伏せた数" in notes["x"]
    assert "学校別の合計は受付件数" in notes["受付件数"]


def test_a_share_of_the_tables_by_day_received_is_a_fraction_in_the_workbook(centre_client):
    _, workbook = _workbook(centre_client, YEAR)
    sheet = workbook["チャネル別（相談先）"]
    shares = [row[2] for row in sheet.iter_rows() if isinstance(row[2].value, float)]
    assert shares and all(0 <= cell.value <= 1 for cell in shares)
    assert all(cell.number_format == "0.0%" for cell in shares)


def test_libreoffice_converts_the_workbook_to_pdf(centre_client, tmp_path):
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is needed: `make libreoffice` installs it (make test does)"
    content, _ = _workbook(centre_client, YEAR)
    (tmp_path / "year.xlsx").write_bytes(content)
    result = subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), "year.xlsx"],
        cwd=tmp_path,
        capture_output=True,
        timeout=180,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    pdf = tmp_path / "year.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")


def test_a_view_whose_every_cell_is_hidden_still_exports_saying_so(client, city, city_cases):
    log_in(client, city.staff("admin"))
    query = f"{YEAR}&school={city_cases.elementary}"
    _, workbook = _workbook(client, query)
    lines = [row[0] for row in workbook["表紙"].iter_rows(values_only=True)]
    assert any("年報の表は表示しません" in str(line) for line in lines)
    assert client.get(f"/staff/statistics/export.csv?{query}").status_code == 200


# ---------------------------------------------------------------------------------------------
# Published years are frozen


def test_a_published_year_stays_as_published_and_later_changes_are_a_dated_revision(db, annual):
    published = publish(db, annual_report(db, *FY2025), COMMAND_LINE)
    assert published is not None and published.number == 0
    assert publish(db, annual_report(db, *FY2025), COMMAND_LINE) is None  # nothing changed
    record_contact(db, annual.cases["C"], "phone", "father", japan("2025-09-01T10:00:00"))
    shown = frozen(db, annual_report(db, *FY2025))
    summary = {table.name: table.as_dict() for table in shown.report.tables}["annual_summary"]
    assert summary["contacts"]["count"] == 8  # as published, not the live 9
    assert Change("annual_summary", "contacts", "count", 8, 9) in shown.unrecorded
    revised = publish(db, annual_report(db, *FY2025), COMMAND_LINE)
    assert revised.number == 1 and revised.published_at
    assert Change("annual_by_method", "phone", "adult_contacts", 2, 3) in revised.changes
    later = frozen(db, annual_report(db, *FY2025))
    assert [revision.number for revision in later.revisions] == [0, 1]
    assert later.report.tables == published.tables and later.unrecorded == ()
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE statistics_publications SET tables = '[]'")


def test_the_centre_publishes_a_year_on_the_page_and_a_late_contact_shows_as_a_change(
    centre_client, city, city_cases
):
    page = centre_client.get(f"/staff/statistics?{YEAR}")
    assert "この年報の表を公表する" in page.text
    form = {"csrf_token": csrf_token_in(page.text)}
    posted = centre_client.post(
        f"/staff/statistics/publish?{YEAR}&caseload=centre&publish=0",
        data=form,
        follow_redirects=False,
    )
    assert posted.status_code == 303
    record_contact(city.db, city_cases.cases["C"], "phone", "father", japan("2025-09-01T10:00"))
    page = centre_client.get(f"/staff/statistics?{YEAR}")
    assert "に公表しました。" in page.text and " JST" in page.text
    summary = page.text.split('data-table="annual_summary"', 1)[1].split("</table>", 1)[0]
    assert "<td>8</td>" in summary  # as published
    assert "相談件数（実件数・延べ件数） / 延べ件数 / 件数: 8 → 9" in page.text
    assert "日付つきの改訂を記録する" in page.text


def test_school_staff_cannot_publish(client, city, city_cases):
    name = city.db.execute(
        "SELECT name FROM schools WHERE id = ?", [city_cases.elementary]
    ).fetchone()[0]
    school = find_school(city.db, name)
    log_in(client, city.staff("nurse", school))
    page = client.get("/staff/statistics")
    assert "公表する" not in page.text
    response = client.post(
        "/staff/statistics/publish", data={"csrf_token": csrf_token_in(page.text)}
    )
    assert response.status_code == 404


def test_the_stats_publish_command_publishes_then_records_revisions(tmp_path):
    from school_report.db import connect
    from school_report.migrations import migrate

    path = tmp_path / "city.db"
    db = connect(path)
    migrate(db)
    cases = build(db)

    def run():
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "school_admin",
                "stats-publish",
                "--from",
                "2025-04-01",
                "--to",
                "2026-03-31",
                "--db",
                str(path),
            ],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin"},
        )

    assert "published" in run().stdout
    assert "nothing changed" in run().stdout
    record_contact(db, cases.cases["B"], "letter", "mother", japan("2025-10-01T10:00:00"))
    assert "recorded revision 1" in run().stdout


# ---------------------------------------------------------------------------------------------
# A reader with every published annual table cannot work a hidden small count out


def _count_columns(table: dict) -> dict:
    return {
        row: {
            column: cell
            for column, cell in cells.items()
            if not column.endswith(("_share", "_previous", "_change"))
        }
        for row, cells in table.items()
    }


def _annual_knowledge(tables: dict[str, dict]) -> Knowledge:
    """What a reader knows: each table's column totals, the categories' sub-items, the grand
    totals repeated, coordination by activity adding up like by agency, cases ≤ contacts."""
    knowledge = Knowledge()
    distinct = ("annual_coordination", "annual_activities")  # a case may have several
    for name, table in tables.items():
        counts = _count_columns(table)
        sums = name not in ("annual_by_content", *distinct)
        read_table(knowledge, name, counts, total_row=sums and "total" in counts)
    for name in distinct:
        rows = [row for row in tables[name] if row != "total"]
        parts = [(name, row, "contacts") for row in rows]
        knowledge.add_sum((name, "total", "contacts"), parts)
    content = _count_columns(tables["annual_by_content"])
    rows = list(content)
    categories = [row for row in rows if row in CATEGORIES]
    knowledge.add_sum(
        ("annual_by_content", "total", "contacts"),
        [("annual_by_content", row, "contacts") for row in categories],
    )
    for index, category in enumerate(rows):
        if category not in CATEGORIES:
            continue
        parts = []
        for row in rows[index + 1 :]:
            if row in CATEGORIES or row == "total":
                break
            parts.append(("annual_by_content", row, "contacts"))
        knowledge.add_sum(("annual_by_content", category, "contacts"), parts)
    for measure in ("cases", "contacts"):
        grand = ("annual_summary", measure, "count")
        for name in ("annual_by_method", "annual_by_consulter", "annual_by_level"):
            knowledge.add_sum(grand, [(name, "total", measure)])
            for row in tables[name]:
                knowledge.at_most.append(((name, row, "cases"), (name, row, "contacts")))
    knowledge.add_sum(
        ("annual_summary", "contacts", "count"), [("annual_by_content", "total", "contacts")]
    )
    for measure in ("cases", "contacts"):
        knowledge.add_sum(
            ("annual_coordination", "total", measure), [("annual_activities", "total", measure)]
        )
    return knowledge


def _truth(tables) -> dict:
    return {
        (table.name, row, column): cell
        for table in tables
        for (row, cells) in table.as_dict().items()
        for column, cell in cells.items()
        if isinstance(cell, int)
    }


def test_no_hidden_small_count_of_a_published_annual_report_can_be_worked_out(db):
    schools = generate(db, reports=500)
    scopes = [CITY, CENTRE, *(Scope("school", school) for school in schools[:4])]
    hidden = 0
    for scope in scopes:
        published = annual_report(db, *FY2025, scope, publish=True)
        if not published.tables:
            continue
        tables = {table.name: table.as_dict() for table in published.tables}
        hidden += sum(
            cell == "x"
            for table in tables.values()
            for row in table.values()
            for cell in row.values()
        )
        truth = _truth(annual_report(db, *FY2025, scope).tables)
        knowledge = _annual_knowledge(tables)
        assert pinned(knowledge, truth, published.limit) == [], scope
    assert hidden, "the schools' annual tables have small numbers to hide"


def test_the_csv_writes_shares_and_changes_as_percentages(centre_client):
    response = centre_client.get(f"/staff/statistics/export.csv?{YEAR}")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    start = rows.index(["相談件数（実件数・延べ件数）"])
    assert rows[start + 1] == ["", "件数", "前年度 件数", "増減率（%）"]
    assert rows[start + 2] == ["実件数", "4", "2", "100.0"]


def test_coordination_by_day_received_is_counted_in_times_not_messages(centre_client):
    page = centre_client.get(f"/staff/statistics?{YEAR}")
    table = page.text.split('data-table="coordination"', 1)[1].split("</thead>", 1)[0]
    assert "延べ回数" in table and "メッセージ数" not in table
