"""City administration: the domain functions the admin pages and `school-admin` share, who may
reach which admin page, and bad input refused kindly with nothing changed."""

import os
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from school_report.admin_log import COMMAND_LINE, Actor, log_entries
from school_report.db import connect
from school_report.hours import (
    centre_is_open,
    next_centre_opening,
    set_centre_holidays,
    set_centre_hours,
)
from school_report.migrations import migrate
from school_report.schools import SchoolError, add_school, get_school, set_school_active
from school_report.settings import SettingError, get_setting, set_danger_words
from school_report.staff import (
    add_staff,
    authenticate,
    disable_staff,
    reset_password,
    staff_account,
    staff_accounts,
    staff_for_session,
    start_session,
)
from school_report.topics import TopicError, all_topics, set_recipient, update_topic
from tests.support import PASSWORD, log_in, send_report

# 2026-05-06 is a substitute holiday (Wednesday); 2026-05-07 a Thursday.
NOON_ON_A_HOLIDAY = datetime(2026, 5, 6, 3, tzinfo=UTC)  # 12:00 in Tokyo
ADMIN = Actor(None, "tester")


def test_the_centre_is_closed_on_a_public_holiday_and_opens_the_next_working_day(db):
    assert not centre_is_open(db, NOON_ON_A_HOLIDAY)
    opening = next_centre_opening(db, NOON_ON_A_HOLIDAY)
    assert (opening.date(), opening.hour) == (date(2026, 5, 7), 10)


def test_the_city_opens_on_a_holiday_and_closes_on_a_day_of_its_own(db):
    set_centre_holidays(db, True, [date(2026, 5, 7)], [date(2026, 5, 6)], ADMIN)
    assert centre_is_open(db, NOON_ON_A_HOLIDAY)
    evening = datetime(2026, 5, 6, 10, tzinfo=UTC)  # 19:00 in Tokyo, after closing
    assert next_centre_opening(db, evening).date() == date(2026, 5, 8)


def test_the_year_end_closure_moves_the_next_opening_past_new_year(db):
    closure = [date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)]
    set_centre_holidays(db, True, closure, [], ADMIN)
    before_closure = datetime(2026, 12, 28, 10, tzinfo=UTC)  # Monday 19:00 in Tokyo
    assert next_centre_opening(db, before_closure).date() == date(2027, 1, 4)


def test_a_setting_change_is_logged_with_who_and_the_old_and_new_value(db):
    set_centre_hours(db, [0, 1, 2, 3, 4, 5], "09:00", "17:30", ADMIN)
    (entry,) = log_entries(db)
    assert (entry.actor, entry.action, entry.subject) == ("tester", "setting", "centre_hours")
    assert '"open": "10:00"' in entry.old_value and '"open": "09:00"' in entry.new_value


def test_the_admin_log_cannot_be_changed_or_deleted(db):
    add_school(db, "みなみ小学校", "elementary")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE admin_log SET actor = 'someone else'")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("DELETE FROM admin_log")


def test_settings_nobody_has_saved_yet_read_as_their_defaults(db):
    assert get_setting(db, "retention_years") == 3
    assert get_setting(db, "danger_words") == []
    set_danger_words(db, ["  しにたい ", "", "しにたい", "きえたい"], ADMIN)
    assert get_setting(db, "danger_words") == ["しにたい", "きえたい"]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda db: set_centre_hours(db, [], "10:00", "18:00", ADMIN), SettingError),
        (lambda db: set_centre_hours(db, [0], "18:00", "10:00", ADMIN), SettingError),
        (lambda db: set_danger_words(db, ["x" * 41], ADMIN), SettingError),
        (lambda db: add_school(db, "  ", "elementary"), SchoolError),
        (lambda db: set_recipient(db, "centre", False, True, ADMIN), None),
    ],
)
def test_a_refused_change_changes_nothing_and_logs_nothing(db, change, error):
    set_recipient(db, "nurse", False, True, ADMIN)
    set_recipient(db, "school_team", False, True, ADMIN)
    before = log_entries(db)
    with pytest.raises(error or TopicError):
        change(db)
    assert log_entries(db) == before
    assert get_setting(db, "centre_hours")["open"] == "10:00"


def test_furigana_marks_must_be_whole(db):
    topic = all_topics(db)[0]
    with pytest.raises(TopicError) as refused:
        update_topic(db, replace(topic, label_ja="{先生|せんせい のこと"), ADMIN)
    assert refused.value.reason == "ruby_marks"
    update_topic(db, replace(topic, label_ja="{先生|せんせい}のこと"), ADMIN)
    assert all_topics(db)[0].label_ja == "{先生|せんせい}のこと"


def test_a_password_reset_gives_a_temporary_password_and_ends_sessions(db):
    school = add_school(db, "みなみ小学校", "elementary")
    nurse = add_staff(db, "sato", PASSWORD, "nurse", school)
    token = start_session(db, nurse)
    temporary = reset_password(db, nurse.id)
    assert staff_for_session(db, token) is None
    assert authenticate(db, "sato", PASSWORD) is None
    assert authenticate(db, "sato", temporary) == nurse
    assert staff_account(db, nurse.id).must_change_password


def test_disabling_ends_every_session_and_is_logged(db):
    centre = add_staff(db, "tanaka", PASSWORD, "centre")
    tokens = [start_session(db, centre), start_session(db, centre)]
    disable_staff(db, centre.id, ADMIN)
    assert [staff_for_session(db, token) for token in tokens] == [None, None]
    assert log_entries(db)[0].action == "staff.disable"


def test_a_deactivated_school_link_stops_and_its_reports_stay(client, city):
    school, token = city.school()
    assert send_report(client, token, city.db).status_code == 200
    set_school_active(city.db, school, False, COMMAND_LINE)
    assert client.get(f"/p/{token}").status_code == 404
    count = city.db.execute("SELECT count(*) FROM reports WHERE school_id = ?", [school.id])
    assert count.fetchone() == (1,)
    assert not get_school(city.db, school.id).active


ADMIN_PAGES = [
    "/staff/admin/schools",
    "/staff/admin/staff",
    "/staff/admin/topics",
    "/staff/admin/topics/preview",
    "/staff/admin/settings",
    "/staff/admin/log",
]


@pytest.mark.parametrize("role", ["nurse", "school_team", "centre"])
def test_a_nurse_team_member_or_counsellor_cannot_reach_any_admin_page(client, city, role):
    school, _ = city.school()
    person = city.staff(role, school if role != "centre" else None)
    csrf = log_in(client, person)
    for path in [*ADMIN_PAGES, f"/staff/admin/schools/{school.id}"]:
        assert client.get(path).status_code == 403, path
    rotate = client.post(f"/staff/admin/schools/{school.id}/link", data={"csrf_token": csrf})
    assert rotate.status_code == 403


def test_a_school_admin_sees_their_school_but_not_another(client, city):
    own, _ = city.school()
    other, other_token = city.school()
    other_nurse = city.staff("nurse", other)
    csrf = log_in(client, city.staff("school_admin", own))
    assert (
        client.get("/staff/admin", follow_redirects=False)
        .headers["location"]
        .endswith(f"/schools/{own.id}")
    )
    assert client.get(f"/staff/admin/schools/{own.id}").status_code == 200
    assert client.get(f"/staff/admin/schools/{other.id}").status_code == 404
    assert client.get(f"/staff/admin/schools/{other.id}/poster").status_code == 404
    assert client.get(f"/staff/admin/staff/{other_nurse.id}").status_code == 404
    assert other_nurse.login not in client.get("/staff/admin/staff").text
    refused = [
        client.post(f"/staff/admin/schools/{other.id}/link", data={"csrf_token": csrf}),
        client.post(
            f"/staff/admin/staff/{other_nurse.id}/active", data={"csrf_token": csrf, "active": "0"}
        ),
    ]
    assert [response.status_code for response in refused] == [404, 404]
    assert client.get(f"/p/{other_token}").status_code == 200
    assert staff_account(city.db, other_nurse.id).active
    for path in ("/staff/admin/schools", "/staff/admin/topics", "/staff/admin/settings"):
        assert client.get(path).status_code == 403


def test_a_school_admin_adds_staff_only_at_their_own_school(client, city):
    own, _ = city.school()
    other, _ = city.school()
    csrf = log_in(client, city.staff("school_admin", own))
    form = {"csrf_token": csrf, "login": "yamada", "role": "nurse", "school": str(other.id)}
    assert client.post("/staff/admin/staff", data=form).status_code == 200
    (account,) = [a for a in staff_accounts(city.db) if a.login == "yamada"]
    assert account.school_id == own.id
    as_admin = {**form, "login": "suzuki", "role": "admin"}
    assert client.post("/staff/admin/staff", data=as_admin).status_code == 400
    assert "suzuki" not in [a.login for a in staff_accounts(city.db)]


def test_an_admin_is_refused_kindly_and_nothing_is_saved(client, city):
    csrf = log_in(client, city.staff("admin"))
    school, _ = city.school()
    before = log_entries(city.db, limit=1000)
    attempts = [
        ("/staff/admin/schools", {"name": school.name, "kind": "elementary"}, "既に"),
        ("/staff/admin/staff", {"login": "", "role": "centre"}, "ログインID"),
        (
            "/staff/admin/staff",
            {"login": "kimura", "role": "nurse", "school": ""},
            "学校",
        ),
        ("/staff/admin/settings/hours", {"open": "18:00", "close": "10:00"}, "曜日"),
        ("/staff/admin/settings/holidays", {"closed": "12/29"}, "2026-12-29"),
        ("/staff/admin/settings/checklist", {"emergency_checklist": "only one part"}, "key"),
    ]
    for path, form, words in attempts:
        response = client.post(path, data={"csrf_token": csrf, **form})
        assert response.status_code == 400, path
        assert 'role="alert"' in response.text and words in response.text, path
    assert log_entries(city.db, limit=1000) == before


def test_an_admin_cannot_disable_their_own_account(client, city):
    admin = city.staff("admin")
    csrf = log_in(client, admin)
    response = client.post(
        f"/staff/admin/staff/{admin.id}/active", data={"csrf_token": csrf, "active": "0"}
    )
    assert response.status_code == 400
    assert staff_account(city.db, admin.id).active


def test_an_admin_lands_on_the_admin_pages_not_an_empty_inbox(client, city):
    log_in(client, city.staff("admin"))
    response = client.get("/staff")
    assert response.url.path == "/staff/admin/schools"
    assert "学校を追加" in response.text


def test_the_command_line_disables_through_the_same_function_and_is_logged(tmp_path):
    db_path = tmp_path / "city.db"
    db = connect(db_path)
    migrate(db)
    centre = add_staff(db, "tanaka", PASSWORD, "centre")
    token = start_session(db, centre)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHOOL_REPORT_")}
    command = [sys.executable, "-m", "school_admin", "staff", "disable", "tanaka"]
    result = subprocess.run(
        [*command, "--db", str(db_path)], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    assert staff_for_session(db, token) is None
    assert not staff_account(db, centre.id).active
    entry = log_entries(db)[0]
    assert (entry.actor, entry.action, entry.subject) == ("school-admin", "staff.disable", "tanaka")
    unknown = subprocess.run(
        [*command[:-1], "nobody", "--db", str(db_path)], capture_output=True, text=True, env=env
    )
    assert unknown.returncode == 2 and "no staff account" in unknown.stderr
