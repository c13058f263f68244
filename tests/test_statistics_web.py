"""The statistics page and its downloads: the centre sees the city, a school its own figures,
always protected, and never another school's; charts drawn to scale; the page prints on A4."""

import csv
import io
import re

import openpyxl
import pytest
from playwright.sync_api import expect

from school_report.schools import find_school
from tests.statistics_data import generate
from tests.support import log_in, log_in_page
from web.statistics_charts import (
    LABEL_WIDTH,
    PLOT_HEIGHT,
    VALUE_WIDTH,
    WIDTH,
    bar_chart,
    line_chart,
)

YEAR = "from=2025-04-01&to=2026-03-31"
A4_PRINTABLE_WIDTH = 703  # 210 mm less the 12 mm margins of @page, at 96 px an inch


def _school(db, school_id):
    name = db.execute("SELECT name FROM schools WHERE id = ?", [school_id]).fetchone()[0]
    return find_school(db, name)


@pytest.fixture
def schools(city):
    return generate(city.db, reports=200)


def _cells(html: str, table: str) -> list[str]:
    body = html.split(f'data-table="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<td>([^<]*)</td>", body)


def test_centre_sees_the_citys_tables_and_charts_marked_internal(client, city, schools):
    log_in(client, city.staff("centre"))
    page = client.get(f"/staff/statistics?{YEAR}")
    assert page.status_code == 200
    assert "市全体" in page.text and "内部用：" in page.text
    assert 'data-table="by_school"' in page.text
    assert "<svg" in page.text and 'class="chart-bar"' in page.text
    assert "x" not in _cells(page.text, "by_hour")  # the centre's own view hides nothing


def test_a_schools_view_is_protected_unless_the_centre_asks_for_internal(client, city, schools):
    log_in(client, city.staff("admin"))
    published = client.get(f"/staff/statistics?{YEAR}&school={schools[2]}")
    assert published.status_code == 200
    assert "x" in _cells(published.text, "by_hour") and "内部用：" not in published.text
    internal = client.get(f"/staff/statistics?{YEAR}&school={schools[2]}&publish=0")
    assert "内部用：" in internal.text and "x" not in _cells(internal.text, "by_hour")
    download = client.get(f"/staff/statistics/export.csv?{YEAR}&school={schools[2]}&publish=0")
    assert "_internal.csv" in download.headers["content-disposition"]
    assert "内部用：" in download.content.decode("utf-8-sig").splitlines()[3]


def test_a_nurse_sees_her_school_only_and_protected(client, city, schools):
    nurse = city.staff("nurse", _school(city.db, schools[0]))
    log_in(client, nurse)
    own = client.get(f"/staff/statistics?{YEAR}&publish=0")
    assert own.status_code == 200
    assert "x" in _cells(own.text, "by_hour") and "内部用：" not in own.text
    assert 'data-table="by_school"' not in own.text
    assert "センターに送った相談" in own.text  # why the centre's reports are not counted here
    assert client.get(f"/staff/statistics?{YEAR}&school={schools[1]}").status_code == 404
    other = client.get(f"/staff/statistics/export.csv?{YEAR}&school={schools[1]}")
    assert other.status_code == 404
    assert client.get("/staff/statistics?from=2025-10-02&to=2025-10-31").status_code == 400


def test_a_bad_period_is_refused_kindly(client, city, schools):
    log_in(client, city.staff("centre"))
    reversed_period = client.get("/staff/statistics?from=2025-05-01&to=2025-04-01")
    assert reversed_period.status_code == 400
    assert "開始日が終了日より後" in reversed_period.text
    assert client.get("/staff/statistics?from=yesterday").status_code == 400
    for period in ("from=9999-12-31&to=9999-12-31", "from=0001-01-01&to=2025-03-31"):
        assert client.get(f"/staff/statistics?{period}").status_code == 400
        for file_format in ("csv", "xlsx"):
            export = client.get(f"/staff/statistics/export.{file_format}?{period}")
            assert export.status_code == 400
    partial = client.get("/staff/statistics?from=2025-10-02&to=2025-10-31&publish=1")
    assert partial.status_code == 400 and "月の初日" in partial.text
    assert (
        client.get("/staff/statistics/export.csv?from=2025-05-01&to=2025-04-01").status_code == 400
    )


def test_the_page_downloads_csv_and_excel_of_what_it_shows(client, city, schools):
    log_in(client, city.staff("centre"))
    page = client.get(f"/staff/statistics?{YEAR}&publish=1")
    assert (
        "/staff/statistics/export.csv?from=2025-04-01&amp;to=2026-03-31&amp;caseload=centre"
        "&amp;publish=1" in page.text
    )
    response = client.get(f"/staff/statistics/export.csv?{YEAR}&publish=1")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert "_internal" not in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert ["概要"] in rows and ["チャネル別（相談先）"] in rows
    assert ["相談方法別（実件数は初回相談）"] in rows  # the annual tables come first
    excel = client.get(f"/staff/statistics/export.xlsx?{YEAR}")
    workbook = openpyxl.load_workbook(io.BytesIO(excel.content))
    assert "チャネル別（相談先）" in workbook.sheetnames
    assert client.get(f"/staff/statistics/export.pdf?{YEAR}").status_code == 404


# ---------------------------------------------------------------------------------------------
# Charts


def test_bars_and_columns_are_as_long_as_their_counts():
    bars = bar_chart(["a", "b", "c", "d"], [40, 10, "x", 0])
    widths = [mark.width for mark in bars.marks]
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    assert widths == [plot, plot / 4, 0, 0]  # a hidden count draws no bar, only its text
    assert [mark.text for mark in bars.marks] == ["40", "10", "x", "0"]
    columns = bar_chart([str(hour) for hour in range(3)], [6, 3, 2], vertical=True)
    heights = [mark.height for mark in columns.marks]
    assert heights == [PLOT_HEIGHT, PLOT_HEIGHT / 2, PLOT_HEIGHT / 3]
    assert all(mark.y + mark.height == columns.baseline for mark in columns.marks)


def test_a_line_chart_rises_with_its_counts_and_breaks_at_a_hidden_one():
    chart = line_chart(["04", "05", "06", "07"], [8, 4, "x", 2])
    rises = [chart.baseline - mark.y for mark in chart.marks]
    assert rises == [PLOT_HEIGHT, PLOT_HEIGHT / 2, 0, PLOT_HEIGHT / 4]
    assert chart.path.count("M") == 2  # the line stops before the hidden count


def test_the_page_draws_each_categorys_bar_to_scale(client, city, schools):
    log_in(client, city.staff("centre"))
    page = client.get(f"/staff/statistics?{YEAR}").text
    figure = page.split('aria-label="相談内容別の実件数"', 1)[1].split("</svg>", 1)[0]
    widths = [float(w) for w in re.findall(r'class="chart-bar"[^>]*width="([0-9.]+)"', figure)]
    totals = [int(cell) for cell in _cells(page, "by_level")[3::5][:8]]
    assert len(widths) == len(totals) == 8
    top = max(totals)
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    assert widths == [pytest.approx(plot * total / top, abs=0.06) for total in totals]


@pytest.mark.browser
def test_centre_opens_statistics_and_prints_them_on_a4(live_server, page):
    # The live city is shared: this reads whatever the other tests have sent this year.
    city = live_server.city
    log_in_page(page, live_server.url, city.staff("centre"))
    page.get_by_role("link", name="統計").click()
    expect(page.get_by_role("heading", name="統計: 市全体")).to_be_visible()
    page.get_by_label("公表用（少数を秘匿）").check()
    page.get_by_role("button", name="表示").click()
    expect(page.get_by_label("公表用（少数を秘匿）")).to_be_checked()
    page.get_by_label("内部用（センターのみ）").check()
    page.get_by_role("button", name="表示").click()
    expect(page.get_by_text("内部用：センター内でのみ使い").first).to_be_visible()
    expect(page.get_by_role("img", name="月別の実件数")).to_be_visible()
    expect(page.get_by_role("img", name="相談方法別の延べ件数")).to_be_visible()
    expect(page.locator("figure.statistics-chart svg")).to_have_count(5)  # 2 annual, 3 received
    expect(page.locator("table[data-table=by_channel] caption")).to_have_text(
        "チャネル別（相談先）"
    )
    expect(page.locator("table[data-table=by_channel] tr.total th")).to_have_text("合計")
    page.set_viewport_size({"width": A4_PRINTABLE_WIDTH, "height": 1000})
    page.emulate_media(media="print")
    overflow = page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll('table, svg, figure, p, h1')]
                .filter(element => element.getBoundingClientRect().right > width + 0.5)
                .map(element => element.tagName + ' ' + (element.dataset.table || ''));
            return {width, scroll: document.documentElement.scrollWidth, wide};
        }"""
    )
    assert overflow["scroll"] <= overflow["width"], overflow
    assert overflow["wide"] == [], overflow


def test_a_school_with_one_report_downloads_an_excel_file_saying_so(client, city):
    school, token = city.school()
    from tests.support import send_report

    assert send_report(client, token, city.db).status_code == 200
    log_in(client, city.staff("nurse", school))
    download = client.get("/staff/statistics/export.xlsx")  # this fiscal year
    assert download.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(download.content))
    lines = [row[0] for sheet in workbook for row in sheet.iter_rows(values_only=True)]
    assert any("表は表示しません" in str(line) for line in lines)
