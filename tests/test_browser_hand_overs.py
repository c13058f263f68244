"""Hand-overs in a real Chromium against the real server: a nurse refers a report to the centre
with the pupil's consent, the centre brings in a school without it only to protect life or
body, the pupil reads in the thread who else knows and why, and the school never reads the
centre's internal notes or what the pupil kept from it. Also: a staff member sets up e-mail
and a real mail arrives."""

import pytest
from playwright.sync_api import expect

from school_report.cases import set_status
from school_report.notifications import set_mail_settings
from school_report.reports import report_for_staff
from tests.conftest import new_page
from tests.mailbox import mailbox_fixture, use_mail_server  # noqa: F401
from tests.test_browser_loop import log_in, read_reply, tell_someone

pytestmark = pytest.mark.browser


@pytest.fixture
def centre(live_server):
    """A centre counsellor whose open cases are closed after the test: the live server is
    shared, and a case left open in the city-wide queue would sit above other tests' reports."""
    city = live_server.city
    counsellor = city.staff("centre")
    yield counsellor
    rows = city.db.execute(
        "SELECT id FROM reports r WHERE r.status != 'closed' AND (r.recipient = 'centre' OR "
        "r.id IN (SELECT report_id FROM hand_overs WHERE to_recipient = 'centre')) AND r.id IN "
        "(SELECT report_id FROM case_events WHERE staff_id = ?)",
        [counsellor.id],
    ).fetchall()
    for (report_id,) in rows:
        report = report_for_staff(city.db, counsellor, report_id)
        set_status(city.db, counsellor, report, "closed", "resolved")


def newest_report_id(city, school) -> int:
    (report_id,) = city.db.execute(
        "SELECT max(id) FROM reports WHERE school_id = ?", [school.id]
    ).fetchone()
    return report_id


def open_report(desk, url, report_id):
    desk.goto(f"{url}/staff/reports/{report_id}")
    return desk.locator("#hand-over")


def test_a_nurse_refers_to_the_centre_which_answers_while_the_school_reads_without_its_notes(
    live_server, chromium, page, centre
):
    url, city = live_server.url, live_server.city
    school, token = city.school()
    nurse = city.staff("nurse", school)
    code = tell_someone(page, url, token, "こころ・きもち", "いえで ねむれない ひが つづいています")
    report_id = newest_report_id(city, school)

    desk = new_page(chromium)
    log_in(desk, url, nurse)
    panel = open_report(desk, url, report_id)
    panel.get_by_label("同意した").check()
    panel.get_by_label("本人の同意").check()
    panel.get_by_label("引き継ぐ理由", exact=False).fill("家庭の事情で福祉の支援が必要です")
    panel.get_by_role("button", name="引き継ぐ", exact=True).click()
    expect(panel.locator(".hand-over-record")).to_contain_text("センターへ引き継ぎ")
    expect(panel.locator(".hand-over-record")).to_contain_text("同意した")
    expect(panel.locator(".hand-over-record .ground")).to_contain_text("本人の同意")
    expect(panel.locator(".hand-over-record")).to_contain_text("引き継ぎ先は未読")
    expect(panel.get_by_role("note")).to_contain_text("いまはセンターが児童生徒に返事をします")
    expect(desk.get_by_role("heading", name="児童生徒への返信")).to_have_count(0)

    counsellor = new_page(chromium)
    log_in(counsellor, url, centre)
    expect(counsellor.locator(f"a[href='/staff/reports/{report_id}']")).to_be_visible()
    # It lands visibly: tagged as handed over, unread, and with nobody's old status on it.
    row = counsellor.locator(f"tr:has(a[href='/staff/reports/{report_id}'])")
    expect(row.locator(".hand-over-tag")).to_have_text("引き継ぎ")
    expect(row.locator(".unread-tag")).to_be_visible()
    expect(row).to_contain_text("新規")
    open_report(counsellor, url, report_id)
    expect(counsellor.locator(".thread")).to_contain_text("いえで ねむれない")
    expect(counsellor.locator("#hand-over")).to_contain_text("家庭の事情で福祉の支援が必要です")
    expect(counsellor.locator("#status-now")).to_have_text("新規")
    counsellor.locator("#note-body").fill("センター内部: 児相に相談する予定")
    counsellor.locator("form:has(#note-body) button[type=submit]").click()
    expect(counsellor.locator(".note-list")).to_contain_text("児相に相談する予定")
    reply = "センターの さとうです。おはなし きかせてね"
    counsellor.get_by_label("返信（児童生徒が読みます）").fill(reply)
    counsellor.get_by_role("button", name="返信を送る").click()
    expect(counsellor.locator(".thread")).to_contain_text("センターの さとうです")
    report = report_for_staff(city.db, centre, report_id)
    set_status(city.db, centre, report, "coordinating")
    counsellor.context.close()

    desk.reload()
    expect(desk.locator(".hand-over-record")).to_contain_text("引き継ぎ先が既読")
    expect(desk.locator("#status-now")).to_have_text("調整中")
    expect(desk.locator(".thread")).to_contain_text("センターの さとうです")
    assert "児相に相談する予定" not in desk.content()
    desk.context.close()

    read_reply(page, url, token, code)
    notice = page.locator(".hand-over-notice")
    expect(notice).to_contain_text("サポートセンターも、この ことを しりました")
    expect(notice).to_contain_text("「いいよ」")
    expect(page.locator(".thread .from-staff .who")).to_contain_text("サポートセンター")


def test_the_centre_brings_in_the_school_without_consent_only_to_protect_life_or_body(
    live_server, chromium, page, centre
):
    url, city = live_server.url, live_server.city
    school, token = city.school()
    team = city.staff("school_team", school)
    words = "おとうさんに たたかれた。あざが できた"
    code = tell_someone(page, url, token, "いえのこと・かぞく", words, recipient="centre")
    report_id = newest_report_id(city, school)

    counsellor = new_page(chromium)
    log_in(counsellor, url, centre)
    panel = open_report(counsellor, url, report_id)
    # The centre is offered only the two grounds it may share with a school on.
    expect(panel.locator("input[name=ground]")).to_have_count(2)
    panel.locator("input[name=to_recipient][value=school_team]").check()
    panel.get_by_label("同意しなかった").check()
    panel.get_by_label("本人の同意").check()
    panel.get_by_label("引き継ぐ理由", exact=False).fill("登校時の様子を見守ってください")
    panel.get_by_label("要約だけ").check()
    panel.get_by_label("学校への要約").fill(
        "家庭で困りごとがあります。様子の変化に気を配ってください。"
    )
    panel.get_by_role("button", name="学校と連携する").click()
    # Refused kindly: the pupil did not say yes, so consent is no ground; the draft is kept.
    expect(counsellor.get_by_role("alert")).to_contain_text("同意を根拠にできません")
    expect(panel.get_by_label("引き継ぐ理由", exact=False)).to_have_value(
        "登校時の様子を見守ってください"
    )
    assert city.db.execute(
        "SELECT count(*) FROM hand_overs WHERE report_id = ?", [report_id]
    ).fetchone() == (0,)
    panel.get_by_label("生命・身体の保護").check()
    panel.get_by_role("button", name="学校と連携する").click()
    expect(panel.locator(".hand-over-record .ground")).to_contain_text("生命・身体の保護")
    counsellor.context.close()

    desk = new_page(chromium)
    log_in(desk, url, team)
    expect(desk.locator(f"a[href='/staff/reports/{report_id}']")).to_be_visible()
    panel = open_report(desk, url, report_id)
    expect(panel).to_contain_text("様子の変化に気を配ってください")
    expect(panel.get_by_role("note")).to_contain_text("センターから連携の依頼があった相談です")
    # Nor the danger word that raised the urgency: it is in a thread the school does not read.
    expect(desk.locator(".case-panel .urgency-why")).to_have_text("危険ワードで引き上げ")
    assert "たたかれ" not in desk.content()
    expect(desk.get_by_role("heading", name="児童生徒への返信")).to_have_count(0)
    desk.context.close()

    read_reply(page, url, token, code)
    notice = page.locator(".hand-over-notice")
    expect(notice).to_contain_text("がっこうの たすける チームも")
    expect(notice).to_contain_text("またずに しらせました")
    expect(notice).to_contain_text("メッセージは よめません")


def test_a_message_the_pupil_keeps_from_the_school_is_highlighted_and_never_shared(
    live_server, chromium, page, centre
):
    url, city = live_server.url, live_server.city
    school, token = city.school()
    nurse = city.staff("nurse", school)
    code = tell_someone(page, url, token, "いえのこと・かぞく", "きいて", recipient="centre")
    read_reply(page, url, token, code)
    page.get_by_label("もっと かく").fill("ほけんしつの せんせいには ないしょに して。しにたい")
    page.get_by_label("この メッセージは がっこうに みせないで").check()
    page.get_by_role("button", name="おくる").click()
    expect(page.get_by_role("status")).to_contain_text("おくりました")
    report_id = newest_report_id(city, school)

    counsellor = new_page(chromium)
    log_in(counsellor, url, centre)
    panel = open_report(counsellor, url, report_id)
    expect(counsellor.locator(".thread .kept-from-school")).to_have_count(1)
    expect(counsellor.locator(".case-panel .urgency-why mark")).to_have_text("しにたい")
    expect(panel.locator(".kept-from-school-notice")).to_contain_text("1 件")
    panel.locator("input[name=to_recipient][value=nurse]").check()
    panel.get_by_label("同意した").check()
    panel.get_by_label("本人の同意").check()
    panel.get_by_label("引き継ぐ理由", exact=False).fill("体調面の見守り")
    panel.get_by_role("button", name="学校と連携する").click()
    expect(panel.locator(".hand-over-record")).to_be_visible()
    counsellor.context.close()

    desk = new_page(chromium)
    log_in(desk, url, nurse)
    open_report(desk, url, report_id)
    expect(desk.locator(".thread")).to_contain_text("きいて")
    expect(desk.locator(".case-panel .urgency-why")).to_have_text("危険ワードで引き上げ")
    assert "ないしょ" not in desk.content() and "しにたい" not in desk.content()
    desk.context.close()


def test_staff_set_up_mail_and_a_report_arrives_as_a_mail_that_says_nothing_of_it(
    live_server, page, mailbox
):
    url, city = live_server.url, live_server.city
    school, token = city.school()
    nurse = city.staff("nurse", school)
    log_in(page, url, nurse)
    page.get_by_role("link", name="通知設定").click()
    page.get_by_label("メールアドレス").fill(f"{nurse.login}@city.example")
    page.get_by_role("radio", name="すぐに：", exact=False).check()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("保存しました")
    use_mail_server(city.db, mailbox.port)
    try:
        pupil = new_page(page.context.browser)
        tell_someone(pupil, url, token, "からだのこと・けが", "ころんで ひざが いたい")
        pupil.context.close()
        mail = next(m for m in mailbox.wait_for(1) if f"{nurse.login}@city.example" in m.to)
        assert mail.message["Subject"].startswith("新しい相談が届いています")
        assert f"{url}/staff" in mail.text
        for word in ("ころんで", "ひざ", "からだ", school.name):
            assert word not in mail.text
    finally:
        city.db.execute("DELETE FROM city_settings WHERE key LIKE 'smtp_%' OR key = 'mail_from'")
        set_mail_settings(city.db, nurse, "", "off")
