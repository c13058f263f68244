"""The web app in-process: the pupil's forms without JavaScript, refusals that store nothing,
staff sessions, and the headers every page carries."""

import re

import httpx2 as httpx
import pytest

from school_report.migrations import RECIPIENTS
from tests.support import log_in, post_login_form, return_code_in, send_report, topic_id


def count(city, table):
    return city.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_health_check_answers_ok_after_asking_the_database(client):
    response = client.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok")


def test_a_tablet_without_a_valid_link_is_told_kindly_to_ask_a_teacher(client, city):
    response = client.get("/p/not-a-real-link")
    assert response.status_code == 404
    assert "先生" in response.text and "ask a teacher" not in response.text


def test_a_pupil_reports_and_reads_the_reply_without_javascript(client, city):
    school, token = city.school()
    assert client.get(f"/p/{token}").status_code == 200
    steps = [
        {"step": "topics"},
        {"step": "topic", "topic": topic_id(city.db, "body")},
        {"step": "recipient", "topic": topic_id(city.db, "body"), "recipient": "nurse"},
        {
            "step": "message",
            "topic": topic_id(city.db, "body"),
            "recipient": "nurse",
            "body": "あたまが いたい",
            "submission_key": "k1",
        },
    ]
    for form in steps:
        response = client.post(f"/p/{token}", data=form)
        assert response.status_code == 200, response.text
    assert "あたまが いたい" in response.text and count(city, "reports") == 0
    sent = send_report(
        client, token, city.db, topic="body", recipient="nurse", body="あたまが いたい", key="k1"
    )
    assert sent.status_code == 200
    code = return_code_in(sent.text)
    nurse = city.staff("nurse", school)
    from school_report.reports import add_staff_reply
    from tests.support import inbox

    (report,) = inbox(city.db, nurse)
    add_staff_reply(city.db, nurse, report, "ほけんしつに きてね")

    thread = client.post(f"/p/{token}", data={"step": "open", "code": code})
    assert "ほけんしつに きてね" in thread.text and "あたまが いたい" in thread.text
    more = client.post(f"/p/{token}", data={"step": "write", "body": "いきます"})
    assert "いきます" in more.text
    assert count(city, "messages") == 3


def test_every_pupil_page_is_the_same_address_with_a_neutral_title(client, city):
    _, token = city.school()
    titles = set()
    for form in ({"step": "topics"}, {"step": "code"}):
        response = client.post(f"/p/{token}", data=form)
        titles.add(re.search(r"<title>(.*)</title>", response.text).group(1))
        assert response.url.path == f"/p/{token}"
    assert titles == {"まなびの ひろば"}


@pytest.mark.parametrize(
    "forged",
    [
        {"recipient": "principal"},
        {"topic": "999999"},
        {"topic": "not a number"},
        {"recipient": ["centre", "nurse"]},
        {"step": "delete_everything"},
    ],
)
def test_forged_form_values_are_refused_and_nothing_is_stored(client, city, forged):
    _, token = city.school()
    form = {
        "step": "send",
        "topic": str(topic_id(city.db, "bullying")),
        "recipient": "school_team",
        "body": "x",
        "submission_key": "k",
        **forged,
    }
    response = client.post(f"/p/{token}", data=form)
    assert response.status_code == 400
    assert "なにも のこっていません" in response.text
    assert count(city, "reports") == 0


def test_a_recipient_the_city_switched_off_is_refused(client, city):
    _, token = city.school()
    city.db.execute("UPDATE recipients SET offered = 0 WHERE slug = 'nurse'")
    response = send_report(client, token, city.db, recipient="nurse")
    assert response.status_code == 400 and count(city, "reports") == 0


def test_another_schools_id_in_the_form_cannot_move_a_report(client, city):
    school, token = city.school()
    other, _ = city.school()
    send_report(client, token, city.db, school_id=str(other.id))
    assert city.db.execute("SELECT school_id FROM reports").fetchall() == [(school.id,)]


def test_a_cross_site_post_is_refused(client, city):
    _, token = city.school()
    response = client.post(
        f"/p/{token}",
        headers={"origin": "https://evil.example"},
        data={
            "step": "send",
            "topic": "1",
            "recipient": "centre",
            "body": "x",
            "submission_key": "k",
        },
    )
    assert response.status_code == 403 and count(city, "reports") == 0


def test_an_empty_message_is_refused_kindly_with_the_pupils_words_kept(client, city):
    client.headers["hx-request"] = "true"  # the status as htmx gets it; a page post redirects
    _, token = city.school()
    response = send_report(client, token, city.db, body="   ", grade="3")
    assert response.status_code == 400
    assert "まず なにか かいてね" in response.text and 'value="3"' in response.text


def test_a_wrong_code_is_refused_kindly(client, city):
    _, token = city.school()
    response = client.post(f"/p/{token}", data={"step": "open", "code": "いぬ 1 いぬ 2 いぬ 3"})
    assert "あいことばが ちがいます" in response.text


def test_a_code_of_another_school_does_not_open_its_thread_here(client, city):
    _, token = city.school()
    _, other_token = city.school()
    code = return_code_in(send_report(client, other_token, city.db, body="ひみつ").text)
    response = client.post(f"/p/{token}", data={"step": "open", "code": code})
    assert "ひみつ" not in response.text and "あいことばが ちがいます" in response.text


def test_writing_in_a_thread_needs_the_code_first(client, city):
    _, token = city.school()
    send_report(client, token, city.db)
    client.cookies.clear()
    response = client.post(f"/p/{token}", data={"step": "write", "body": "だれか"})
    assert "あいことば" in response.text and count(city, "messages") == 1


def test_pupil_pages_are_never_cached_and_carry_a_strict_policy(client, city):
    _, token = city.school()
    response = client.get(f"/p/{token}")
    assert response.headers["cache-control"] == "no-store"
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-content-type-options"] == "nosniff"
    cookie = response.headers["set-cookie"]
    # Max-Age is the pupil's 3-minute idle limit: the browser drops it too.
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=180" in cookie
    assert "<script>" not in response.text and "style=" not in response.text


def test_static_files_are_cached_and_compressed(client):
    response = client.get("/static/htmx-2.0.11.min.js", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert "immutable" in response.headers["cache-control"]


def test_staff_log_in_see_their_inbox_and_log_out(client, city):
    school, token = city.school()
    send_report(client, token, city.db, body="いじめ られている")
    team = city.staff("school_team", school)
    csrf = log_in(client, team)
    inbox = client.get("/staff")
    assert "いじめ" in inbox.text and "未読 1 件" in inbox.text
    client.post("/staff/logout", data={"csrf_token": csrf})
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/login"


def test_a_wrong_password_is_refused_kindly(client, city):
    nurse = city.staff("centre")
    response = post_login_form(client, nurse.login, "wrong!")
    assert response.status_code == 400 and "正しくありません" in response.text


def test_a_staff_form_without_its_csrf_token_changes_nothing(client, city):
    school, token = city.school()
    send_report(client, token, city.db)
    team = city.staff("school_team", school)
    log_in(client, team)
    report_id = city.db.execute("SELECT id FROM reports").fetchone()[0]
    response = client.post(f"/staff/reports/{report_id}/reply", data={"body": "hi"})
    assert response.status_code == 403 and count(city, "messages") == 1


def _report_to(client, city, token, recipient):
    send_report(client, token, city.db, recipient=recipient, key=f"{token}{recipient}")
    return city.db.execute("SELECT max(id) FROM reports").fetchone()[0]


def test_staff_can_open_no_report_outside_their_inbox_whatever_the_id(client, city):
    """Every staff route × every role, against reports of another school and of another
    recipient: 404, and nothing changes."""
    school, token = city.school()
    other_school, other_token = city.school()
    reports = {
        (s, r): _report_to(client, city, t, r)
        for s, t in (("own", token), ("other", other_token))
        for r in RECIPIENTS
    }
    accounts = {
        "nurse": city.staff("nurse", school),
        "school_team": city.staff("school_team", school),
        "centre": city.staff("centre"),
        "admin": city.staff("admin"),
    }
    visible = {
        "nurse": {("own", "nurse")},
        "school_team": {("own", "school_team")},
        "centre": {("own", "centre"), ("other", "centre")},
        "admin": set(),
    }
    before = count(city, "messages")
    for role, staff in accounts.items():
        client.cookies.clear()
        csrf = log_in(client, staff)
        for key, report_id in reports.items():
            if key in visible[role]:
                continue
            assert client.get(f"/staff/reports/{report_id}").status_code == 404, (role, key)
            for action in ("reply", "unread"):
                response = client.post(
                    f"/staff/reports/{report_id}/{action}",
                    data={"csrf_token": csrf, "body": "leak?"},
                )
                assert response.status_code == 404, (role, key, action)
        for key in visible[role]:
            assert client.get(f"/staff/reports/{reports[key]}").status_code == 200
    assert count(city, "messages") == before
    assert other_school.id != school.id


def test_the_service_runs_as_one_process_per_core_on_one_database(serve_with):
    live = serve_with("--workers", "2")
    _, token = live.city.school()
    for n in range(6):  # a new connection each: the kernel hands them to either process
        with httpx.Client(
            base_url=live.url, headers={"origin": live.url}, follow_redirects=True
        ) as pupil:
            sent = pupil.post(
                f"/p/{token}",
                data={
                    "step": "send",
                    "topic": str(topic_id(live.city.db, "bullying")),
                    "recipient": "school_team",
                    "body": f"たすけて {n}",
                    "submission_key": f"workers-{n}",
                },
            )
            assert sent.status_code == 200
            assert pupil.get("/healthz").text == "ok"
    assert live.city.db.execute("SELECT count(*) FROM reports").fetchone() == (6,)
    assert live.log().count("Started server process") >= 2
