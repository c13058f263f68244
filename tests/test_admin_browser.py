"""City administration in a real Chromium against the real server: an admin sets up a school
and its staff, prints a poster whose QR code opens the pupil page, rotates the link, edits a
topic the pupil then sees, moves the centre's hours, and disables an account mid-session."""

import subprocess
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from school_report.admin_log import COMMAND_LINE
from school_report.schools import find_school
from school_report.settings import get_setting, set_setting
from school_report.staff import authenticate, find_staff, staff_account
from school_report.topics import active_topics, all_topics, update_topic
from tests.conftest import new_page
from tests.support import log_in_page, unique

pytestmark = pytest.mark.browser


def decode_qr(locator, tmp_path) -> str:
    """What a phone or tablet camera reads from the QR code on screen."""
    shot = tmp_path / "qr.png"
    locator.screenshot(path=shot)
    result = subprocess.run(
        ["zbarimg", "--raw", "-q", str(shot)], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def saved(page) -> None:
    expect(page.get_by_role("status").first).to_be_visible()


def test_admin_adds_a_school_prints_a_poster_that_scans_and_rotates_the_link(
    live_server, chromium, page, tmp_path
):
    url, city = live_server.url, live_server.city
    log_in_page(page, url, city.staff("admin"))
    expect(page.get_by_role("heading", name="学校", exact=True)).to_be_visible()
    name = unique("ひがし小学校")
    page.get_by_label("学校名").fill(name)
    page.get_by_label("種別").select_option("elementary")
    page.get_by_role("button", name="学校を追加").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    page.get_by_role("button", name="児童生徒用リンクを発行").click()
    expect(page.get_by_role("status")).to_contain_text("新しい児童生徒用リンクを発行しました")
    first_link = page.locator(".entry-url").inner_text()
    assert first_link.startswith(f"{url}/p/")

    page.get_by_label("学級").fill("3-2\n4-1")
    page.get_by_role("button", name="ポスターを印刷").click()
    posters = page.locator(".poster")
    expect(posters).to_have_count(2)
    expect(posters.first).to_contain_text(f"{name} 3-2")
    expect(posters.nth(1)).to_contain_text(f"{name} 4-1")
    assert decode_qr(page.locator(".poster-qr").first, tmp_path) == first_link
    poster_text = posters.first.inner_text()
    assert not [t.label_ja for t in active_topics(city.db) if t.label_ja in poster_text]
    page.go_back()

    pupil = new_page(chromium)
    pupil.goto(first_link)
    expect(pupil.get_by_role("heading", name="こまっていること、ありますか？")).to_be_visible()
    page.get_by_role("button", name="新しいリンクを発行").click()
    expect(page.get_by_role("status")).to_contain_text("古いリンクはもう使えません")
    new_link = page.locator(".entry-url").inner_text()
    assert new_link != first_link
    pupil.goto(first_link)
    expect(pupil.get_by_role("heading", name="こまっていること、ありますか？")).to_have_count(0)
    pupil.goto(new_link)
    expect(pupil.get_by_role("heading", name="こまっていること、ありますか？")).to_be_visible()
    pupil.context.close()

    login = unique("sato")
    page.get_by_role("link", name="職員アカウントを追加").click()
    expect(page.get_by_label("学校", exact=True)).to_have_value(str(find_school(city.db, name).id))
    page.get_by_label("ログインID").fill(login)
    page.get_by_label("役割").select_option("nurse")
    page.get_by_role("button", name="アカウントを追加").click()
    temporary = page.locator("#temporary-password").inner_text()
    nurse = authenticate(city.db, login, temporary)
    assert nurse is not None and nurse.role == "nurse"
    assert staff_account(city.db, nurse.id).must_change_password
    assert staff_account(city.db, nurse.id).school_name == name


def test_admin_edits_a_topics_wording_and_the_pupil_sees_it(live_server, chromium, page):
    url, city = live_server.url, live_server.city
    (study,) = [topic for topic in all_topics(city.db) if topic.slug == "study"]
    _, elementary = city.school("elementary")
    _, junior_high = city.school("junior_high")
    try:
        log_in_page(page, url, city.staff("admin"))
        page.get_by_role("link", name="相談内容と相談先").click()
        page.locator(f"a[href='/staff/admin/topics/{study.id}']").click()
        page.get_by_label("児童生徒への表示（日本語）").fill("{勉強|べんきょう}と しんろ")
        page.get_by_role("button", name="保存").click()
        saved(page)
        page.get_by_role("link", name="児童生徒の相談内容画面をプレビュー").click()
        expect(page.locator(".pupil-preview ruby", has_text="勉強")).to_be_visible()

        pupil = new_page(chromium)
        pupil.goto(f"{url}/p/{elementary}")
        pupil.get_by_role("button", name="はなしてみる").click()
        expect(pupil.locator(".tile ruby", has_text="勉強")).to_contain_text("べんきょう")
        pupil.goto(f"{url}/p/{junior_high}")
        pupil.get_by_role("button", name="話してみる").or_(
            pupil.get_by_role("button", name="はなしてみる")
        ).click()
        expect(pupil.get_by_role("button", name="勉強と しんろ")).to_be_visible()
        pupil.context.close()
    finally:
        update_topic(city.db, study, COMMAND_LINE)


def _reach_the_message_step_for_the_centre(pupil, url, token) -> None:
    pupil.goto(f"{url}/p/{token}")
    pupil.get_by_role("button", name="はなしてみる").click()
    pupil.get_by_role("button", name="いえのこと・かぞく").click()
    pupil.get_by_role("button", name="つぎへ").click()
    expect(pupil.get_by_label("メッセージ")).to_be_visible()


def test_admin_changes_opening_hours_and_the_out_of_hours_notice_follows(
    live_server, chromium, page
):
    url, city = live_server.url, live_server.city
    _, token = city.school()
    before = {key: get_setting(city.db, key) for key in ("centre_hours", "centre_holidays")}
    today = datetime.now(ZoneInfo("Asia/Tokyo")).weekday()
    try:
        log_in_page(page, url, city.staff("admin"))
        page.get_by_role("link", name="市の設定").click()
        for day in range(7):
            page.locator(f"#hours-form input[name=weekday][value='{day}']").set_checked(
                day != today
            )
        page.locator("form[action$='/settings/hours'] button").click()
        saved(page)
        pupil = new_page(chromium)
        _reach_the_message_step_for_the_centre(pupil, url, token)
        expect(pupil.locator(".out-of-hours")).to_contain_text("189")

        for day in range(7):
            page.locator(f"#hours-form input[name=weekday][value='{day}']").set_checked(True)
        page.locator("#hours-form input[name=open]").fill("00:00")
        page.locator("#hours-form input[name=close]").fill("23:59")
        page.locator("form[action$='/settings/hours'] button").click()
        saved(page)
        page.get_by_label("国民の祝日はセンターを休みにする").set_checked(False)
        page.locator("form[action$='/settings/holidays'] button").click()
        saved(page)
        _reach_the_message_step_for_the_centre(pupil, url, token)
        expect(pupil.locator(".out-of-hours")).to_have_count(0)
        pupil.context.close()
    finally:
        for key, value in before.items():
            set_setting(city.db, key, value)


def test_admin_disables_a_staff_member_whose_open_session_ends(live_server, chromium, page):
    url, city = live_server.url, live_server.city
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    desk = new_page(chromium)
    log_in_page(desk, url, nurse)
    expect(desk.get_by_role("heading", name="受信箱", exact=False)).to_be_visible()

    log_in_page(page, url, city.staff("admin"))
    page.goto(f"{url}/staff/admin/staff/{nurse.id}")
    page.get_by_role("button", name="アカウントを無効にする").click()
    saved(page)
    expect(page.get_by_role("button", name="アカウントを有効に戻す")).to_be_visible()

    desk.reload()
    expect(desk).to_have_url(f"{url}/staff/login")
    assert find_staff(city.db, nurse.login) is not None  # disabled, not deleted
    page.get_by_role("link", name="管理ログ").click()
    expect(page.locator("table.admin-log tbody tr").first).to_contain_text(nurse.login)
    desk.context.close()
