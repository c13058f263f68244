"""In a real Chromium against the real server: injected markup stays inert in every view of a
report, of case work and of the administration; no page breaks the Content-Security-Policy; and
staff set up two-step login, change a reset password and meet a lock-out."""

import re

import pyotp
import pytest
from playwright.sync_api import expect
from starlette.routing import Route

from school_report import cases
from school_report.admin_log import Actor
from school_report.clock import utc_now
from school_report.reports import report_for_staff, submit_report
from school_report.schools import update_school
from school_report.settings import get_setting, set_danger_words
from school_report.staff import add_staff, reset_password
from tests.conftest import new_page
from tests.pupil_steps import STEPS, walk_pupil_flow
from tests.support import PASSWORD, log_in_page, topic_id, unique
from web.app import routes

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
    # A new account: the administrator handed over a temporary password, which alone allows
    # setting up two-step login (a stolen password of one's own does not).
    counsellor = add_staff(city.db, unique("centre"), PASSWORD, "centre", must_change_password=True)
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
    page.get_by_label("現在のパスワード").fill(PASSWORD)
    page.get_by_label("新しいパスワード", exact=True).fill("my own pass phrase")
    page.get_by_label("新しいパスワード（確認）").fill("my own pass phrase")
    page.get_by_role("button", name="パスワードの変更").click()
    expect(page.get_by_role("heading", name="受信箱", exact=False)).to_be_visible()

    page.get_by_role("button", name="ログアウト").click()
    page.get_by_label("ログインID").fill(counsellor.login)
    page.get_by_label("パスワード").fill("my own pass phrase")
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


# Short enough for a one-line field (a display name, a danger word, a headline).
SHORT_INJECTION = "<img src=x onerror=pwned=1><b>太</b>"
SHOWN_AS_TEXT = "<img src=x onerror"  # what both injections show, as text


def shown_as_text(page, where: str) -> list[str]:
    """What is wrong on the page: the markup ran, became elements, or is not shown at all (as
    text, or as the value of a field to edit it in)."""
    problems = []
    if page.evaluate("window.pwned") is not None:
        problems.append(f"{where}: the script ran")
    if page.locator('img[src="x"], a[href^="javascript"]').count():
        problems.append(f"{where}: the markup became elements")
    shown = page.evaluate(
        "() => [document.body.innerText, ...[...document.querySelectorAll('input, textarea')]"
        ".map((field) => field.value)].join('\\n')"
    )
    if SHOWN_AS_TEXT not in shown:
        problems.append(f"{where}: the injected text is not shown")
    return problems


def _case_work_with_injections(db, centre, school) -> int:
    """A centre case whose headline, note, watch reason and coordination entry are hostile."""
    submit_report(db, school, topic_id(db, "home"), "centre", INJECTION, submission_key=unique("x"))
    (report_id,) = db.execute("SELECT max(id) FROM reports").fetchone()
    report = report_for_staff(db, centre, report_id)
    cases.set_headline(db, centre, report, SHORT_INJECTION)
    cases.add_note(db, centre, report, INJECTION)
    cases.set_watch(db, centre, report, True, SHORT_INJECTION)
    cases.log_coordination(
        db,
        centre,
        report,
        agency="school",
        contact_person=SHORT_INJECTION,
        summary=INJECTION,
        pupil_consent="agreed",
        abuse_notification=False,
        contacted_at=utc_now(),
    )
    return report_id


def _administration_with_injections(db, admin, school) -> int:
    """A school, an account and a danger word named with markup; the account's id."""
    by = Actor(admin.id, admin.login)
    update_school(db, school, f"{SHORT_INJECTION}小", school.kind, school.reading, by)
    nurse = add_staff(db, unique("nurse"), PASSWORD, "nurse", school, SHORT_INJECTION, by=by)
    set_danger_words(db, [*get_setting(db, "danger_words", []), SHORT_INJECTION], by)
    return nurse.id


def test_injected_markup_stays_text_in_the_inbox_case_pages_review_and_admin_pages(
    live_server, chromium
):
    url, city = live_server.url, live_server.city
    school, _ = city.school()
    centre, admin = city.staff("centre"), city.staff("admin")
    report_id = _case_work_with_injections(city.db, centre, school)
    nurse_id = _administration_with_injections(city.db, admin, school)
    pages = {
        centre: [
            "/staff",
            f"/staff/reports/{report_id}",
            "/staff/watch",
            "/staff/coordination",
            "/staff/weekly",
            "/staff/weekly/print",
        ],
        admin: [
            "/staff/admin/schools",
            f"/staff/admin/schools/{school.id}",
            "/staff/admin/staff",
            f"/staff/admin/staff/{nurse_id}",
            "/staff/admin/settings",
            "/staff/admin/log",
        ],
    }
    problems = []
    for member, paths in pages.items():
        desk = new_page(chromium)
        try:
            log_in_page(desk, url, member)
            for path in paths:
                desk.goto(f"{url}{path}")
                problems += shown_as_text(desk, path)
        finally:
            desk.context.close()
    assert not problems, "\n".join(problems)


# Every violation of the Content-Security-Policy, reported from the page to the test (a binding
# that outlives navigations; the listener is installed before any of the page's own scripts).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile || document.location.pathname}:${event.lineNumber}`
  );
});
"""
# GET routes that answer with something other than a page.
NOT_PAGES = {"/healthz", "/exit", "/staff/weekly.csv", "/staff/statistics/export.{format:str}"}


def csp_violations(page) -> list[str]:
    """The list the page's CSP violations are added to, from now on."""
    found: list[str] = []
    page.expose_function("reportCspViolation", lambda text: found.append(f"{page.url}: {text}"))
    page.add_init_script(CSP_LISTENER)
    return found


def _page_paths(ids: dict[str, int]) -> list[str]:
    """Every GET page of the route table, its ids filled in (the pupil page is walked)."""
    paths = []
    for route in routes:
        if not isinstance(route, Route) or "GET" not in (route.methods or ()):
            continue
        if route.path in NOT_PAGES or route.path == "/p/{token}":
            continue
        paths.append(re.sub(r"{(\w+)(?::\w+)?}", lambda m: str(ids[m[1]]), route.path))
    return paths


def test_the_violation_listener_hears_a_blocked_inline_script(live_server, page):
    found = csp_violations(page)
    page.goto(f"{live_server.url}/")
    page.evaluate(
        "() => document.head.append(Object.assign(document.createElement('script'), "
        "{textContent: 'window.pwned = 1'}))"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.pwned") is None
    assert found and "script-src" in found[0]


def test_no_staff_page_of_the_route_table_breaks_the_content_security_policy(live_server, chromium):
    """As the centre, a school's nurse and the city admin: each sees some pages and is refused
    others (error pages must keep the policy too)."""
    url, city = live_server.url, live_server.city
    school, _ = city.school()
    ids = {
        "report_id": _case_work_with_injections(city.db, city.staff("centre"), school),
        "school_id": school.id,
        "staff_id": city.staff("nurse", school).id,
        "topic_id": topic_id(city.db, "friends"),
    }
    violations, visited = [], 0
    for member in (city.staff("centre"), city.staff("nurse", school), city.staff("admin")):
        desk = new_page(chromium)
        try:
            found = csp_violations(desk)
            log_in_page(desk, url, member)
            for path in _page_paths(ids):
                desk.goto(f"{url}{path}")
                desk.wait_for_load_state("networkidle")
                visited += 1
        finally:
            desk.context.close()
        violations += found
    assert visited == 3 * len(_page_paths(ids)) > 60
    assert not violations, "\n".join(violations)


def test_no_pupil_step_breaks_the_content_security_policy(live_server, page):
    found = csp_violations(page)
    seen = []
    walk_pupil_flow(page, live_server, "ja", seen.append)
    assert tuple(seen) == STEPS
    assert not found, "\n".join(found)
