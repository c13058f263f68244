"""Staff sign-in: two-step login, throttling and lock-out, password rules and changes, session
timeouts, and what ends a session at once (logout, password change, disable, 2FA reset)."""

import subprocess
import sys
from datetime import timedelta

import pyotp
import pytest

from school_report import login_throttle, two_factor
from school_report.clock import utc_now
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
from tests.support import DEVICES, PASSWORD, SECRET, csrf_token_in, enrol_two_factor, log_in, unique


def post_login(client, login, password=PASSWORD):
    return client.post(
        "/staff/login", data={"login": login, "password": password}, follow_redirects=False
    )


def sessions_of(city, staff):
    return city.db.execute(
        "SELECT count(*) FROM staff_sessions WHERE staff_id = ?", [staff.id]
    ).fetchone()[0]


# Two-step login


def test_centre_staff_must_set_up_two_step_login_before_any_page(client, city):
    counsellor = add_staff(city.db, unique("centre"), PASSWORD, "centre")
    assert post_login(client, counsellor.login).headers["location"] == "/staff"
    for page in ("/staff", "/staff/reports/1", "/staff/password"):
        response = client.get(page, follow_redirects=False)
        if page != "/staff/password":
            assert response.headers["location"] == "/staff/two-factor", page
    setup = client.get("/staff/two-factor")
    assert 'src="data:image/svg+xml' in setup.text
    secret = city.db.execute(
        "SELECT totp_pending_secret FROM staff WHERE id = ?", [counsellor.id]
    ).fetchone()[0]
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
    assert client.get("/staff", follow_redirects=False).status_code == 200


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
    refused = client.post("/staff/login/code", data={"code": "123456"})
    assert refused.status_code == 400 and sessions_of(city, admin) == 0
    code = DEVICES[admin.login].next_code()
    assert (
        client.post("/staff/login/code", data={"code": code}, follow_redirects=False).status_code
        == 303
    )
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
    response = client.post(
        "/staff/login/code",
        data={"code": DEVICES[admin.login].next_code()},
        follow_redirects=False,
    )
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
    assert sessions_of(city, counsellor) == 0
    assert not two_factor.is_enrolled(city.db, counsellor.id)
    assert post_login(client, counsellor.login).headers["location"] == "/staff"
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/two-factor"
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
        client.post("/staff/login/code", data={"code": "999999"})
    assert post_login(client, admin.login).status_code == 429


def test_the_lock_lifts_after_the_window_and_a_login_clears_the_count(db):
    for _ in range(login_throttle.FAILURES_BEFORE_ACCOUNT_LOCK):
        login_throttle.record_login_failure(db, "sato")
    throttle = login_throttle.login_throttle(db, "sato")
    assert throttle.state == "account_locked" and throttle.minutes_left() == 15
    earlier = (utc_now() - login_throttle.WINDOW - timedelta(seconds=1)).isoformat()
    db.execute("UPDATE login_failures SET at = ?", [earlier])
    assert login_throttle.login_throttle(db, "sato").state == "open"
    login_throttle.forget_login_failures(db, "sato")
    assert db.execute("SELECT count(*) FROM login_failures").fetchone() == (0,)


def test_many_failures_across_accounts_slow_then_pause_every_login(db):
    now = utc_now().isoformat(timespec="seconds")
    rows = [(f"{n:064x}", now) for n in range(login_throttle.FAILURES_BEFORE_SLOWING)]
    db.conn.executemany("INSERT INTO login_failures (login_hash, at) VALUES (?, ?)", rows)
    assert login_throttle.login_throttle(db, "anyone").state == "slow"
    more = login_throttle.FAILURES_BEFORE_SERVICE_LOCK - login_throttle.FAILURES_BEFORE_SLOWING
    db.conn.executemany(
        "INSERT INTO login_failures (login_hash, at) VALUES (?, ?)", rows[:1] * more
    )
    assert login_throttle.login_throttle(db, "anyone").state == "service_locked"


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
