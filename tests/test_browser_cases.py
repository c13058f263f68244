"""Triage and case work in a real Chromium against the real server: an urgent message jumps to
the top of the centre's queue with its reason; staff lower it, assign, note, move the status,
close with an outcome, reopen, flag a watch case, review the week; a supervisor approves a
trainee's reply; and no internal note ever reaches the pupil."""

import re

import pytest
from playwright.sync_api import expect

from school_report.staff import set_supervisor
from tests.conftest import new_page
from tests.test_browser_loop import log_in, read_reply, tell_someone

pytestmark = pytest.mark.browser

HOME = "いえのこと・かぞく"


def open_report(desk, url, report_id):
    desk.goto(f"{url}/staff/reports/{report_id}")
    expect(desk.locator("#case-work")).to_be_visible()


def act_on_case(desk, button: str) -> None:
    """Click a case form's button and wait until the server's answer has replaced the case
    work area. Without the wait, a check that is already true (a field still holding what was
    typed) passes before the answer arrives, and the late swap then wipes what is typed next:
    on a busy machine, the note was posted empty."""
    desk.locator("#case-work").evaluate("area => area.dataset.answered = 'not yet'")
    desk.get_by_role("button", name=button).click()
    expect(desk.locator("#case-work")).not_to_have_attribute("data-answered", "not yet")


def newest_report(city) -> int:
    return city.db.execute("SELECT max(id) FROM reports").fetchone()[0]


def test_an_urgent_message_jumps_to_the_top_of_the_queue_and_staff_lower_it(
    live_server, chromium, page
):
    url, city = live_server.url, live_server.city
    school, token = city.school()
    counsellor = city.staff("centre")
    tell_someone(page, url, token, HOME, "おかあさんが かえって こない")
    calm_id = newest_report(city)

    desk = new_page(chromium)
    log_in(desk, url, counsellor)
    desk.goto(f"{url}/staff?school={school.id}")
    rows = desk.locator("table.queue tbody tr")
    expect(rows).to_have_count(1)

    pupil = new_page(chromium)
    tell_someone(pupil, url, token, "ともだちのこと", "もう ｼﾆﾀｲ", recipient="centre")
    pupil.context.close()
    urgent_id = newest_report(city)
    # The open queue updates itself: the urgent report comes first, with the words that raised it.
    expect(rows).to_have_count(2, timeout=15_000)
    expect(rows.first).to_contain_text(f"#{urgent_id}")
    expect(rows.first.locator("mark")).to_have_text("ｼﾆﾀｲ")
    expect(rows.nth(1)).to_contain_text(f"#{calm_id}")

    rows.first.get_by_role("link", name=f"#{urgent_id}").click()
    expect(desk.locator(".thread mark.danger-word")).to_have_text("ｼﾆﾀｲ")
    expect(desk.locator("#urgency-now")).to_have_text("緊急")
    expect(desk.locator(".case-panel")).to_contain_text("提案：まだ確定していません")
    desk.get_by_label("緊急度の変更").select_option("high")
    desk.get_by_role("button", name="緊急度を変更").click()
    # Lowering it needs the reason (根拠), kept in the audit trail.
    expect(desk.get_by_role("alert")).to_contain_text("根拠が必要です")
    expect(desk.locator("#urgency-now")).to_have_text("緊急")
    desk.get_by_label("緊急度の変更").select_option("high")
    desk.get_by_label("根拠", exact=False).fill("電話で本人と話し、今夜は安全と確認")
    desk.get_by_role("button", name="緊急度を変更").click()
    expect(desk.locator("#urgency-now")).to_have_text("高")
    expect(desk.locator("#urgency-confirmed")).to_contain_text(counsellor.display_name)
    desk.locator(".audit summary").click()
    expect(desk.locator(".audit-trail")).to_contain_text("緊急 → 高")
    expect(desk.locator(".audit-trail")).to_contain_text("今夜は安全と確認")
    expect(desk.locator(".audit-trail li").last).to_contain_text(counsellor.display_name)
    desk.context.close()


def test_staff_assign_note_move_close_with_an_outcome_and_reopen_a_case(
    live_server, chromium, page
):
    url, city = live_server.url, live_server.city
    _, token = city.school()
    counsellor = city.staff("centre")
    tell_someone(page, url, token, HOME, "おとうとの せわで がっこうに いけない")
    report_id = newest_report(city)
    log_in(page, url, counsellor)
    open_report(page, url, report_id)

    act_on_case(page, "自分の担当にする")
    expect(page.locator("#assignee-now")).to_have_text(counsellor.display_name)
    page.locator("#headline").fill("弟の世話で不登校気味、母は夜勤")
    act_on_case(page, "見出しを保存")
    expect(page.locator("#headline")).to_have_value("弟の世話で不登校気味、母は夜勤")
    page.get_by_label("新しい内部メモ").fill("ヤングケアラーの可能性。学校に確認する。")
    act_on_case(page, "メモを追加")
    expect(page.locator(".notes")).to_contain_text("ヤングケアラーの可能性")

    page.get_by_label("新しい状況").select_option("coordinating")
    act_on_case(page, "状況を変更")
    expect(page.locator("#status-now")).to_have_text("調整中")
    # Closing without an outcome is refused kindly, and nothing changes.
    page.get_by_label("新しい状況").select_option("closed")
    act_on_case(page, "状況を変更")
    expect(page.locator("#case-error")).to_contain_text("結果を選んでください")
    expect(page.locator("#status-now")).to_have_text("調整中")
    page.get_by_label("新しい状況").select_option("closed")
    page.get_by_label("終結の結果（終結するとき）").select_option("referred")
    act_on_case(page, "状況を変更")
    expect(page.locator("#status-now")).to_have_text("終結")
    expect(page.locator(".case-panel")).to_contain_text("他機関につないだ")
    act_on_case(page, "ケースを再開する")
    expect(page.locator("#status-now")).to_have_text("対応中")

    page.locator(".audit summary").click()
    trail = page.locator(".audit-trail")
    for step in ("相談を受付", "担当者", "見出しを変更", "内部メモを追加", "終結", "再開"):
        expect(trail).to_contain_text(step)

    page.goto(f"{url}/staff?assignee=me")
    expect(page.locator("table.queue")).to_contain_text("弟の世話で不登校気味")


def test_a_watch_case_is_listed_for_all_centre_staff_and_in_the_weekly_review(
    live_server, chromium, page
):
    url, city = live_server.url, live_server.city
    _, token = city.school()
    desk = new_page(chromium)
    tell_someone(page, url, token, HOME, "なまえは たなか はなこ です")
    report_id = newest_report(city)
    log_in(desk, url, city.staff("centre"))
    open_report(desk, url, report_id)
    desk.get_by_role("button", name="留意ケースにする").click()
    expect(desk.locator("#case-error")).to_have_count(0)  # the browser asks for the reason first
    desk.get_by_label("留意する理由").fill("同じ学校から3件目、学校の対応が遅い")
    desk.get_by_role("button", name="留意ケースにする").click()
    expect(desk.locator("#watch-reason")).to_have_text("同じ学校から3件目、学校の対応が遅い")
    desk.context.close()

    colleague = new_page(chromium)
    log_in(colleague, url, city.staff("centre"))
    colleague.get_by_role("link", name="留意ケース").click()
    expect(colleague.get_by_role("heading", name="留意ケース")).to_be_visible()
    row = colleague.locator("tr", has_text=f"#{report_id}")
    expect(row).to_contain_text("同じ学校から3件目")

    colleague.get_by_role("link", name="支援方針会議").click()
    review = colleague.locator("table.weekly-review")
    expect(review.locator("tr", has_text=f"#{report_id}")).to_contain_text("留意ケース")
    assert "たなか" not in colleague.content()
    colleague.get_by_role("link", name="印刷用の表示").click()
    expect(colleague.locator(".staff-bar")).to_have_count(0)
    expect(colleague.locator("table.weekly-review")).to_contain_text(f"#{report_id}")
    with colleague.expect_download() as download:
        colleague.go_back()
        colleague.get_by_role("link", name="CSV をダウンロード").click()
    assert download.value.suggested_filename.startswith("case-review-")
    colleague.context.close()


def test_an_internal_note_and_an_unapproved_reply_never_reach_any_pupil_view(
    live_server, chromium, page
):
    url, city = live_server.url, live_server.city
    _, token = city.school()
    code = tell_someone(page, url, token, HOME, "きいて ほしい ことが ある")
    expect(page.locator("main")).not_to_contain_text("NOTE-")
    report_id = newest_report(city)
    trainee = city.staff("centre")
    city.db.execute("UPDATE staff SET needs_review = 1 WHERE id = ?", [trainee.id])

    desk = new_page(chromium)
    log_in(desk, url, trainee)
    open_report(desk, url, report_id)
    desk.get_by_label("新しい内部メモ").fill("NOTE-7731 父親の名前は鈴木")
    desk.get_by_role("button", name="メモを追加").click()
    expect(desk.locator(".notes")).to_contain_text("NOTE-7731")
    expect(desk.get_by_text("スーパーバイザーが確認します")).to_be_visible()
    desk.get_by_label("返信（児童生徒が読みます）").fill("よく はなしてくれたね")
    desk.get_by_role("button", name="返信を送る").click()
    expect(desk.locator(".message.pending-review")).to_contain_text("よく はなしてくれたね")
    desk.context.close()

    def pupil_sees_nothing_hidden():
        html = page.content()
        assert "NOTE-7731" not in html and "鈴木" not in html and "内部" not in html

    read_reply(page, url, token, code)
    expect(page.locator(".thread")).to_contain_text("きいて ほしい")
    expect(page.locator(".thread")).not_to_contain_text("よく はなしてくれたね")
    pupil_sees_nothing_hidden()

    supervisor = new_page(chromium)
    head = city.staff("centre")
    set_supervisor(city.db, head.id, True)
    log_in(supervisor, url, head)
    expect(supervisor.locator(".pending-reviews")).to_contain_text(f"#{report_id}")
    supervisor.locator(".pending-reviews").get_by_role("link", name=f"#{report_id}").click()
    supervisor.get_by_label("必要なら返信を直してから承認してください").fill(
        "よく はなしてくれたね。ありがとう。"
    )
    supervisor.get_by_role("button", name="承認して児童生徒に送る").click()
    expect(supervisor.locator(".message.pending-review")).to_have_count(0)
    supervisor.context.close()

    read_reply(page, url, token, code)
    expect(page.locator(".thread")).to_contain_text("よく はなしてくれたね。ありがとう。")
    pupil_sees_nothing_hidden()
    page.get_by_label("もっと かく").fill("うん")
    page.get_by_role("button", name="おくる").click()
    expect(page.get_by_role("status")).to_contain_text("おくりました")
    pupil_sees_nothing_hidden()
    assert not re.search("NOTE-7731", page.evaluate("document.body.innerText"))


def test_a_school_team_works_its_own_case_without_the_centres_pages(live_server, chromium, page):
    url, city = live_server.url, live_server.city
    school, token = city.school()
    team = city.staff("school_team", school)
    tell_someone(page, url, token, "いじめ", "くつを かくされる")
    report_id = newest_report(city)
    log_in(page, url, team)
    expect(page.get_by_role("link", name="支援方針会議")).to_have_count(0)
    open_report(page, url, report_id)
    expect(page.locator(".coordination")).to_have_count(0)
    page.get_by_role("button", name="自分の担当にする").click()
    expect(page.locator("#assignee-now")).to_have_text(team.display_name)
    page.get_by_label("新しい状況").select_option("monitoring")
    page.get_by_role("button", name="状況を変更").click()
    expect(page.locator("#status-now")).to_have_text("見守り")
    page.goto(f"{url}/staff/weekly")
    expect(page.get_by_role("alert")).to_contain_text("センターの職員だけ")


def test_a_supervisor_returns_a_trainees_reply_with_a_comment_and_the_pupil_never_sees_it(
    live_server, chromium, page
):
    url, city = live_server.url, live_server.city
    _, token = city.school()
    code = tell_someone(page, url, token, HOME, "いえに いたくない")
    report_id = newest_report(city)
    trainee = city.staff("centre")
    city.db.execute("UPDATE staff SET needs_review = 1 WHERE id = ?", [trainee.id])
    desk = new_page(chromium)
    log_in(desk, url, trainee)
    open_report(desk, url, report_id)
    desk.get_by_label("返信（児童生徒が読みます）").fill("そんなこと いわないで")
    desk.get_by_role("button", name="返信を送る").click()
    expect(desk.locator(".message.pending-review")).to_contain_text("そんなこと いわないで")

    # A colleague outside training is not thereby a supervisor: no approve or return for them.
    colleague = new_page(chromium)
    log_in(colleague, url, city.staff("centre"))
    open_report(colleague, url, report_id)
    expect(colleague.get_by_role("button", name="差し戻す")).to_have_count(0)
    colleague.context.close()

    head = city.staff("centre")
    set_supervisor(city.db, head.id, True)
    supervisor = new_page(chromium)
    log_in(supervisor, url, head)
    open_report(supervisor, url, report_id)
    supervisor.get_by_label("コメントを付けて研修中の職員に差し戻す", exact=False).fill(
        "まず気持ちを受け止める言葉から書きましょう"
    )
    supervisor.get_by_role("button", name="差し戻す").click()
    expect(supervisor.locator(".message.pending-review")).to_have_count(0)
    supervisor.context.close()

    desk.reload()
    expect(desk.locator(".returned-reply")).to_contain_text("まず気持ちを受け止める言葉から")
    expect(desk.locator(".returned-reply")).to_contain_text("そんなこと いわないで")
    desk.context.close()
    read_reply(page, url, token, code)
    expect(page.locator(".thread")).to_contain_text("いえに いたくない")
    expect(page.locator(".thread")).not_to_contain_text("そんなこと")
