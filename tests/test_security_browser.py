"""In a real Chromium against the real server: injected markup stays inert in every view of a
report, and staff set up two-step login, change a reset password and meet a lock-out."""

import pyotp
import pytest
from playwright.sync_api import expect

from school_report.staff import add_staff, reset_password
from tests.conftest import new_page
from tests.support import PASSWORD, log_in_page, unique

pytestmark = pytest.mark.browser

INJECTION = (
    '<script>window.pwned=1</script><img src=x onerror="window.pwned=1">'
    '<b>太字</b><a href="javascript:window.pwned=1">link</a>\u202eきけん'
)


def assert_inert(page):
    assert page.evaluate("window.pwned") is None
    assert page.locator(".message-text img, .message-text b, .message-text a").count() == 0


def test_injected_markup_stays_text_for_the_pupil_and_the_staff(live_server, chromium, page):
    url, city = live_server.url, live_server.city
    school, token = city.school()
    team = city.staff("school_team", school)
    page.goto(f"{url}/p/{token}")
    page.get_by_role("button", name="はなしてみる").click()
    page.get_by_role("button", name="いじめ").click()
    page.get_by_role("button", name="つぎへ").click()
    page.get_by_label("メッセージ").fill(INJECTION)
    page.get_by_role("button", name="つぎへ").click()
    expect(page.locator(".message-text")).to_have_text(INJECTION)
    assert_inert(page)
    page.get_by_role("button", name="おくる").click()
    expect(page.get_by_role("heading", name="おくりました")).to_be_visible()
    code = " ".join(page.locator(".code-group").all_inner_texts())

    desk = new_page(chromium)
    try:
        log_in_page(desk, url, team)
        desk.get_by_role("link", name="#").first.click()
        expect(desk.locator(".message-text").first).to_have_text(INJECTION)
        assert_inert(desk)
    finally:
        desk.context.close()

    page.goto(f"{url}/p/{token}")
    page.get_by_role("button", name="へんじを よむ").click()
    page.get_by_label("あいことば").fill(code)
    page.get_by_role("button", name="ひらく").click()
    expect(page.locator(".message-text").first).to_have_text(INJECTION)
    assert_inert(page)


def test_a_counsellor_sets_up_two_step_login_and_uses_it(live_server, page):
    url, city = live_server.url, live_server.city
    counsellor = add_staff(city.db, unique("centre"), PASSWORD, "centre")
    log_in_page(page, url, counsellor)
    expect(page.get_by_role("heading", name="2段階認証")).to_be_visible()
    qr = page.get_by_role("img", name="認証アプリ用のQRコード")
    expect(qr).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", qr.element_handle()) > 100
    secret = page.locator(".secret-key").inner_text()
    page.get_by_label("アプリのコード").fill("000000")
    page.get_by_role("button", name="2段階認証を有効にする").click()
    expect(page.get_by_role("alert")).to_contain_text("コードが正しくない")
    page.get_by_label("アプリのコード").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="2段階認証を有効にする").click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    recovery = page.locator(".recovery-codes li").first.inner_text()
    page.get_by_role("link", name="保管しました").click()
    expect(page.get_by_role("heading", name="受信箱", exact=False)).to_be_visible()

    page.get_by_role("button", name="ログアウト").click()
    page.get_by_label("ログインID").fill(counsellor.login)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.get_by_label("認証アプリの6桁のコード", exact=False).fill(recovery)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="受信箱", exact=False)).to_be_visible()


def test_a_nurse_with_a_reset_password_chooses_her_own_first(live_server, page):
    url, city = live_server.url, live_server.city
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    temporary = reset_password(city.db, nurse.id)
    log_in_page(page, url, nurse, password=temporary)
    expect(page.get_by_role("note")).to_contain_text("リセット")
    page.get_by_label("現在のパスワード").fill(temporary)
    page.get_by_label("新しいパスワード", exact=True).fill("my own pass phrase")
    page.get_by_label("新しいパスワード（確認）").fill("my own pass phrase!")
    page.get_by_role("button", name="パスワードの変更").click()
    expect(page.get_by_role("alert")).to_contain_text("一致しません")
    page.get_by_label("現在のパスワード").fill(temporary)
    page.get_by_label("新しいパスワード", exact=True).fill("my own pass phrase")
    page.get_by_label("新しいパスワード（確認）").fill("my own pass phrase")
    page.get_by_role("button", name="パスワードの変更").click()
    expect(page.get_by_role("heading", name="受信箱", exact=False)).to_be_visible()


def test_too_many_wrong_passwords_show_the_lock_out_plainly(live_server, page):
    url, city = live_server.url, live_server.city
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    page.goto(f"{url}/staff/login")
    for _ in range(6):
        page.get_by_label("ログインID").fill(nurse.login)
        page.get_by_label("パスワード").fill("not the password")
        page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("alert")).to_contain_text("ロックされています")
    expect(page.get_by_role("alert")).to_contain_text("分後")
