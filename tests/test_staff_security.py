"""Staff sign-in: two-step login, throttling and lock-out, password rules and changes, session
timeouts, and what ends a session at once (logout, password change, disable, 2FA reset)."""

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import httpx2 as httpx
import pyotp
import pytest
from starlette.testclient import TestClient

from school_report import login_throttle, two_factor
from school_report.clock import parse_iso, utc_now
from school_report.settings import set_setting
from school_report.staff import (
    SESSION_IDLE,
    SESSION_LIFETIME,
    StaffError,
    add_staff,
    disable_staff,
    reset_password,
    staff_for_session,
    start_session,
)
from tests.support import (
    DEVICES,
    PASSWORD,
    SECRET,
    csrf_token_in,
    enrol_two_factor,
    form_token,
    log_in,
    post_code_form,
    post_login_form,
    unique,
)
from web.app import create_app


def post_login(client, login, password=PASSWORD):
    return post_login_form(client, login, password, follow_redirects=False)


def sessions_of(city, staff):
    return city.db.execute(
        "SELECT count(*) FROM staff_sessions WHERE staff_id = ?", [staff.id]
    ).fetchone()[0]


# Two-step login


def pending_secret_of(city, staff):
    return city.db.execute(
        "SELECT totp_pending_secret FROM staff WHERE id = ?", [staff.id]
    ).fetchone()[0]


def test_new_centre_staff_set_up_two_step_login_then_choose_a_password(client, city):
    # The administrator created the account with a temporary password.
    counsellor = add_staff(city.db, unique("centre"), PASSWORD, "centre", must_change_password=True)
    assert post_login(client, counsellor.login).headers["location"] == "/staff"
    for page in ("/staff", "/staff/reports/1", "/staff/password"):
        response = client.get(page, follow_redirects=False)
        assert response.headers["location"] == "/staff/two-factor", page
    setup = client.get("/staff/two-factor")
    assert 'src="data:image/svg+xml' in setup.text
    secret = pending_secret_of(city, counsellor)
    assert secret in setup.text
    wrong = client.post(
        "/staff/two-factor", data={"code": "000000", "csrf_token": csrf_token_in(setup.text)}
    )
    assert wrong.status_code == 400 and "コード" in wrong.text
    right = client.post(
        "/staff/two-factor",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_token_in(setup.text)},
    )
    assert right.status_code == 200
    assert right.text.count("<li><code>") == two_factor.RECOVERY_CODES
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/password"
    page = client.get("/staff/password")
    assert (
        change(client, csrf_token_in(page.text), PASSWORD, "my own pass phrase").status_code == 303
    )
    assert client.get("/staff", follow_redirects=False).status_code == 200


def test_a_stolen_password_cannot_enrol_a_phone_where_two_step_login_is_required(client, city):
    # An account that must use two-step login but never set it up, with its own password:
    # whoever has that password must not get to enrol their phone.
    counsellor = add_staff(city.db, unique("centre"), PASSWORD, "centre")
    assert post_login(client, counsellor.login).headers["location"] == "/staff"
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/two-factor"
    page = client.get("/staff/two-factor")
    assert page.status_code == 200 and "data:image/svg+xml" not in page.text
    assert "管理者" in page.text  # ask an administrator
    assert pending_secret_of(city, counsellor) is None
    for code in ("000000", "123456"):
        refused = client.post(
            "/staff/two-factor", data={"code": code, "csrf_token": csrf_token_in(page.text)}
        )
        assert refused.status_code == 403
    assert not two_factor.is_enrolled(city.db, counsellor.id)
    # Nor can they make the password their own first.
    response = client.get("/staff/password", follow_redirects=False)
    assert response.headers["location"] == "/staff/two-factor"


def test_an_administrator_resets_two_step_login_and_hands_out_a_temporary_password(client, city):
    admin = city.staff("admin")
    counsellor = city.staff("centre")
    csrf = log_in(client, admin)
    shown = client.post(f"/staff/admin/staff/{counsellor.id}/two-factor", data={"csrf_token": csrf})
    assert shown.status_code == 200
    temporary = shown.text.split('id="temporary-password">')[1].split("<")[0]
    assert not two_factor.is_enrolled(city.db, counsellor.id)
    client.post("/staff/logout", data={"csrf_token": csrf_token_in(shown.text)})
    assert post_login(client, counsellor.login).status_code == 400  # the old password is gone
    assert post_login(client, counsellor.login, temporary).headers["location"] == "/staff"
    setup = client.get("/staff/two-factor")
    assert pending_secret_of(city, counsellor) in setup.text


def test_a_school_nurse_may_skip_two_step_login_unless_the_city_requires_it(client, city):
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    log_in(client, nurse)
    assert client.get("/staff", follow_redirects=False).status_code == 200
    set_setting(city.db, "require_two_factor_for_schools", True)
    response = client.get("/staff", follow_redirects=False)
    assert response.headers["location"] == "/staff/two-factor"


def test_login_with_two_step_needs_the_code_and_makes_no_session_before_it(client, city):
    admin = city.staff("admin")
    response = post_login(client, admin.login)
    assert response.headers["location"] == "/staff/login/code"
    assert sessions_of(city, admin) == 0
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/login"
    refused = post_code_form(client, "123456")
    assert refused.status_code == 400 and sessions_of(city, admin) == 0
    code = DEVICES[admin.login].next_code()
    assert post_code_form(client, code, follow_redirects=False).status_code == 303
    assert sessions_of(city, admin) == 1


def test_a_used_code_cannot_be_used_again(db):
    staff = add_staff(db, "centre-a", PASSWORD, "centre")
    device = enrol_two_factor(db, staff)
    code = device.next_code()
    assert two_factor.verify_second_factor(db, staff.id, code)
    assert not two_factor.verify_second_factor(db, staff.id, code)
    # Nor an older one, still inside the clock window.
    older = pyotp.TOTP(device.secret).generate_otp(device.last_step - 1)
    assert not two_factor.verify_second_factor(db, staff.id, older)


def test_a_recovery_code_works_once_and_is_stored_only_as_a_hash(db):
    staff = add_staff(db, "centre-b", PASSWORD, "centre")
    device = enrol_two_factor(db, staff)
    code = device.recovery_codes[0]
    stored = [row[0] for row in db.execute("SELECT code_hash FROM staff_recovery_codes")]
    assert code not in stored and len(stored) == two_factor.RECOVERY_CODES
    assert two_factor.verify_second_factor(db, staff.id, code.upper().replace("-", " "))
    assert not two_factor.verify_second_factor(db, staff.id, code)
    assert two_factor.recovery_codes_left(db, staff.id) == two_factor.RECOVERY_CODES - 1


def test_a_pending_login_cookie_expires_and_cannot_be_forged(client, city):
    admin = city.staff("admin")
    client.cookies.set("staff_login", "1.forged.signature", path="/staff/login")
    response = client.get("/staff/login/code", follow_redirects=False)
    assert response.headers["location"] == "/staff/login"
    response = post_code_form(client, DEVICES[admin.login].next_code(), follow_redirects=False)
    assert response.headers["location"] == "/staff/login" and sessions_of(city, admin) == 0


def test_reset_two_factor_from_the_command_line_ends_sessions_and_asks_to_enrol_again(
    client, city, settings
):
    counsellor = city.staff("centre")
    log_in(client, counsellor)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "school_admin",
            "staff",
            "reset-2fa",
            counsellor.login,
            "--db",
            str(settings.db_path),
        ],
        capture_output=True,
        text=True,
        env={"SCHOOL_REPORT_SECRET": SECRET, "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    temporary = result.stdout.strip().splitlines()[-1]
    assert sessions_of(city, counsellor) == 0
    assert not two_factor.is_enrolled(city.db, counsellor.id)
    assert post_login(client, counsellor.login).status_code == 400
    assert post_login(client, counsellor.login, temporary).headers["location"] == "/staff"
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/two-factor"
    assert "data:image/svg+xml" in client.get("/staff/two-factor").text
    actions = [row[0] for row in city.db.execute("SELECT action FROM admin_log")]
    assert "staff.reset_two_factor" in actions


# Throttling


def test_five_wrong_passwords_lock_the_account_with_a_clear_message(client, city):
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    for _ in range(login_throttle.FAILURES_BEFORE_ACCOUNT_LOCK):
        assert post_login(client, nurse.login, "wrong password!").status_code == 400
    locked = post_login(client, nurse.login)  # even the right password now
    assert locked.status_code == 429
    assert "ロック" in locked.text and "15" in locked.text
    assert sessions_of(city, nurse) == 0
    # Another account is not affected.
    assert post_login(client, city.staff("nurse", school).login).status_code == 303


def test_an_unknown_login_locks_like_a_real_one_so_lock_out_reveals_nothing(client, city):
    for _ in range(login_throttle.FAILURES_BEFORE_ACCOUNT_LOCK):
        post_login(client, "nobody-here", "wrong password!")
    assert post_login(client, "nobody-here").status_code == 429
    stored = city.db.execute("SELECT login_hash FROM login_failures").fetchall()
    assert all("nobody" not in row[0] for row in stored)


def test_wrong_second_factor_codes_count_towards_the_lock(client, city):
    admin = city.staff("admin")
    for _ in range(login_throttle.FAILURES_BEFORE_ACCOUNT_LOCK):
        post_login(client, admin.login)
        post_code_form(client, "999999")
    assert post_login(client, admin.login).status_code == 429


def test_the_lock_lifts_after_the_window_and_a_login_clears_the_count(db):
    for _ in range(login_throttle.FAILURES_BEFORE_ACCOUNT_LOCK):
        assert not login_throttle.begin_login_attempt(db, "sato").locked
    throttle = login_throttle.begin_login_attempt(db, "sato")
    assert throttle.state == "account_locked" and throttle.minutes_left() == 15
    # A refused try is not counted, so the lock lifts when the window says.
    assert db.execute("SELECT count(*) FROM login_failures").fetchone() == (5,)
    earlier = (utc_now() - login_throttle.WINDOW - timedelta(seconds=1)).isoformat()
    db.execute("UPDATE login_failures SET at = ?", [earlier])
    assert login_throttle.begin_login_attempt(db, "sato").state == "open"
    login_throttle.forget_login_failures(db, "sato")
    assert db.execute("SELECT count(*) FROM login_failures").fetchone() == (0,)


def test_a_right_password_is_not_counted_as_a_failure(db):
    attempt = login_throttle.begin_login_attempt(db, "sato")
    login_throttle.password_was_right(db, attempt)
    assert db.execute("SELECT count(*) FROM login_failures").fetchone() == (0,)


def failures_of_other_logins(db, how_many):
    now = utc_now().isoformat(timespec="seconds")
    rows = [(f"{n:064x}", now) for n in range(how_many)]
    db.conn.executemany("INSERT INTO login_failures (login_hash, at) VALUES (?, ?)", rows)


def test_many_failures_across_accounts_only_slow_logins_never_pause_them(db):
    failures_of_other_logins(db, login_throttle.FAILURES_BEFORE_SLOWING - 1)
    assert login_throttle.begin_login_attempt(db, "anyone").delay == 0
    failures_of_other_logins(db, 1000)
    attempt = login_throttle.begin_login_attempt(db, "anyone")
    assert not attempt.locked and attempt.delay == login_throttle.SLOW_DOWN_SECONDS


def test_a_password_spraying_flood_slows_a_right_login_but_never_refuses_it(
    client, city, monkeypatch
):
    monkeypatch.setattr(login_throttle, "SLOW_DOWN_SECONDS", 0.4)
    counsellor = city.staff("centre")
    failures_of_other_logins(city.db, 1000)  # far past the old city-wide pause of 300
    started = time.monotonic()
    response = post_login(client, counsellor.login)
    assert response.headers["location"] == "/staff/login/code"
    code = DEVICES[counsellor.login].next_code()
    response = post_code_form(client, code, follow_redirects=False)
    assert response.headers["location"] == "/staff"
    assert time.monotonic() - started >= 2 * 0.4  # both steps were slowed
    assert client.get("/staff", follow_redirects=False).status_code == 200
    # The account's own lock still holds under the flood.
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    for _ in range(login_throttle.FAILURES_BEFORE_ACCOUNT_LOCK):
        assert post_login(client, nurse.login, "wrong password!").status_code == 400
    assert post_login(client, nurse.login).status_code == 429


def test_parallel_wrong_passwords_get_no_more_checks_than_the_lock_allows(live_server):
    school, _ = live_server.city.school()
    nurse = live_server.city.staff("nurse", school)
    tries = 40
    start_together = threading.Barrier(tries)

    def browser():
        return httpx.Client(
            base_url=live_server.url, headers={"origin": live_server.url}, timeout=60
        )

    def guess(_):
        with browser() as c:
            form = {"login": nurse.login, "password": "a wrong guess", "csrf_token": form_token(c)}
            start_together.wait()
            return c.post("/staff/login", data=form).status_code

    try:
        with ThreadPoolExecutor(tries) as pool:
            statuses = list(pool.map(guess, range(tries)))
        # 400: the password was checked (and wrong); 429: refused before any check.
        assert set(statuses) <= {400, 429}, statuses
        assert statuses.count(400) <= login_throttle.FAILURES_BEFORE_ACCOUNT_LOCK, statuses
        with browser() as c:
            assert post_login_form(c, nurse.login).status_code == 429
    finally:
        login_throttle.forget_login_failures(live_server.city.db, nurse.login)


# Passwords


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("short pass", False),
        ("aaaaaaaaaaaaaaaa", False),
        ("x" * 257, False),
        ("tanaka-sensei", False),  # the login itself
        ("ねこと りんごと ふねの うた", True),  # a pass-phrase in Japanese, spaces and all
        ("correct horse battery staple", True),
        ("alllowercaseletters", True),  # no composition rules
    ],
)
def test_password_rules_ask_for_length_not_composition(db, password, accepted):
    if accepted:
        add_staff(db, "tanaka-sensei", password, "centre")
    else:
        with pytest.raises(StaffError):
            add_staff(db, "tanaka-sensei", password, "centre")


def change(client, csrf, current, new, repeat=None):
    return client.post(
        "/staff/password",
        data={
            "current_password": current,
            "new_password": new,
            "repeat_password": new if repeat is None else repeat,
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )


def test_changing_the_password_ends_every_other_session(client, city, settings):
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    elsewhere = start_session(city.db, nurse)
    csrf = log_in(client, nurse)
    response = change(client, csrf, PASSWORD, "a brand new pass phrase")
    assert response.status_code == 303
    assert staff_for_session(city.db, elsewhere) is None
    assert sessions_of(city, nurse) == 1  # this browser's fresh one
    assert client.get("/staff", follow_redirects=False).status_code == 200
    assert post_login(client, nurse.login).status_code == 400
    assert post_login(client, nurse.login, "a brand new pass phrase").status_code == 303


@pytest.mark.parametrize(
    ("current", "new", "repeat", "reason"),
    [
        ("wrong current pw", "a brand new pass phrase", None, "現在のパスワード"),
        (PASSWORD, "short", None, "12"),
        (PASSWORD, "a brand new pass phrase", "a different phrase", "一致"),
        (PASSWORD, PASSWORD, None, "異なる"),
    ],
)
def test_a_refused_password_change_says_why_and_changes_nothing(
    client, city, current, new, repeat, reason
):
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    csrf = log_in(client, nurse)
    before = city.db.execute("SELECT password_hash FROM staff WHERE id = ?", [nurse.id]).fetchone()
    response = change(client, csrf, current, new, repeat)
    assert response.status_code == 400 and reason in response.text, response.text
    after = city.db.execute("SELECT password_hash FROM staff WHERE id = ?", [nurse.id]).fetchone()
    assert before == after and sessions_of(city, nurse) == 1


def test_a_reset_password_must_be_changed_at_the_next_login(client, city):
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    temporary = reset_password(city.db, nurse.id)
    assert post_login(client, temporary and nurse.login, temporary).status_code == 303
    response = client.get("/staff", follow_redirects=False)
    assert response.headers["location"] == "/staff/password"
    page = client.get("/staff/password")
    assert "リセット" in page.text
    assert (
        change(client, csrf_token_in(page.text), temporary, "my own pass phrase").status_code == 303
    )
    assert client.get("/staff", follow_redirects=False).status_code == 200


def test_a_password_change_without_the_csrf_token_is_refused(client, city):
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    log_in(client, nurse)
    assert change(client, "forged", PASSWORD, "a brand new pass phrase").status_code == 403


# Sessions


def age_session(city, staff, **columns):
    for column, age in columns.items():
        city.db.execute(
            f"UPDATE staff_sessions SET {column} = ? WHERE staff_id = ?",
            [(utc_now() - age).isoformat(timespec="seconds"), staff.id],
        )


def test_an_idle_session_ends(client, city):
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    log_in(client, nurse)
    age_session(city, nurse, last_seen_at=SESSION_IDLE - timedelta(minutes=1))
    assert client.get("/staff", follow_redirects=False).status_code == 200
    age_session(city, nurse, last_seen_at=SESSION_IDLE + timedelta(minutes=1))
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/login"
    assert sessions_of(city, nurse) == 0


def let_time_pass(city, staff, elapsed):
    """Move the session's clock readings back, as if `elapsed` had gone by."""
    for token_hash, created_at, last_seen_at in city.db.execute(
        "SELECT id_hash, created_at, last_seen_at FROM staff_sessions WHERE staff_id = ?",
        [staff.id],
    ).fetchall():
        earlier = [(parse_iso(at) - elapsed).isoformat() for at in (created_at, last_seen_at)]
        city.db.execute(
            "UPDATE staff_sessions SET created_at = ?, last_seen_at = ? WHERE id_hash = ?",
            [*earlier, token_hash],
        )


POLL = {"HX-Request": "true", "X-Background-Poll": "1"}


def test_an_inbox_left_open_still_logs_out_after_half_an_hour(client, city):
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    log_in(client, nurse)
    assert "X-Background-Poll" in client.get("/staff").text  # the inbox marks its polls
    minutes = 0
    while minutes <= 40:
        let_time_pass(city, nurse, timedelta(minutes=1))
        minutes += 1
        response = client.get("/staff", headers=POLL, follow_redirects=False)
        if response.status_code != 200:
            break
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/staff/login"
    # Ended at half an hour idle (the seconds the test itself takes may tip it a poll early).
    idle_minutes = SESSION_IDLE // timedelta(minutes=1)
    assert idle_minutes <= minutes <= idle_minutes + 1
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/login"


def test_a_staff_member_who_keeps_working_stays_logged_in(client, city):
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    log_in(client, nurse)
    for _ in range(40):
        let_time_pass(city, nurse, timedelta(minutes=1, seconds=1))
        response = client.get("/staff", headers={"HX-Request": "true"}, follow_redirects=False)
        assert response.status_code == 200


def test_a_busy_session_still_ends_after_its_lifetime(client, city):
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    log_in(client, nurse)
    age_session(city, nurse, created_at=SESSION_LIFETIME + timedelta(minutes=1))
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/login"


def test_logout_ends_the_session_on_the_server(client, city):
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    csrf = log_in(client, nurse)
    cookie = client.cookies.get("staff_session")
    client.post("/staff/logout", data={"csrf_token": csrf})
    assert sessions_of(city, nurse) == 0
    client.cookies.set("staff_session", cookie)  # a copy of the cookie kept from before
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/login"


def test_disabling_an_account_ends_its_sessions_at_once(client, city):
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    log_in(client, nurse)
    disable_staff(city.db, nurse.id)
    assert sessions_of(city, nurse) == 0
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/login"
    assert post_login(client, nurse.login).status_code == 400


def test_disabling_from_the_command_line_ends_the_sessions_at_once(client, city, settings):
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    log_in(client, nurse)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "school_admin",
            "staff",
            "disable",
            nurse.login,
            "--db",
            str(settings.db_path),
        ],
        capture_output=True,
        text=True,
        env={"SCHOOL_REPORT_SECRET": SECRET, "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert sessions_of(city, nurse) == 0
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/login"


# Cross-site request forgery


def post_login_with(client, headers):
    """A login post, with its token, carrying exactly these origin headers."""
    form = {"login": "nobody", "password": "wrong password!", "csrf_token": form_token(client)}
    del client.headers["origin"]
    return client.post("/staff/login", data=form, headers=headers)


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({}, False),  # neither Origin nor Sec-Fetch-Site
        ({"origin": "null"}, False),
        ({"origin": "null", "sec-fetch-site": "cross-site"}, False),
        ({"origin": "null", "sec-fetch-site": "same-site"}, False),
        # Found by the outside review (issue 15): a sandboxed frame sends Origin: null.
        ({"origin": "null", "sec-fetch-site": "same-origin"}, False),
        ({"sec-fetch-site": "same-origin"}, False),
        ({"origin": "http://testserver", "sec-fetch-site": "same-site"}, False),
        ({"origin": "http://testserver", "sec-fetch-site": "same-origin"}, True),
        ({"origin": "https://evil.example"}, False),
        ({"origin": "http://testserver"}, True),
    ],
)
def test_a_login_or_language_post_from_anywhere_but_this_site_is_refused(client, headers, allowed):
    response = post_login_with(client, headers)
    assert (response.status_code != 403) == allowed, response.status_code
    form = {"language": "en", "csrf_token": form_token(client)}
    language = client.post("/staff/language", data=form, headers=headers)
    assert (language.status_code != 403) == allowed


def test_with_a_base_url_set_only_its_origin_may_post(settings):
    app = create_app(replace(settings, base_url="https://report.city.example", https=True))
    with TestClient(app, base_url="https://testserver") as client:
        form = {"language": "en", "csrf_token": form_token(client)}
        # Behind a proxy that does not keep the Host header, the base URL still matches.
        ok = client.post(
            "/staff/language",
            data=form,
            headers={"origin": "https://report.city.example"},
            follow_redirects=False,
        )
        assert ok.status_code == 303
        # A page whose name was pointed at this server (DNS rebinding) is another site.
        refused = client.post(
            "/staff/language", data=form, headers={"origin": "https://testserver"}
        )
        assert refused.status_code == 403


# The forms shown before logging in carry a token bound to the browser's pre-session key

FORGERIES = ("no token", "another browser's token", "a token but no cookie")


def login_failures(city):
    return city.db.execute("SELECT count(*) FROM login_failures").fetchone()[0]


def another_browser(settings):
    return TestClient(create_app(settings), headers={"origin": "http://testserver"})


def forged_token(client, settings, forgery, page="/staff/login"):
    """The token a post that this browser's page did not make carries; the browser has its
    own pre-session cookie, except for 'a token but no cookie'."""
    own = form_token(client, page)
    if forgery == "a token but no cookie":
        client.cookies.delete("staff_form")
        return own
    if forgery == "another browser's token":
        with another_browser(settings) as other:
            return form_token(other, page)
    return ""


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_login_without_this_browsers_form_token_is_refused_and_counts_nothing(
    client, city, settings, forgery
):
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    token = forged_token(client, settings, forgery)
    for password in (PASSWORD, "a wrong guess"):
        form = {"login": nurse.login, "password": password, "csrf_token": token}
        refused = client.post("/staff/login", data=form, follow_redirects=False)
        assert refused.status_code == 403, password
        assert sessions_of(city, nurse) == 0 and login_failures(city) == 0
        assert "staff_session" not in refused.cookies


def test_a_login_page_left_open_past_its_cookies_life_gives_a_fresh_form_that_works(client, city):
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    page = client.get("/staff/login")
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("staff_form=") and "Max-Age=14400" in cookie
    assert "HttpOnly" in cookie and "Path=/staff" in cookie and "SameSite=strict" in cookie
    form = {"login": nurse.login, "password": PASSWORD, "csrf_token": csrf_token_in(page.text)}
    client.cookies.delete("staff_form")  # what the browser does when its Max-Age is over
    renewed = client.post("/staff/login", data=form, follow_redirects=False)
    assert renewed.status_code == 403 and "長い時間開かれていた" in renewed.text
    assert 'name="password"' in renewed.text and sessions_of(city, nurse) == 0
    form["csrf_token"] = csrf_token_in(renewed.text)
    logged_in = client.post("/staff/login", data=form, follow_redirects=False)
    assert logged_in.headers["location"] == "/staff" and sessions_of(city, nurse) == 1


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_second_factor_code_without_this_browsers_form_token_is_refused(
    client, city, settings, forgery
):
    admin = city.staff("admin")
    assert post_login(client, admin.login).headers["location"] == "/staff/login/code"
    token = forged_token(client, settings, forgery, "/staff/login/code")
    failures = login_failures(city)
    for code in (DEVICES[admin.login].next_code(), "999999"):
        form = {"code": code, "csrf_token": token}
        refused = client.post("/staff/login/code", data=form, follow_redirects=False)
        assert refused.status_code == 403 and "ふるく" in refused.text, code
        assert sessions_of(city, admin) == 0 and login_failures(city) == failures
    # The page, opened again, gives a form that works.
    right = post_code_form(client, DEVICES[admin.login].next_code(), follow_redirects=False)
    assert right.headers["location"] == "/staff" and sessions_of(city, admin) == 1


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_language_switch_without_this_browsers_form_token_is_refused(client, settings, forgery):
    token = forged_token(client, settings, forgery)
    form = {"language": "en", "csrf_token": token, "next": "/staff/login"}
    refused = client.post("/staff/language", data=form, follow_redirects=False)
    assert refused.status_code == 403 and "staff_language" not in refused.cookies
    form["csrf_token"] = form_token(client)
    switched = client.post("/staff/language", data=form, follow_redirects=False)
    assert switched.status_code == 303 and switched.cookies["staff_language"] == "en"


def test_the_language_switch_of_a_logged_in_page_carries_the_sessions_token(client, city, settings):
    school, _ = city.school()
    csrf = log_in(client, city.staff("nurse", school))
    assert "staff_form" not in client.cookies  # the session binds every form from here
    with another_browser(settings) as other:
        others = log_in(other, city.staff("nurse", school))
    refused = client.post("/staff/language", data={"language": "en", "csrf_token": others})
    assert refused.status_code == 403
    switched = client.post(
        "/staff/language", data={"language": "en", "csrf_token": csrf}, follow_redirects=False
    )
    assert switched.status_code == 303 and switched.cookies["staff_language"] == "en"
