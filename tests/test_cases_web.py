"""Case work through the app in-process: who may reach which page, refusals that change
nothing, the weekly review's CSV, and internal notes kept out of every pupil view."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from school_report.reports import add_pupil_message, pupil_report
from tests.support import return_code_in, send_report
from tests.test_web import count, log_in

CENTRE_ONLY_PAGES = (
    "/staff?school=1",
    "/staff?topic=1",
    "/staff?watch=1",
    "/staff/watch",
    "/staff/coordination",
    "/staff/weekly",
    "/staff/weekly/print",
    "/staff/weekly.csv",
)


def report_to(client, city, token, recipient="centre", body="いえの こと", **fields):
    topic = "home" if recipient == "centre" else "bullying"
    response = send_report(
        client,
        token,
        city.db,
        topic=topic,
        recipient=recipient,
        body=body,
        key=f"{token}-{body}",
        **fields,
    )
    return city.db.execute("SELECT max(id) FROM reports").fetchone()[0], return_code_in(
        response.text
    )


def act(client, csrf, report_id, action, **form):
    return client.post(
        f"/staff/reports/{report_id}/case/{action}",
        data={"csrf_token": csrf, **form},
        follow_redirects=False,
    )


@pytest.mark.parametrize("role", ["nurse", "school_team"])
def test_school_staff_cannot_reach_the_centres_queue_filters_log_or_review(client, city, role):
    school, _ = city.school()
    log_in(client, city.staff(role, school))
    for page in CENTRE_ONLY_PAGES:
        assert client.get(page).status_code == 403, page
    assert client.get("/staff?status=closed&assignee=me").status_code == 200


def test_school_staff_keep_status_assignment_notes_but_no_watch_or_coordination(client, city):
    school, token = city.school()
    team = city.staff("school_team", school)
    report_id, _ = report_to(client, city, token, recipient="school_team")
    csrf = log_in(client, team)
    assert act(client, csrf, report_id, "status", status="monitoring").status_code == 303
    assert act(client, csrf, report_id, "assign", assignee="me").status_code == 303
    assert act(client, csrf, report_id, "note", body="担任と話す").status_code == 303
    page = client.get(f"/staff/reports/{report_id}").text
    assert "担任と話す" in page and "調整活動" not in page
    for action, form in (
        ("watch", {"watch": "1", "reason": "x"}),
        ("coordination", {"agency": "police", "summary": "x", "pupil_consent": "agreed"}),
    ):
        assert act(client, csrf, report_id, action, **form).status_code == 403
    assert city.db.execute(
        "SELECT status, watch_case, assigned_to FROM reports WHERE id = ?", [report_id]
    ).fetchone() == ("monitoring", 0, team.id)
    assert count(city, "coordination") == 0


def test_no_case_action_reaches_a_report_outside_the_staff_members_inbox(client, city):
    school, token = city.school()
    report_id, _ = report_to(client, city, token)
    csrf = log_in(client, city.staff("nurse", school))
    events = count(city, "case_events")
    for action in ("urgency", "checklist", "headline", "status", "assign", "note", "approve"):
        assert act(client, csrf, report_id, action, body="leak?").status_code == 404, action
    assert count(city, "case_events") == events and count(city, "notes") == 0


@pytest.mark.parametrize(
    ("action", "form", "reason"),
    [
        ("note", {"body": "   "}, "まず"),
        ("status", {"status": "closed"}, "結果"),
        ("watch", {"watch": "1", "reason": ""}, "まず"),
        ("urgency", {"urgency": "panic"}, "のこっていません"),
        (
            "coordination",
            {"agency": "police", "summary": "x", "pupil_consent": "agreed", "contacted_at": "x"},
            "日時",
        ),
    ],
)
def test_bad_case_input_is_refused_kindly_and_changes_nothing(client, city, action, form, reason):
    _, token = city.school()
    report_id, _ = report_to(client, city, token)
    csrf = log_in(client, city.staff("centre"))
    events = count(city, "case_events")
    response = act(client, csrf, report_id, action, **form)
    assert response.status_code == 400
    assert 'role="alert"' in response.text and reason in response.text
    assert count(city, "case_events") == events


def test_htmx_gets_the_case_panel_back_with_the_change(client, city):
    _, token = city.school()
    report_id, _ = report_to(client, city, token)
    csrf = log_in(client, city.staff("centre"))
    response = client.post(
        f"/staff/reports/{report_id}/case/headline",
        data={"csrf_token": csrf, "headline": "帰宅をこわがっている"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="case-work"')
    assert 'value="帰宅をこわがっている"' in response.text and "<html" not in response.text


def test_the_weekly_csv_has_no_pupil_names_and_opens_in_a_spreadsheet(client, city):
    _, token = city.school()
    report_id, _ = report_to(client, city, token, pupil_name="やまだ はなこ", grade="3")
    csrf = log_in(client, city.staff("centre"))
    act(client, csrf, report_id, "headline", headline="母の不在が続く")
    response = client.get("/staff/weekly.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    assert "母の不在が続く" in response.text and "やまだ" not in response.text
    assert "やまだ" not in client.get("/staff/weekly").text
    assert client.get("/staff/weekly?week=not-a-date").status_code == 400


def test_the_weekly_csv_dates_a_case_by_the_citys_day_and_runs_no_formula(client, city):
    _, token = city.school()
    report_id, _ = report_to(client, city, token)
    monday = date.today() - timedelta(days=date.today().weekday())
    # 08:00 in Japan on Monday is 23:00 UTC on Sunday.
    sunday_utc = f"{(monday - timedelta(days=1)).isoformat()}T23:00:00+00:00"
    city.db.execute("UPDATE reports SET created_at = ? WHERE id = ?", [sunday_utc, report_id])
    csrf = log_in(client, city.staff("centre"))
    act(client, csrf, report_id, "headline", headline='=HYPERLINK("http://x")')
    rows = list(csv.reader(io.StringIO(client.get("/staff/weekly.csv").text.lstrip("\ufeff"))))
    (row,) = [row for row in rows[1:] if row[0] == str(report_id)]
    assert row[1] == monday.isoformat()
    assert row[7].startswith("'=")


def test_an_internal_note_never_reaches_any_pupil_view(client, city):
    _, token = city.school()
    report_id, code = report_to(client, city, token)
    csrf = log_in(client, city.staff("centre"))
    act(client, csrf, report_id, "note", body="SECRET-NOTE 児童相談所へ連絡予定")
    client.post(f"/staff/reports/{report_id}/reply", data={"csrf_token": csrf, "body": "きいたよ"})
    views = [
        client.get(f"/p/{token}"),
        client.post(f"/p/{token}", data={"step": "open", "code": code}),
        client.post(f"/p/{token}", data={"step": "write", "body": "ありがとう"}),
    ]
    for view in views:
        assert view.status_code == 200
        # (児童相談所 itself is on every pupil page: 189, the number that answers now.)
        assert "SECRET-NOTE" not in view.text and "へ連絡予定" not in view.text
    assert "きいたよ" in views[1].text


def test_the_centres_queue_shows_filters_with_counts_and_the_reason_for_urgency(client, city):
    school, token = city.school()
    report_to(client, city, token, body="もう しにたい")
    log_in(client, city.staff("centre"))
    page = client.get(f"/staff?school={school.id}").text
    assert re.search(r"緊急.*しにたい", page, re.S)
    assert f'<option value="{school.id}" selected>{school.name} (1)</option>' in page
    partial = client.get(f"/staff?school={school.id}", headers={"HX-Request": "true"}).text
    assert "しにたい" in partial and "<form" not in partial


def test_an_unanswered_report_shows_overdue_in_the_queue(client, city):
    _, token = city.school()
    report_id, _ = report_to(client, city, token)
    month_ago = (datetime.now(UTC) - timedelta(days=30)).isoformat(timespec="seconds")
    city.db.execute("UPDATE reports SET created_at = ? WHERE id = ?", [month_ago, report_id])
    log_in(client, city.staff("centre"))
    row = re.search(
        rf"<tr[^>]*>\s*<td><a href=\"/staff/reports/{report_id}\">.*?</tr>", page(client), re.S
    )
    assert row and "overdue" in row.group(0) and "期限切れ" in row.group(0)


def page(client, address="/staff"):
    response = client.get(address)
    assert response.status_code == 200, address
    return response.text


def test_the_centre_logs_a_contact_and_the_coordination_page_lists_it(client, city):
    _, token = city.school()
    report_id, _ = report_to(client, city, token)
    csrf = log_in(client, city.staff("centre"))
    form = {
        "agency": "child_guidance_centre",
        "contact_person": "担当 田中",
        "summary": "家庭訪問の予定を共有した",
        "pupil_consent": "agreed",
        "contacted_at": "",
    }
    assert act(client, csrf, report_id, "coordination", **form).status_code == 303
    listed = page(client, "/staff/coordination")
    assert "家庭訪問の予定を共有した" in listed and "担当 田中" in listed
    assert f"/staff/reports/{report_id}" in listed
    notice = {"agency": "child_guidance_centre", "summary": "虐待の疑いで通告", "notified_at": ""}
    assert act(client, csrf, report_id, "notify", **notice).status_code == 303
    shown = page(client, f"/staff/reports/{report_id}").split('id="agency-notifications-title"')[1]
    assert "虐待の疑いで通告" in shown and "児童虐待防止法 第6条" in shown
    assert "安全確認の期限" in shown and "安全確認の期限切れ" not in shown


def test_an_abuse_notification_to_a_school_is_refused_in_staff_words(client, city):
    _, token = city.school()
    report_id, _ = report_to(client, city, token)
    csrf = log_in(client, city.staff("centre"))
    refused = act(client, csrf, report_id, "notify", agency="school", summary="x", notified_at="")
    assert refused.status_code == 400
    assert "学校は通告先になりません" in refused.text
    assert city.db.execute("SELECT count(*) FROM agency_notifications").fetchone() == (0,)


def hand_over_form(csrf, to, **fields):
    return {
        "csrf_token": csrf,
        "to_recipient": to,
        "pupil_consent": "agreed",
        "ground": "consent",
        **fields,
    }


def test_a_school_brought_in_sees_none_of_the_centres_own_work(client, city):
    school, token = city.school()
    team = city.staff("school_team", school)
    report_id, _ = report_to(client, city, token)
    csrf = log_in(client, city.staff("centre"))
    act(client, csrf, report_id, "checklist", item="visible_injury")
    act(client, csrf, report_id, "watch", watch="1", reason="同じ家庭から二件目")
    act(client, csrf, report_id, "headline", headline="センターの見立て")
    coordination = {"agency": "police", "summary": "警察へ", "pupil_consent": "not_asked"}
    act(client, csrf, report_id, "coordination", **coordination)
    notice = {"agency": "child_guidance_centre", "summary": "通告した", "notified_at": ""}
    act(client, csrf, report_id, "notify", **notice)
    handed = client.post(
        f"/staff/reports/{report_id}/hand-over",
        data=hand_over_form(csrf, "school_team", reason="登校の様子を見てください"),
        follow_redirects=False,
    )
    assert handed.status_code == 303
    centre_view = page(client, f"/staff/reports/{report_id}")
    assert (
        "見えるけががある" in centre_view.split('id="audit-title"')[1]
    )  # the city's label in the trail
    assert "visible_injury" not in centre_view.split('id="audit-title"')[1]
    client.cookies.clear()
    log_in(client, team)
    for text in (page(client), page(client, f"/staff/reports/{report_id}")):
        for secret in ("visible_injury", "見えるけが", "同じ家庭から二件目", "センターの見立て"):
            assert secret not in text, secret
        assert "虐待通告" not in text and "留意ケース" not in text
    assert "引き継ぎ先" in page(client, f"/staff/reports/{report_id}")  # handed_over, in the trail


def test_a_danger_word_kept_from_the_school_after_referral_is_not_shown_to_it(client, city):
    school, token = city.school()
    nurse = city.staff("nurse", school)
    report_id, _ = report_to(client, city, token, recipient="nurse", body="ねむれない")
    csrf = log_in(client, nurse)
    form = hand_over_form(csrf, "centre", reason="福祉の相談です")
    client.post(f"/staff/reports/{report_id}/hand-over", data=form)
    add_pupil_message(city.db, pupil_report(city.db, report_id), "しにたい", keep_from_school=True)
    for text in (page(client), page(client, f"/staff/reports/{report_id}")):
        assert "しにたい" not in text and "危険ワードで引き上げ" in text
    client.cookies.clear()
    log_in(client, city.staff("centre"))
    assert "しにたい" in page(client, f"/staff/reports/{report_id}")


def test_danger_words_of_a_summary_only_share_are_not_shown_to_the_school(client, city):
    school, token = city.school()
    nurse = city.staff("nurse", school)
    report_id, _ = report_to(client, city, token, body="おとうさんに たたかれた")
    csrf = log_in(client, city.staff("centre"))
    fields = {"reason": "見守り", "shares": "summary", "summary": "体調に気を配ってください"}
    client.post(
        f"/staff/reports/{report_id}/hand-over", data=hand_over_form(csrf, "nurse", **fields)
    )
    client.cookies.clear()
    log_in(client, nurse)
    for text in (page(client), page(client, f"/staff/reports/{report_id}")):
        assert "たたかれ" not in text and "危険ワードで引き上げ" in text


def test_a_school_cannot_mark_a_report_it_referred_unread_for_the_centre(client, city):
    school, token = city.school()
    report_id, _ = report_to(client, city, token, recipient="nurse", body="ねむれない")
    csrf = log_in(client, city.staff("nurse", school))
    form = hand_over_form(csrf, "centre", reason="福祉の相談です")
    client.post(f"/staff/reports/{report_id}/hand-over", data=form)
    city.db.execute("UPDATE reports SET staff_unread = 0 WHERE id = ?", [report_id])
    response = client.post(f"/staff/reports/{report_id}/unread", data={"csrf_token": csrf})
    assert response.status_code == 403
    assert city.db.execute(
        "SELECT staff_unread FROM reports WHERE id = ?", [report_id]
    ).fetchone() == (0,)
    assert "未読" not in page(client).split("<table")[1]


def test_a_refused_hand_over_is_explained_in_staff_words_with_the_real_limit(client, city):
    school, token = city.school()
    report_id, _ = report_to(client, city, token, recipient="nurse", body="ねむれない")
    csrf = log_in(client, city.staff("nurse", school))
    form = hand_over_form(csrf, "centre", reason="り" * 1001)
    response = client.post(f"/staff/reports/{report_id}/hand-over", data=form)
    assert response.status_code == 400
    alert = re.search(r'id="hand-over-error">(.*?)</p>', response.text, re.S).group(1)
    assert "1,000" in alert and "ね。" not in alert
    assert count(city, "hand_overs") == 0
