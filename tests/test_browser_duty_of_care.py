"""Duty of care in a real Chromium against the real server, with real mail: a pupil writes
"I want to die" to the school nurse while the nurse is not at work. The numbers that answer now
are on the screen, the nurse is mailed at once (even with mail switched off), the pupil can
tell the centre too in one tap, and the city's policy of sending such a report to the centre
without asking works both ways."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from school_report.clock import utc_now
from school_report.hours import city_zone
from school_report.notifications import set_mail_settings
from school_report.settings import get_setting, set_setting
from tests.conftest import new_page
from tests.mailbox import mailbox_fixture, use_mail_server  # noqa: F401
from tests.test_browser_loop import log_in, read_reply, tell_someone

pytestmark = pytest.mark.browser

DANGER = "もう しにたい。きょう くすりを たくさん のむ"


def nurse_away(city, school) -> None:
    """This school's staff work half an hour a day, twelve hours from now: it is night for
    them whenever the test runs (other schools keep the city's hours)."""
    local = utc_now().astimezone(city_zone(city.db)) + timedelta(hours=12)
    hours = get_setting(city.db, "school_hours")
    window = {
        "weekdays": [0, 1, 2, 3, 4, 5, 6],
        "open": f"{local.hour:02d}:00",
        "close": f"{local.hour:02d}:30",
    }
    hours["schools"] = {**hours.get("schools", {}), str(school.id): window}
    set_setting(city.db, "school_hours", hours)


@pytest.fixture
def mailed_nurse(live_server, mailbox):
    city = live_server.city
    school, token = city.school("junior_high")
    nurse = city.staff("nurse", school)
    # Mail switched off: an urgent report reaches the nurse all the same.
    set_mail_settings(city.db, nurse, f"{nurse.login}@city.example", "off")
    use_mail_server(city.db, mailbox.port)
    nurse_away(city, school)
    yield school, token, nurse
    city.db.execute("DELETE FROM city_settings WHERE key LIKE 'smtp_%' OR key = 'mail_from'")
    set_mail_settings(city.db, nurse, "", "off")


def newest_report(city, school) -> int:
    (report_id,) = city.db.execute(
        "SELECT max(id) FROM reports WHERE school_id = ?", [school.id]
    ).fetchone()
    return report_id


def test_a_night_danger_message_to_the_nurse_shows_help_mails_the_nurse_and_offers_the_centre(
    live_server, chromium, page, mailbox, mailed_nurse
):
    url, city = live_server.url, live_server.city
    school, token, nurse = mailed_nurse
    code = tell_someone(page, url, token, "こころ・きもち", DANGER, recipient="nurse")
    report_id = newest_report(city, school)
    assert city.db.execute("SELECT urgency FROM reports WHERE id = ?", [report_id]).fetchone() == (
        "urgent",
    )

    care = page.locator(".care")
    expect(care.locator(".reads-when")).to_contain_text("おやすみの じかんです")
    expect(care.locator(".help-line")).to_have_count(4)
    expect(care.locator("a[href='tel:0120078310']")).to_be_visible()
    expect(care.locator("a[href='tel:189']")).to_be_visible()
    expect(care.locator("a[href='tel:110']")).to_be_visible()

    mail = next(m for m in mailbox.wait_for(1) if f"{nurse.login}@city.example" in m.to)
    assert mail.message["Subject"].startswith("【緊急】")
    assert "しにたい" not in mail.text

    care.get_by_role("button", name="はい、センターにも しらせる").click()
    expect(page.get_by_role("status")).to_contain_text("ありがとう")
    expect(page.locator(".return-code")).to_be_visible()  # the secret words stay on screen
    row = city.db.execute(
        "SELECT direction, ground, pupil_consent FROM hand_overs WHERE report_id = ?",
        [report_id],
    ).fetchone()
    assert row == ("copy_to_centre", "consent", "agreed")

    read_reply(page, url, token, code)
    notice = page.locator(".hand-over-notice")
    expect(notice).to_contain_text("サポートセンターも、この ことを しりました")
    expect(notice).to_contain_text("「いいよ」")
    expect(page.locator("#step .help-line").first).to_be_visible()


def test_in_english_the_pupil_is_told_the_lines_answer_in_japanese(
    live_server, chromium, mailed_nurse
):
    url = live_server.url
    _, token, _ = mailed_nurse
    pupil = new_page(chromium, locale="en-US")
    pupil.goto(f"{url}/p/{token}")
    pupil.locator("details.pupil-switches > summary").click()
    pupil.locator("button[name=language][value='en']").click()
    # Always on the page, before anything is written: the numbers that answer now.
    pupil.get_by_text("I need help right now").click()
    expect(pupil.locator(".help-now-menu .help-line")).to_have_count(4)
    expect(pupil.locator(".help-now-menu")).to_contain_text("These numbers answer in Japanese.")
    pupil.context.close()


@pytest.mark.parametrize("policy", [True, False])
def test_the_citys_policy_decides_whether_a_night_danger_reaches_the_centre_unasked(
    live_server, chromium, page, mailed_nurse, policy
):
    url, city = live_server.url, live_server.city
    school, token, _ = mailed_nurse
    set_setting(city.db, "urgent_to_centre_out_of_hours", policy)
    try:
        code = tell_someone(page, url, token, "こころ・きもち", DANGER, recipient="nurse")
    finally:
        set_setting(city.db, "urgent_to_centre_out_of_hours", False)
    report_id = newest_report(city, school)
    grounds = city.db.execute(
        "SELECT ground FROM hand_overs WHERE report_id = ?", [report_id]
    ).fetchall()
    tap = page.get_by_role("button", name="はい、センターにも しらせる")
    if not policy:
        assert grounds == []
        expect(tap).to_be_visible()
        return
    assert grounds == [("life_or_body",)]
    expect(page.locator(".centre-told")).to_contain_text("あぶないかも しれないので")
    expect(tap).to_have_count(0)
    read_reply(page, url, token, code)
    expect(page.locator(".hand-over-notice")).to_contain_text("またずに しらせました")

    centre = city.staff("centre")
    desk = new_page(chromium)
    log_in(desk, url, centre)
    desk.goto(f"{url}/staff/reports/{report_id}")
    expect(desk.locator(".hand-over-record .ground")).to_contain_text("生命・身体の保護")
    expect(desk.locator(".hand-over-record")).to_contain_text("センターにも共有")
    desk.context.close()


def test_a_notification_to_the_child_guidance_centre_is_overdue_after_48_hours_until_answered(
    live_server, chromium, page
):
    url, city = live_server.url, live_server.city
    school, token = city.school()
    tell_someone(page, url, token, "いえのこと・かぞく", "おとうさんが こわい", recipient="centre")
    report_id = newest_report(city, school)
    centre = city.staff("centre")
    desk = new_page(chromium)
    log_in(desk, url, centre)
    desk.goto(f"{url}/staff/reports/{report_id}")
    notified = utc_now().astimezone(city_zone(city.db)) - timedelta(hours=49)
    section = desk.locator(".agency-notifications")
    section.get_by_text("虐待通告を記録する").click()
    section.get_by_label("通告先").select_option("child_guidance_centre")
    section.locator("#notified-at").fill(notified.strftime("%Y-%m-%dT%H:%M"))
    section.locator("#notify-summary").fill("身体的虐待の疑いで児相に通告した")
    section.get_by_role("button", name="通告を記録する").click()
    late = "安全確認の期限切れ（48時間）"
    expect(desk.locator(".agency-notification .safety-check-overdue")).to_have_text(late)
    expect(desk.locator(".agency-notification")).to_contain_text("児童虐待防止法 第6条")

    desk.goto(f"{url}/staff")
    row = desk.locator(f"tr:has(a[href='/staff/reports/{report_id}'])")
    expect(row.locator(".safety-check-overdue")).to_have_text(late)
    desk.goto(f"{url}/staff/weekly")
    row = desk.locator(f"tr:has(a[href='/staff/reports/{report_id}'])")
    expect(row.locator(".safety-check-overdue")).to_have_text(late)

    desk.goto(f"{url}/staff/reports/{report_id}")
    section = desk.locator(".agency-notifications")
    section.get_by_label("通告先の回答").fill("家庭訪問で安全を確認した")
    section.get_by_label("子どもの安全が確認された", exact=False).check()
    section.get_by_role("button", name="回答を記録する").click()
    expect(desk.locator(".agency-answer")).to_contain_text("家庭訪問で安全を確認した")
    expect(desk.locator(".safety-check-overdue")).to_have_count(0)
    desk.goto(f"{url}/staff")
    row = desk.locator(f"tr:has(a[href='/staff/reports/{report_id}'])")
    expect(row.locator(".safety-check-overdue")).to_have_count(0)
    desk.context.close()
