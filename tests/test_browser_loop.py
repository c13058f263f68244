"""The core loop in a real Chromium against the real server: a pupil reports from a tablet,
the chosen recipient reads and replies, the pupil comes back with the code and reads it."""

import json
from datetime import datetime

import pytest
from playwright.sync_api import expect

from school_report.settings import set_setting
from tests.conftest import new_page
from tests.pupil_steps import choose_language, choose_reading
from tests.support import log_in_page

pytestmark = pytest.mark.browser


def tell_someone(pupil, url, token, topic, body, recipient=None):
    """The pupil's whole report on the tablet; returns the return code as shown."""
    pupil.goto(f"{url}/p/{token}")
    pupil.get_by_role("button", name="はなしてみる").click()
    pupil.get_by_role("button", name=topic).click()
    if recipient:
        pupil.locator(f"input[name=recipient][value={recipient}]").check()
    pupil.get_by_role("button", name="つぎへ").click()
    pupil.get_by_label("メッセージ").fill(body)
    pupil.get_by_role("button", name="つぎへ").click()
    expect(pupil.get_by_role("heading", name="これで おくりますか？")).to_be_visible()
    pupil.get_by_role("button", name="おくる").click()
    expect(pupil.get_by_role("heading", name="おくりました")).to_be_visible()
    return " ".join(pupil.locator(".code-group").all_inner_texts())


def log_in(page, url, staff):
    log_in_page(page, url, staff)
    expect(page.get_by_role("heading", name="受信箱", exact=False)).to_be_visible()


def read_reply(pupil, url, token, code):
    pupil.goto(f"{url}/p/{token}")
    pupil.get_by_role("button", name="へんじを よむ").click()
    pupil.get_by_label("あいことば").fill(code)
    pupil.get_by_role("button", name="ひらく").click()


@pytest.mark.parametrize(
    ("topic", "role", "default_recipient"),
    [
        ("からだのこと・けが", "nurse", "nurse"),
        ("いじめ", "school_team", "school_team"),
        ("いえのこと・かぞく", "centre", "centre"),
    ],
)
def test_pupil_reports_recipient_replies_and_pupil_reads_the_reply(
    live_server, chromium, page, topic, role, default_recipient
):
    url, city = live_server.url, live_server.city
    school, token = city.school()
    staff = city.staff(role, school if role != "centre" else None)

    page.goto(f"{url}/p/{token}")
    page.get_by_role("button", name="はなしてみる").click()
    page.get_by_role("button", name=topic).click()
    # The topic's default recipient is preselected and first.
    first_choice = page.locator("input[name=recipient]").first
    expect(first_choice).to_have_value(default_recipient)
    expect(first_choice).to_be_checked()
    code = tell_someone(page, url, token, topic, f"{topic}で こまっています")
    assert len(code.split()) == 6
    # One address and one history entry the whole way; nothing kept in the browser's storage.
    assert page.url == f"{url}/p/{token}"
    assert page.evaluate("history.length") <= 2
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    page.get_by_role("button", name="かいた・おぼえた").click()
    expect(page.get_by_role("heading", name="こまっていること、ありますか？")).to_be_visible()

    report_id = city.db.execute("SELECT max(id) FROM reports").fetchone()[0]
    desk = new_page(chromium)
    log_in(desk, url, staff)
    # The centre's queue is city-wide and sorted by urgency: find this report by its number.
    desk.get_by_role("link", name=f"#{report_id}", exact=True).first.click()
    expect(desk.get_by_text(f"{topic}で こまっています")).to_be_visible()
    desk.get_by_label("返信（児童生徒が読みます）").fill("おしえてくれて ありがとう")
    desk.get_by_role("button", name="返信を送る").click()
    expect(desk.locator(".thread")).to_contain_text("おしえてくれて ありがとう")
    desk.context.close()

    read_reply(page, url, token, code)
    expect(page.locator(".thread")).to_contain_text("おしえてくれて ありがとう")
    page.get_by_label("もっと かく").fill("ありがとう")
    page.get_by_role("button", name="おくる").click()
    expect(page.get_by_role("status")).to_contain_text("おくりました")


def test_new_reports_appear_in_the_open_inbox_without_reloading(live_server, chromium, page):
    url, city = live_server.url, live_server.city
    school, token = city.school()
    desk = new_page(chromium)
    log_in(desk, url, city.staff("nurse", school))
    expect(desk.get_by_text("この受信箱に相談はありません。")).to_be_visible()
    tell_someone(page, url, token, "こころ・きもち", "ねむれない")
    expect(desk.locator("table.inbox")).to_contain_text("こころ・きもち", timeout=15_000)
    expect(desk.get_by_text("未読 1 件")).to_be_visible()
    desk.context.close()


def test_quick_exit_leaves_a_neutral_page_and_back_does_not_bring_the_thread(live_server, page):
    url, city = live_server.url, live_server.city
    _, token = city.school()
    code = tell_someone(page, url, token, "ともだちのこと", "ひみつの はなし")
    read_reply(page, url, token, code)
    expect(page.locator(".thread")).to_contain_text("ひみつの はなし")
    page.get_by_role("link", name="すぐ とじる").click()
    page.wait_for_url(f"{url}/")
    expect(page.get_by_role("heading", name="きょう")).to_be_visible()
    assert "ひみつ" not in page.content()
    page.go_back()
    assert "ひみつ" not in page.content()
    assert not [c for c in page.context.cookies() if c["name"] == "pupil_session"]


def test_a_wrong_code_gets_a_kind_message(live_server, page):
    url, city = live_server.url, live_server.city
    _, token = city.school()
    read_reply(page, url, token, "いぬ 11 ねこ 22 うま 33")
    expect(page.get_by_role("alert")).to_contain_text("あいことばが ちがいます")
    expect(page.get_by_label("あいことば")).to_be_visible()


def test_an_empty_message_is_refused_in_the_browser_and_nothing_is_sent(live_server, page):
    url, city = live_server.url, live_server.city
    _, token = city.school()
    page.goto(f"{url}/p/{token}")
    page.get_by_role("button", name="はなしてみる").click()
    page.get_by_role("button", name="いじめ").click()
    page.get_by_role("button", name="つぎへ").click()
    page.get_by_label("メッセージ").fill("   ")
    page.evaluate("document.querySelector('#body').removeAttribute('required')")
    page.get_by_role("button", name="つぎへ").click()
    expect(page.get_by_role("alert")).to_contain_text("まず なにか かいてね")


def _centre_hours(city, open_now: bool) -> None:
    today = datetime.now().astimezone().weekday()
    weekdays = list(range(7)) if open_now else [d for d in range(7) if d != today]
    hours = (
        {"weekdays": weekdays, "open": "00:00", "close": "23:59"}
        if open_now
        else {"weekdays": weekdays, "open": "10:00", "close": "18:00"}
    )
    set_setting(city.db, "centre_hours", hours)
    # Open now means open even on a public holiday.
    set_setting(
        city.db, "centre_holidays", {"public_holidays": not open_now, "closed": [], "open": []}
    )


def test_outside_the_centres_hours_the_pupil_is_told_when_and_whom_to_call_now(live_server, page):
    url, city = live_server.url, live_server.city
    _, token = city.school()
    _centre_hours(city, open_now=False)
    try:
        page.goto(f"{url}/p/{token}")
        page.get_by_role("button", name="はなしてみる").click()
        page.get_by_role("button", name="いえのこと・かぞく").click()
        page.get_by_role("button", name="つぎへ").click()
        notice = page.locator(".out-of-hours")
        expect(notice).to_contain_text("センターが おやすみです")
        for number in ("189", "110", "0120-0-78310"):
            expect(notice).to_contain_text(number)
        _centre_hours(city, open_now=True)
        page.get_by_role("button", name="もどる").click()
        page.get_by_role("button", name="つぎへ").click()
        expect(page.get_by_label("メッセージ")).to_be_visible()
        expect(page.locator(".out-of-hours")).to_have_count(0)
    finally:
        set_setting(
            city.db,
            "centre_hours",
            json.loads('{"weekdays": [0, 1, 2, 3, 4], "open": "10:00", "close": "18:00"}'),
        )
        set_setting(city.db, "centre_holidays", {"public_holidays": True, "closed": [], "open": []})


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-javascript"])
def test_switching_language_or_reading_keeps_the_step_and_what_the_pupil_wrote(
    live_server, chromium, javascript
):
    url, city = live_server.url, live_server.city
    _, token = city.school()
    page = chromium.new_context(java_script_enabled=javascript, locale="ja-JP").new_page()
    page.goto(f"{url}/p/{token}")
    page.get_by_role("button", name="はなしてみる").click()
    page.get_by_role("button", name="いじめ").click()
    page.get_by_role("button", name="つぎへ").click()
    page.get_by_label("メッセージ").fill("ずっと むしされて います")
    page.locator("input[name=grade]").fill("3")
    choose_language(page, "en")
    expect(page.get_by_role("heading", name="Write what happened")).to_be_visible()
    expect(page.get_by_label("Your message")).to_have_value("ずっと むしされて います")
    expect(page.locator("input[name=grade]")).to_have_value("3")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Send").click()
    code = " ".join(page.locator(".code-group").all_inner_texts())
    choose_language(page, "ja")  # the same secret words, now in Japanese words
    expect(page.get_by_role("heading", name="おくりました")).to_be_visible()
    assert " ".join(page.locator(".code-group").all_inner_texts()) != code
    read_reply(page, url, token, " ".join(page.locator(".code-group").all_inner_texts()))
    page.get_by_label("もっと かく").fill("あのね、")
    choose_reading(page, "kana")
    expect(page.get_by_role("heading", name="あなたの メッセージ")).to_be_visible()
    expect(page.get_by_label("もっと かく")).to_have_value("あのね、")
    assert city.db.execute(
        "SELECT count(*) FROM messages m JOIN reports r ON r.id = m.report_id "
        "WHERE m.body = 'あのね、'"
    ).fetchone() == (0,)
    page.context.close()
