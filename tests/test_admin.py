"""City administration: the domain functions the admin pages and `school-admin` share, who may
reach which admin page, and bad input refused kindly with nothing changed."""

import json
import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from starlette.testclient import TestClient

from school_report import reports, two_factor
from school_report.admin_log import COMMAND_LINE, Actor, log_entries
from school_report.db import connect
from school_report.hours import (
    centre_is_open,
    next_centre_opening,
    set_centre_holidays,
    set_centre_hours,
)
from school_report.migrations import migrate
from school_report.notifications import PASSWORD_VARIABLE, mail_server, set_mail_server
from school_report.refused import Refused
from school_report.reports import submit_report
from school_report.retention import legal_holds
from school_report.schools import (
    SchoolError,
    add_school,
    find_school,
    get_school,
    set_school_active,
)
from school_report.settings import (
    SettingError,
    get_setting,
    set_danger_words,
    set_emergency_checklist,
    set_mail_from,
)
from school_report.staff import (
    StaffError,
    add_staff,
    authenticate,
    disable_staff,
    find_staff,
    reset_password,
    set_staff_role,
    staff_account,
    staff_accounts,
    staff_for_session,
    start_session,
)
from school_report.topics import (
    OTHER_LABEL_LANGUAGES,
    TopicError,
    active_topics,
    all_topics,
    set_recipient,
    topic,
    update_topic,
)
from tests.support import (
    PASSWORD,
    csrf_token_in,
    enrol_two_factor,
    inbox,
    log_in,
    post_login_form,
    return_code_in,
    send_report,
    topic_id,
)
from web.app import create_app

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
    form = {"csrf_token": csrf, "login": "yamada", "role": "school_admin", "school": str(other.id)}
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


# -- what administrators type: one cleaning path, with limits --------------------------------

UNSEEN = {
    "NUL": "\x00",
    "zero-width space": "\u200b",
    "right-to-left override": "\u202e",
    "direction isolate": "\u2066",
    "byte-order mark": "\ufeff",
    "line separator": "\u2028",
}
ADMIN_TEXT = {
    "school name": lambda db, t: add_school(db, f"みなみ{t}小学校", "elementary"),
    "login": lambda db, t: add_staff(db, f"adm{t}in", PASSWORD, "centre"),
    "display name": lambda db, t: add_staff(
        db, "sato", PASSWORD, "centre", display_name=f"さ{t}と"
    ),
    "topic label": lambda db, t: update_topic(
        db, replace(first_topic(db), label_en=f"Bul{t}ly"), ADMIN
    ),
    "topic label in Vietnamese": lambda db, t: update_topic(
        db, replace(first_topic(db), labels={"vi": f"Bị {t}bắt nạt"}), ADMIN
    ),
    "topic icon": lambda db, t: update_topic(db, replace(first_topic(db), icon=f"😣{t}😣"), ADMIN),
    "danger word": lambda db, t: set_danger_words(db, [f"しに{t}たい"], ADMIN),
    "mail sender": lambda db, t: set_mail_from(db, f"city{t}@example.jp", ADMIN),
    "checklist label": lambda db, t: set_emergency_checklist(
        db, [{"key": "injury", "label_ja": f"け{t}が", "label_en": "Injury"}], ADMIN
    ),
    "mail server": lambda db, t: set_mail_server(db, f"smtp{t}.example.jp", 587, True, "", ADMIN),
}


def first_topic(db):
    return all_topics(db)[0]


@pytest.mark.parametrize("hidden", UNSEEN.values(), ids=UNSEEN.keys())
@pytest.mark.parametrize("field", ADMIN_TEXT.values(), ids=ADMIN_TEXT.keys())
def test_text_with_characters_nobody_can_see_is_refused_everywhere_an_admin_types(
    db, field, hidden
):
    before = log_entries(db)
    with pytest.raises(Refused):
        field(db, hidden)
    assert log_entries(db) == before
    assert find_staff(db, "admin") is None and find_school(db, "みなみ小学校") is None


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/staff/admin/schools", {"name": "あ" * 5000, "kind": "elementary"}),
        ("/staff/admin/staff", {"login": "a" * 5000, "role": "centre"}),
        ("/staff/admin/staff", {"login": "adm\u200bin", "role": "centre"}),
        ("/staff/admin/staff", {"login": "sato tanaka", "role": "centre"}),
        ("/staff/admin/staff", {"login": "sato", "display_name": "さ" * 500, "role": "centre"}),
        ("/staff/admin/settings/hours", {"weekday": "0", "open": "10:00+09:00", "close": "18:00"}),
        ("/staff/admin/settings/hours", {"weekday": "0", "open": "10:00Z", "close": "18:00"}),
        ("/staff/admin/settings/hours", {"weekday": "0", "open": "25:00", "close": "26:00"}),
        ("/staff/admin/settings/mail", {"mail_from": "a" * 300 + "@example.jp"}),
    ],
)
def test_too_long_or_hidden_text_and_zoned_times_are_refused_kindly_not_a_crash(
    client, city, path, form
):
    csrf = log_in(client, city.staff("admin"))
    before = log_entries(city.db, limit=1000)
    response = client.post(path, data={"csrf_token": csrf, **form})
    assert response.status_code == 400 and 'role="alert"' in response.text
    assert "保存されていません" in response.text
    assert log_entries(city.db, limit=1000) == before


def test_a_full_width_login_is_stored_as_the_letters_staff_type(db):
    account = add_staff(db, "ｓａｔｏ．ｙ", PASSWORD, "centre", display_name="  さとう  ")
    assert (account.login, account.display_name) == ("sato.y", "さとう")
    with pytest.raises(StaffError) as refused:
        add_staff(db, "sato.y", PASSWORD, "centre")
    assert refused.value.reason == "login_taken"


def test_opening_hours_as_a_browser_time_field_sends_them_are_kept(db):
    set_centre_hours(db, [0, 1, 2, 3, 4], "09:30:00", "17:00", ADMIN)
    assert get_setting(db, "centre_hours")["open"] == "09:30"


# -- topics: wording in every pupil language, furigana, the last topic -----------------------


def topic_form(topic, **changes) -> dict:
    """The topic page's form as the admin sends it, with `changes` typed in."""
    form = {
        "label_ja": topic.label_ja,
        "label_en": topic.label_en,
        **{f"label_{lang}": topic.labels.get(lang, "") for lang in OTHER_LABEL_LANGUAGES},
        "icon": topic.icon,
        "domain": topic.domain,
        "category": topic.category,
        "default_recipient": topic.default_recipient or "",
        "urgency": topic.urgency,
        "position": str(topic.position),
        "active": "1" if topic.active else "",
    }
    return {**form, **changes}


def test_an_admin_rewords_a_topic_in_every_pupil_language_and_pupils_read_it(client, city):
    csrf = log_in(client, city.staff("admin"))
    _, token = city.school()
    bullying = topic(city.db, topic_id(city.db, "bullying"))
    words = {
        "pt-BR": "Sofro bullying",
        "zh-Hans": "有人欺负我",
        "vi": "Em bị bắt nạt",
        "fil": "Binu-bully ako",
    }
    form = topic_form(bullying, **{f"label_{lang}": text for lang, text in words.items()})
    saved = client.post(f"/staff/admin/topics/{bullying.id}", data={"csrf_token": csrf, **form})
    assert saved.status_code == 200 and saved.url.path == "/staff/admin/topics"
    for language, text in words.items():
        client.post(f"/p/{token}", data={"step": "language", "language": language})
        assert text in client.post(f"/p/{token}", data={"step": "topics"}).text, language
    logged = {e.action: (e.old_value, e.new_value) for e in log_entries(city.db)}
    assert logged["topic.label_vi"] == ("Bị bắt nạt", "Em bị bắt nạt")
    page = client.get(f"/staff/admin/topics/{bullying.id}").text
    assert 'name="label_fil" value="Binu-bully ako"' in page


def test_an_empty_wording_in_another_language_falls_back_to_english(db):
    bullying = first_topic(db)
    update_topic(db, replace(bullying, labels={**bullying.labels, "fil": "  "}), ADMIN)
    changed = first_topic(db)
    assert "fil" not in changed.labels and changed.label("fil") == changed.label_en


def test_japanese_wording_with_kanji_but_no_furigana_is_refused_with_the_form_to_write(
    client, city
):
    csrf = log_in(client, city.staff("admin"))
    teacher = topic(city.db, topic_id(city.db, "teacher"))
    form = topic_form(teacher, label_ja="{先生|せんせい}と 学校のこと")
    response = client.post(f"/staff/admin/topics/{teacher.id}", data={"csrf_token": csrf, **form})
    assert response.status_code == 400
    assert "すべての漢字に" in response.text
    assert "{先生|せんせい}と {学校|よみかた}のこと" in response.text
    assert topic(city.db, teacher.id).label_ja == teacher.label_ja


@pytest.mark.parametrize("label", ["{先生|先生}のこと", "々のこと", "𠮷のこと"])
def test_every_kanji_of_a_japanese_label_needs_a_reading_in_kana(db, label):
    with pytest.raises(TopicError) as refused:
        update_topic(db, replace(first_topic(db), label_ja=label), ADMIN)
    assert refused.value.reason == "ruby_missing"


def test_the_last_topic_shown_to_pupils_cannot_be_hidden(db):
    *others, last = all_topics(db)
    for shown in others:
        update_topic(db, replace(shown, active=False), ADMIN)
    with pytest.raises(TopicError) as refused:
        update_topic(db, replace(last, active=False), ADMIN)
    assert refused.value.reason == "last_topic"
    assert [t.slug for t in active_topics(db)] == [last.slug]


def test_every_field_of_the_topic_form_is_saved_and_logged(client, city):
    csrf = log_in(client, city.staff("admin"))
    study = topic(city.db, topic_id(city.db, "study"))
    changes = {
        "label_ja": "{勉強|べんきょう}のこと",
        "label_en": "School work",
        "label_pt-BR": "Estudos",
        "label_zh-Hans": "学习",
        "label_vi": "Việc học",
        "label_fil": "Pag-aaral",
        "icon": "✏️",
        "domain": "health",
        "category": "other",
        "default_recipient": "nurse",
        "urgency": "high",
        "position": "999",
        "active": "",
    }
    response = client.post(
        f"/staff/admin/topics/{study.id}", data={"csrf_token": csrf, **topic_form(study, **changes)}
    )
    assert response.status_code == 200
    saved = topic(city.db, study.id)
    assert topic_form(saved) == topic_form(study, **changes)
    logged = {e.action for e in log_entries(city.db) if e.subject == "study"}
    assert logged == {f"topic.{field}" for field in changes}


@pytest.mark.parametrize(
    "forged",
    [
        {"domain": "police"},
        {"urgency": "panic"},
        {"default_recipient": "principal"},
        {"position": "5000"},
    ],
)
def test_a_forged_topic_choice_is_refused_and_nothing_changes(client, city, forged):
    csrf = log_in(client, city.staff("admin"))
    study = topic(city.db, topic_id(city.db, "study"))
    form = {"csrf_token": csrf, **topic_form(study, **forged)}
    assert client.post(f"/staff/admin/topics/{study.id}", data=form).status_code == 400
    assert topic_form(topic(city.db, study.id)) == topic_form(study)


# -- recipients: offered for new reports; messaging for every thread -------------------------


def test_a_recipient_no_longer_offered_keeps_the_threads_it_has(client, city):
    school, token = city.school()
    code = return_code_in(send_report(client, token, city.db, recipient="nurse").text)
    set_recipient(city.db, "nurse", False, True, ADMIN)
    topics_page = client.post(
        f"/p/{token}", data={"step": "topic", "topic": topic_id(city.db, "body")}
    ).text
    assert 'value="nurse"' not in topics_page
    assert send_report(client, token, city.db, recipient="nurse", key="k2").status_code == 400
    thread = client.post(f"/p/{token}", data={"step": "open", "code": code}).text
    assert 'name="body"' in thread
    (report,) = inbox(city.db, city.staff("nurse", school))
    assert reports.pupil_may_write(city.db, report)


def test_with_messaging_off_the_pupil_is_told_no_reply_comes_and_staff_cannot_reply(client, city):
    school, token = city.school()
    set_recipient(city.db, "school_team", True, False, ADMIN)
    bullying = topic_id(city.db, "bullying")
    draft = {
        "topic": bullying,
        "recipient": "school_team",
        "body": "たすけて",
        "submission_key": "k",
    }
    confirm = client.post(f"/p/{token}", data={"step": "message", **draft}).text
    assert "ここには へんじは こないよ" in confirm
    sent = send_report(client, token, city.db)
    assert "ここには へんじは こないよ" in sent.text and "へんじが よめます" not in sent.text
    thread = client.post(f"/p/{token}", data={"step": "open", "code": return_code_in(sent.text)})
    assert "ここには へんじは こないよ" in thread.text
    assert 'name="body"' not in thread.text and "また あとで みてね" not in thread.text

    team = city.staff("school_team", school)
    (report,) = inbox(city.db, team)
    log_in(client, team)
    page = client.get(f"/staff/reports/{report.id}")
    assert "メッセージのやり取りを止めています" in page.text and "reply-body" not in page.text
    csrf = csrf_token_in(page.text)
    reply = client.post(f"/staff/reports/{report.id}/reply", data={"csrf_token": csrf, "body": "x"})
    assert reply.status_code == 400 and "送信していません" in reply.text
    assert [m.author for m in reports.thread(city.db, report.id, for_pupil=False)] == ["pupil"]


def test_turning_messaging_back_on_opens_old_threads_both_ways(db):
    school = add_school(db, "みなみ小学校", "elementary")
    team = add_staff(db, "team", PASSWORD, "school_team", school)
    set_recipient(db, "school_team", True, False, ADMIN)
    topic_of = topic_id(db, "bullying")
    submit_report(db, school, topic_of, "school_team", "たすけて", submission_key="k")
    (report,) = inbox(db, team)
    with pytest.raises(reports.SubmissionError):
        reports.add_staff_reply(db, team, report, "きいたよ")
    set_recipient(db, "school_team", False, True, ADMIN)
    set_recipient(db, "school_team", True, True, ADMIN)
    reports.add_staff_reply(db, team, report, "きいたよ")
    assert reports.pupil_may_write(db, report)
    logged = [(e.action, e.old_value, e.new_value) for e in log_entries(db)][:3]
    assert logged == [
        ("recipient.offered", "false", "true"),
        ("recipient.messaging", "false", "true"),
        ("recipient.offered", "true", "false"),
    ]


# -- city settings: each section saved, with its old and new value in the log ----------------


@pytest.mark.parametrize(
    ("section", "form", "key", "saved"),
    [
        (
            "overdue",
            {
                "overdue_urgent": "30",
                "overdue_high": "240",
                "overdue_normal": "960",
                "overdue_low": "4800",
            },
            "overdue_minutes",
            {"urgent": 30, "high": 240, "normal": 960, "low": 4800},
        ),
        ("retention", {"retention_years": "5"}, "retention_years", 5),
        ("mail", {"mail_from": " centre@city.example.jp "}, "mail_from", "centre@city.example.jp"),
        (
            "danger_words",
            {"danger_words": "しにたい\r\n\r\nきえたい"},
            "danger_words",
            ["しにたい", "きえたい"],
        ),
        (
            "checklist",
            {"emergency_checklist": "injury | けが | Injury\nhungry | 空腹 | Hungry"},
            "emergency_checklist",
            [
                {"key": "injury", "label_ja": "けが", "label_en": "Injury"},
                {"key": "hungry", "label_ja": "空腹", "label_en": "Hungry"},
            ],
        ),
    ],
)
def test_each_settings_section_saves_its_value_and_logs_old_and_new(
    client, city, section, form, key, saved
):
    csrf = log_in(client, city.staff("admin"))
    old = get_setting(city.db, key)
    response = client.post(f"/staff/admin/settings/{section}", data={"csrf_token": csrf, **form})
    assert response.status_code == 200 and f"saved={section}" in str(response.url)
    assert get_setting(city.db, key) == saved
    entry = log_entries(city.db)[0]
    assert (entry.action, entry.subject) == ("setting", key)
    assert logged_value(entry.old_value) in (old, None)
    assert logged_value(entry.new_value) == saved


def logged_value(text: str | None):
    """A value as the admin log keeps it: text as it is, anything else as JSON."""
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def test_overdue_times_count_minutes_of_the_centres_opening_hours(client, city):
    log_in(client, city.staff("admin"))
    page = client.get("/staff/admin/settings").text
    assert "センターの開所時間での分数" in page
    seeded = {"urgent": 15, "high": 480, "normal": 1440, "low": 2400}
    assert get_setting(city.db, "overdue_minutes") == seeded
    for urgency, minutes in seeded.items():
        assert (
            f'name="overdue_{urgency}" type="number" min="1" max="43200" value="{minutes}"' in page
        )


def test_an_admin_sets_the_mail_server_in_the_browser_and_the_change_is_logged(client, city):
    csrf = log_in(client, city.staff("admin"))
    assert PASSWORD_VARIABLE in client.get("/staff/admin/settings").text
    form = {"smtp_host": "smtp.city.example.jp", "smtp_port": "2525", "smtp_user": "notify"}
    response = client.post("/staff/admin/settings/mail_server", data={"csrf_token": csrf, **form})
    assert response.status_code == 200
    server = mail_server(city.db, environ={PASSWORD_VARIABLE: "from the environment"})
    assert (server.host, server.port, server.starttls, server.user, server.password) == (
        "smtp.city.example.jp",
        2525,
        False,
        "notify",
        "from the environment",
    )
    logged = {
        e.subject: (e.old_value, e.new_value) for e in log_entries(city.db) if e.action == "setting"
    }
    assert logged["smtp_host"] == (None, "smtp.city.example.jp")
    assert logged["smtp_port"][1] == "2525" and logged["smtp_starttls"][1] == "false"
    refused = client.post(
        "/staff/admin/settings/mail_server",
        data={"csrf_token": csrf, "smtp_host": "smtp city", "smtp_port": "25"},
    )
    assert refused.status_code == 400 and "ホスト名" in refused.text


def test_the_command_line_mail_server_change_is_logged_too(db):
    set_mail_server(db, "smtp.example.jp", 587, True, "")
    entry = next(e for e in log_entries(db) if e.subject == "smtp_host")
    assert (entry.actor, entry.new_value) == ("school-admin", "smtp.example.jp")


def test_a_city_admin_puts_a_case_on_legal_hold_and_lifts_it_by_its_number(client, city):
    _, token = city.school()
    send_report(client, token, city.db)
    (report_id,) = city.db.execute("SELECT max(id) FROM reports").fetchone()
    csrf = log_in(client, city.staff("admin"))
    hold = client.post(
        "/staff/admin/settings/legal_hold",
        data={"csrf_token": csrf, "report": str(report_id), "hold": "1"},
    )
    assert hold.status_code == 200 and f"相談 #{report_id} のホールドを解除" in hold.text
    assert legal_holds(city.db) == [report_id]
    lift = {"csrf_token": csrf, "report": str(report_id), "hold": "0"}
    assert client.post("/staff/admin/settings/legal_hold", data=lift).status_code == 200
    assert legal_holds(city.db) == []
    assert [e.action for e in log_entries(city.db)][:2] == ["retention.legal_hold"] * 2
    for number in ("999999", "abc", "#1"):
        unknown = {"csrf_token": csrf, "report": number, "hold": "1"}
        response = client.post("/staff/admin/settings/legal_hold", data=unknown)
        assert response.status_code == 400 and "この番号の相談はありません" in response.text


def test_a_school_admin_cannot_put_a_case_on_legal_hold(client, city):
    school, token = city.school()
    send_report(client, token, city.db)
    (report_id,) = city.db.execute("SELECT max(id) FROM reports").fetchone()
    csrf = log_in(client, city.staff("school_admin", school))
    form = {"csrf_token": csrf, "report": str(report_id), "hold": "1"}
    assert client.post("/staff/admin/settings/legal_hold", data=form).status_code == 403
    assert legal_holds(city.db) == []


# -- the preview of the pupil's topic screen -------------------------------------------------


@pytest.mark.parametrize("language", ["pt-BR", "zh-Hans", "vi", "fil", "en"])
def test_the_preview_shows_the_topics_in_each_pupil_language_around_a_japanese_page(
    client, city, language
):
    log_in(client, city.staff("admin"))
    page = client.get(f"/staff/admin/topics/preview?language={language}&reading=ruby").text
    bullying = topic(city.db, topic_id(city.db, "bullying"))
    assert bullying.label(language) in page and bullying.label_ja not in page
    assert "相談内容と相談先" in page  # the staff page itself stays in the staff's language
    for other in ("pt-BR", "zh-Hans", "vi", "fil", "en"):
        assert f'href="?language={other}&amp;reading=plain"' in page


@pytest.mark.parametrize(
    ("reading", "shown"),
    [
        ("ruby", "<ruby>勉強<rt>べんきょう</rt></ruby>と しんろ"),
        ("plain", "勉強と しんろ"),
        ("kana", "べんきょうと しんろ"),
    ],
)
def test_the_preview_shows_japanese_at_each_reading_level(client, city, reading, shown):
    study = topic(city.db, topic_id(city.db, "study"))
    update_topic(city.db, replace(study, label_ja="{勉強|べんきょう}と しんろ"), ADMIN)
    log_in(client, city.staff("admin"))
    page = client.get(f"/staff/admin/topics/preview?language=ja&reading={reading}").text
    assert shown in page
    assert 'aria-current="page"' in page.split(f"reading={reading}")[1].split("</a>")[0]


# -- the admin log in words -----------------------------------------------------------------


def test_the_admin_log_names_each_change_and_shows_values_as_people_read_them(client, city):
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    set_school_active(city.db, school, False, ADMIN)
    set_staff_role(city.db, nurse.id, "school_team", school, ADMIN)
    set_recipient(city.db, "centre", True, False, ADMIN)
    set_centre_hours(city.db, [0, 1, 2], "09:00", "17:00", ADMIN)
    log_in(client, city.staff("admin"))
    page = client.get("/staff/admin/log").text.split('class="admin-table admin-log"')[1]
    for words in ("学校の無効化", "役割の変更", "養護教諭", "学校内対応チーム"):
        assert words in page, words
    assert "児童生徒と相談先のメッセージのやり取り" in page and "はい" in page and "いいえ" in page
    assert "月曜日・火曜日・水曜日 09:00–17:00" in page
    assert "school.deactivate" not in page and "&#34;" not in page and '{"' not in page


# -- staff accounts: who may reset whose access ---------------------------------------------


@pytest.mark.parametrize("reset", ["password", "two-factor"])
def test_an_admin_cannot_reset_their_own_password_or_two_factor(client, city, reset):
    admin = city.staff("admin")
    csrf = log_in(client, admin)
    assert "パスワードをリセット" not in client.get(f"/staff/admin/staff/{admin.id}").text
    response = client.post(f"/staff/admin/staff/{admin.id}/{reset}", data={"csrf_token": csrf})
    assert response.status_code == 400 and "自分のアカウント" in response.text
    assert authenticate(city.db, admin.login, PASSWORD) == admin
    assert two_factor.is_enrolled(city.db, admin.id)
    assert client.get("/staff/admin/log").status_code == 200  # still logged in


@pytest.mark.parametrize("reset", ["password", "two-factor"])
def test_a_school_admin_cannot_reset_the_access_of_a_nurse_but_may_disable_her(client, city, reset):
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    enrol_two_factor(city.db, nurse)
    csrf = log_in(client, city.staff("school_admin", school))
    page = client.get(f"/staff/admin/staff/{nurse.id}").text
    assert "パスワードをリセット" not in page and "市の管理者だけ" in page
    response = client.post(f"/staff/admin/staff/{nurse.id}/{reset}", data={"csrf_token": csrf})
    assert response.status_code == 400 and "市の管理者だけ" in response.text
    assert authenticate(city.db, nurse.login, PASSWORD) == nurse
    assert two_factor.is_enrolled(city.db, nurse.id)
    role = {"csrf_token": csrf, "role": "school_admin"}
    assert client.post(f"/staff/admin/staff/{nurse.id}", data=role).status_code == 400
    assert staff_account(city.db, nurse.id).role == "nurse"
    off = {"csrf_token": csrf, "active": "0"}
    assert client.post(f"/staff/admin/staff/{nurse.id}/active", data=off).status_code == 200
    assert not staff_account(city.db, nurse.id).active


def test_a_school_admin_resets_the_password_of_another_school_admin(client, city):
    school, _ = city.school()
    colleague = city.staff("school_admin", school)
    csrf = log_in(client, city.staff("school_admin", school))
    response = client.post(f"/staff/admin/staff/{colleague.id}/password", data={"csrf_token": csrf})
    assert response.status_code == 200 and "temporary-password" in response.text


def test_a_city_admin_resets_a_nurses_password_her_session_ends_and_she_must_choose_one(
    client, city, settings
):
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    with TestClient(create_app(settings), headers={"origin": "http://testserver"}) as desk:
        log_in(desk, nurse)
        csrf = log_in(client, city.staff("admin"))
        response = client.post(f"/staff/admin/staff/{nurse.id}/password", data={"csrf_token": csrf})
        temporary = re.search(r'id="temporary-password">([^<]+)<', response.text).group(1)
        assert desk.get("/staff").url.path == "/staff/login"
        post_login_form(desk, nurse.login, temporary)
        assert desk.get("/staff").url.path == "/staff/password"
    entry = log_entries(city.db)[0]
    assert (entry.action, entry.subject) == ("staff.reset_password", nurse.login)


def test_a_city_admin_resets_a_counsellors_lost_phone_and_set_up_comes_first(
    client, city, settings
):
    counsellor = city.staff("centre")
    with TestClient(create_app(settings), headers={"origin": "http://testserver"}) as desk:
        log_in(desk, counsellor)
        csrf = log_in(client, city.staff("admin"))
        response = client.post(
            f"/staff/admin/staff/{counsellor.id}/two-factor", data={"csrf_token": csrf}
        )
        assert response.status_code == 200
        assert desk.get("/staff").url.path == "/staff/login"
        assert not two_factor.is_enrolled(city.db, counsellor.id)
        found = re.search(r'id="temporary-password">([^<]+)<', response.text)
        password = found.group(1) if found else PASSWORD
        post_login_form(desk, counsellor.login, password)
        assert desk.get("/staff").url.path in ("/staff/two-factor", "/staff/password")
    assert "staff.reset_two_factor" in [e.action for e in log_entries(city.db)]


def test_a_city_admin_changes_a_role_and_school_through_the_page(client, city):
    first, _ = city.school()
    second, _ = city.school()
    nurse = city.staff("nurse", first)
    csrf = log_in(client, city.staff("admin"))
    form = {"csrf_token": csrf, "role": "school_team", "school": str(second.id)}
    assert client.post(f"/staff/admin/staff/{nurse.id}", data=form).status_code == 200
    account = staff_account(city.db, nurse.id)
    assert (account.role, account.school_id) == ("school_team", second.id)
    logged = {e.action: (e.old_value, e.new_value) for e in log_entries(city.db)}
    assert logged["staff.role"] == ("nurse", "school_team")
    assert logged["staff.school"] == (first.name, second.name)


# -- schools: details that change the pupil's page, deactivation, posters --------------------


def test_renaming_and_changing_kind_and_reading_level_change_the_pupil_page(client, city):
    school, token = city.school("elementary")
    assert "<ruby>" in client.get(f"/p/{token}").text
    csrf = log_in(client, city.staff("admin"))
    form = {"csrf_token": csrf, "name": "ひがし中学校", "kind": "junior_high", "reading": "plain"}
    assert client.post(f"/staff/admin/schools/{school.id}", data=form).status_code == 200
    assert "<ruby>" not in client.get(f"/p/{token}").text
    changed = get_school(city.db, school.id)
    assert (changed.name, changed.kind, changed.reading) == ("ひがし中学校", "junior_high", "plain")
    logged = {e.action: (e.old_value, e.new_value) for e in log_entries(city.db)}
    assert logged["school.name"] == (school.name, "ひがし中学校")
    assert logged["school.reading"] == ("ruby", "plain")


def test_deactivating_a_school_through_its_page_stops_its_link_and_its_posters(client, city):
    school, token = city.school()
    csrf = log_in(client, city.staff("admin"))
    off = {"csrf_token": csrf, "active": "0"}
    assert client.post(f"/staff/admin/schools/{school.id}/active", data=off).status_code == 200
    assert client.get(f"/p/{token}").status_code == 404
    poster = client.get(f"/staff/admin/schools/{school.id}/poster")
    assert poster.status_code == 409 and "ポスターは印刷できません" in poster.text
    assert "poster-qr" not in poster.text
    assert "ポスターを印刷" not in client.get(f"/staff/admin/schools/{school.id}").text
    on = {"csrf_token": csrf, "active": "1"}
    client.post(f"/staff/admin/schools/{school.id}/active", data=on)
    assert client.get(f"/p/{token}").status_code == 200
    assert client.get(f"/staff/admin/schools/{school.id}/poster").status_code == 200
    assert [e.action for e in log_entries(city.db)][:2] == [
        "school.reactivate",
        "school.deactivate",
    ]
