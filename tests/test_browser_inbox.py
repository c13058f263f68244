"""The staff inbox refreshing itself, in a real Chromium against the real server: a nurse on a
report link keeps her place while new reports arrive, hears each new one once, and can pause
the refresh (WCAG 2.2.2, 2.4.3)."""

import pytest
from playwright.sync_api import expect

from school_report.reports import submit_report
from tests.conftest import new_page
from tests.support import log_in_page, topic_id, unique

pytestmark = pytest.mark.browser

# Everything the inbox's status region says, as a screen reader would be given it.
LISTEN = """() => {
  window.heard = [];
  const news = document.getElementById("inbox-news");
  new MutationObserver(() => window.heard.push(news.textContent))
    .observe(news, {childList: true, characterData: true, subtree: true});
}"""


def pupil_writes_to(city, school, recipient: str = "nurse") -> int:
    submit_report(
        city.db,
        school,
        topic_id(city.db, "body"),
        recipient,
        "おなかが いたい",
        submission_key=unique("inbox-"),
    )
    return city.db.execute("SELECT max(id) FROM reports").fetchone()[0]


def next_refresh(desk) -> None:
    """Ten seconds on the page's clock: the inbox asks for its rows once, and lays them in."""
    with desk.expect_response(lambda response: "/staff" in response.url):
        desk.clock.fast_forward("00:10")
    desk.wait_for_timeout(300)


def test_the_inbox_refresh_keeps_focus_and_place_and_says_a_new_report_once(live_server, chromium):
    url, city = live_server.url, live_server.city
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    reports = [pupil_writes_to(city, school) for _ in range(12)]
    desk = new_page(chromium, 1024, 500)
    desk.clock.install()
    log_in_page(desk, url, nurse)
    rows = desk.locator("table.queue tbody tr")
    expect(rows).to_have_count(12)
    desk.evaluate(LISTEN)
    link = desk.get_by_role("link", name=f"#{reports[3]}", exact=True)
    link.focus()
    desk.mouse.wheel(0, 120)
    desk.wait_for_timeout(300)
    scrolled, place = desk.evaluate("scrollY"), link.bounding_box()["y"]
    assert scrolled > 0

    arrived = pupil_writes_to(city, school)
    next_refresh(desk)
    expect(rows).to_have_count(13)
    expect(desk.get_by_role("link", name=f"#{arrived}", exact=True)).to_be_attached()
    expect(link).to_be_focused()
    assert abs(link.bounding_box()["y"] - place) <= 1  # the page did not jump under her
    next_refresh(desk)
    expect(link).to_be_focused()
    # Said once, and nothing else said: not the reports that were there, not the count again.
    assert desk.evaluate("window.heard") == [f"新しい相談: #{arrived}"]


def test_staff_can_pause_the_inbox_refresh(live_server, chromium):
    url, city = live_server.url, live_server.city
    school, _ = city.school()
    team = city.staff("school_team", school)
    pupil_writes_to(city, school, "school_team")
    desk = new_page(chromium)
    desk.clock.install()
    log_in_page(desk, url, team)
    rows = desk.locator("table.queue tbody tr")
    pause = desk.get_by_role("button", name="自動更新を止める")
    pause.click()
    expect(pause).to_have_attribute("aria-pressed", "true")
    asked = []
    desk.on("request", lambda request: asked.append(request.url) if "/staff" in request.url else 0)
    pupil_writes_to(city, school, "school_team")
    desk.clock.fast_forward("00:10")
    desk.clock.fast_forward("00:10")
    desk.wait_for_timeout(500)
    assert not asked
    expect(rows).to_have_count(1)
    pause.click()
    expect(pause).to_have_attribute("aria-pressed", "false")
    next_refresh(desk)
    expect(rows).to_have_count(2)
