"""The pupil's pages beyond the main loop: reading support, language, idle end, Enter safety."""

import pytest
from playwright.sync_api import expect

from school_report.reports import CODE_FAILURES_BEFORE_REFUSING, find_report_by_code
from tests.support import return_code_in, send_report


def test_elementary_pupils_get_furigana_and_older_pupils_plain_text(client, city):
    _, elementary = city.school("elementary")
    _, junior_high = city.school("junior_high")
    small = client.get(f"/p/{elementary}").text
    older = client.get(f"/p/{junior_high}").text
    assert "<ruby>相談<rt>そうだん</rt></ruby>" in small
    assert "相談" in older and "<ruby>" not in older


def test_the_pupil_can_switch_to_english_for_their_session_only(client, city):
    _, token = city.school()
    english = client.post(f"/p/{token}", data={"step": "language", "language": "en"})
    assert "Is something worrying you?" in english.text and 'lang="en"' in english.text
    assert "Tell someone" in client.post(f"/p/{token}", data={"step": "start"}).text
    client.cookies.clear()
    assert "こまっていること" in client.get(f"/p/{token}").text


def test_the_pupil_session_ends_after_three_idle_minutes(client, city, monkeypatch):
    import itsdangerous.timed

    _, token = city.school()
    code = return_code_in(send_report(client, token, city.db, body="ひみつ").text)
    assert "ひみつ" in client.post(f"/p/{token}", data={"step": "open", "code": code}).text
    now = itsdangerous.timed.time.time()
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: now + 181)
    response = client.post(f"/p/{token}", data={"step": "write", "body": "まだ いる？"})
    assert "ひみつ" not in response.text
    assert "もういちど あいことばを いれてね" in response.text
    assert city.db.execute("SELECT count(*) FROM messages").fetchone() == (1,)


def test_what_a_pupil_wrote_when_the_session_ended_is_sent_after_the_code(client, city):
    _, token = city.school()
    code = return_code_in(send_report(client, token, city.db, body="はじめ").text)
    client.cookies.clear()
    asked = client.post(f"/p/{token}", data={"step": "write", "body": "つづき"})
    assert 'name="pending" value="つづき"' in asked.text
    thread = client.post(f"/p/{token}", data={"step": "open", "code": code, "pending": "つづき"})
    assert "つづき" in thread.text
    assert city.db.execute("SELECT count(*) FROM messages").fetchone() == (2,)


def test_too_many_wrong_codes_at_a_school_are_refused_for_a_while(client, city):
    school, token = city.school()
    code = return_code_in(send_report(client, token, city.db).text)
    for _ in range(CODE_FAILURES_BEFORE_REFUSING):
        find_report_by_code(city.db, school, "いぬ 00 いぬ 00 いぬ 00")
    refused = client.post(f"/p/{token}", data={"step": "open", "code": code})
    assert "しばらく つかえません" in refused.text


@pytest.mark.browser
def test_enter_in_the_message_box_starts_a_new_line_and_never_sends(live_server, page):
    _, token = live_server.city.school()
    page.goto(f"{live_server.url}/p/{token}")
    page.get_by_role("button", name="はなしてみる").click()
    page.get_by_role("button", name="いじめ").click()
    page.get_by_role("button", name="つぎへ").click()
    box = page.get_by_label("メッセージ")
    box.type("いちぎょうめ")
    box.press("Enter")
    box.type("にぎょうめ")
    expect(box).to_have_value("いちぎょうめ\nにぎょうめ")
    expect(page.get_by_role("heading", name="どんなことが あったか かいてね")).to_be_visible()


@pytest.mark.browser
def test_the_message_box_stays_in_view_on_a_phone_sized_screen(live_server, chromium):
    from tests.conftest import new_page

    phone = new_page(chromium, 390, 844)
    _, token = live_server.city.school()
    phone.goto(f"{live_server.url}/p/{token}")
    phone.get_by_role("button", name="はなしてみる").click()
    phone.get_by_role("button", name="いじめ").click()
    phone.get_by_role("button", name="つぎへ").click()
    phone.get_by_label("メッセージ").focus()
    expect(phone.get_by_label("メッセージ")).to_be_in_viewport()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.context.close()
