"""The statistics page and its downloads: the centre sees the city, a school its own figures,
always protected, and never another school's."""

import csv
import io

import openpyxl
import pytest
from playwright.sync_api import expect

from school_report.schools import find_school
from tests.statistics_data import generate
from tests.support import log_in, log_in_page

YEAR = "from=2025-04-01&to=2026-03-31"


def _school(db, school_id):
    name = db.execute("SELECT name FROM schools WHERE id = ?", [school_id]).fetchone()[0]
    return find_school(db, name)


@pytest.fixture
def schools(city):
    return generate(city.db, reports=200)


def test_centre_sees_the_citys_tables_and_charts(client, city, schools):
    log_in(client, city.staff("centre"))
    page = client.get(f"/staff/statistics?{YEAR}")
    assert page.status_code == 200
    assert "市全体" in page.text
    assert 'data-table="by_school"' in page.text
    assert "<svg" in page.text and 'class="chart-bar"' in page.text
    assert "&lt;3" not in page.text  # the centre's own view is not protected


def test_centre_can_ask_for_the_published_view(client, city, schools):
    log_in(client, city.staff("admin"))
    page = client.get(f"/staff/statistics?{YEAR}&school={schools[2]}&publish=1")
    assert page.status_code == 200
    assert "&lt;3" in page.text


def test_a_nurse_sees_her_school_only_and_protected(client, city, schools):
    nurse = city.staff("nurse", _school(city.db, schools[0]))
    log_in(client, nurse)
    own = client.get(f"/staff/statistics?{YEAR}&publish=0")
    assert own.status_code == 200
    assert "&lt;3" in own.text
    assert 'data-table="by_school"' not in own.text
    assert client.get(f"/staff/statistics?{YEAR}&school={schools[1]}").status_code == 404
    other = client.get(f"/staff/statistics/export.csv?{YEAR}&school={schools[1]}")
    assert other.status_code == 404


def test_a_bad_period_is_refused_kindly(client, city, schools):
    log_in(client, city.staff("centre"))
    reversed_period = client.get("/staff/statistics?from=2025-05-01&to=2025-04-01")
    assert reversed_period.status_code == 400
    assert "開始日が終了日より後" in reversed_period.text
    not_a_date = client.get("/staff/statistics?from=yesterday")
    assert not_a_date.status_code == 400
    assert (
        client.get("/staff/statistics/export.csv?from=2025-05-01&to=2025-04-01").status_code == 400
    )


def test_the_page_downloads_csv_and_excel_of_what_it_shows(client, city, schools):
    log_in(client, city.staff("centre"))
    page = client.get(f"/staff/statistics?{YEAR}&publish=1")
    assert (
        "/staff/statistics/export.csv?from=2025-04-01&amp;to=2026-03-31&amp;publish=1" in page.text
    )
    response = client.get(f"/staff/statistics/export.csv?{YEAR}&publish=1")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert ["概要"] in rows and ["チャネル別（相談先）"] in rows
    excel = client.get(f"/staff/statistics/export.xlsx?{YEAR}")
    workbook = openpyxl.load_workbook(io.BytesIO(excel.content))
    assert "チャネル別（相談先）" in workbook.sheetnames
    assert client.get(f"/staff/statistics/export.pdf?{YEAR}").status_code == 404


@pytest.mark.browser
def test_centre_opens_statistics_and_sees_a_chart_and_a_table(live_server, page):
    # The live city is shared: this reads whatever the other tests have sent this year.
    city = live_server.city
    log_in_page(page, live_server.url, city.staff("centre"))
    page.get_by_role("link", name="統計").click()
    expect(page.get_by_role("heading", name="統計: 市全体")).to_be_visible()
    page.get_by_label("公表用（少数を秘匿）").check()
    page.get_by_role("button", name="表示").click()
    expect(page.get_by_label("公表用（少数を秘匿）")).to_be_checked()
    expect(page.get_by_role("img", name="月別の実件数")).to_be_visible()
    expect(page.locator("figure.statistics-chart svg")).to_have_count(3)
    expect(page.locator("table[data-table=by_channel] caption")).to_have_text(
        "チャネル別（相談先）"
    )
    expect(page.locator("table[data-table=by_channel] tr.total th")).to_have_text("合計")
