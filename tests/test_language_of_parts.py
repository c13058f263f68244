"""Language of parts (WCAG 3.1.2): a message in a thread carries the language it is written
in, so a Japanese reply inside a Filipino pupil's page is read with a Japanese voice, and the
staff page marks the pupil's words with the pupil's language."""

import pytest
from playwright.sync_api import expect

from school_report.reports import add_staff_reply, pupil_report, submit_report
from tests.pupil_steps import choose_language
from tests.support import log_in_page, topic_id, unique
from tests.test_accessibility import speaking_page

pytestmark = pytest.mark.browser

PUPIL_WORDS = "Natatakot ako sa bahay"
NURSE_WORDS = "おしえてくれて ありがとう。ほけんしつで まってるよ"


def filipino_pupil_with_a_reply(city):
    school, token = city.school()
    code = submit_report(
        city.db,
        school,
        topic_id(city.db, "home"),
        "nurse",
        PUPIL_WORDS,
        submission_key=unique("lang-"),
        language="fil",
    )
    report = pupil_report(city.db, city.db.execute("SELECT max(id) FROM reports").fetchone()[0])
    nurse = city.staff("nurse", school)
    add_staff_reply(city.db, nurse, report, NURSE_WORDS)
    return token, code, report, nurse


def test_a_japanese_reply_in_a_filipino_thread_is_marked_and_read_in_japanese(
    live_server, chromium
):
    url, city = live_server.url, live_server.city
    token, code, _, _ = filipino_pupil_with_a_reply(city)
    page = speaking_page(chromium, ["ja-JP", "fil-PH"])
    page.goto(f"{url}/p/{token}")
    choose_language(page, "fil")
    page.locator("form:has(input[name=step][value=code]) button").click()
    page.locator("input#code").fill(code.display("fil"))
    page.locator("form:has(input[name=step][value=open]) button").click()
    expect(page.locator("html")).to_have_attribute("lang", "fil")
    expect(page.get_by_text(PUPIL_WORDS)).to_have_attribute("lang", "fil")
    expect(page.get_by_text(NURSE_WORDS)).to_have_attribute("lang", "ja")
    page.locator("#read-aloud").click()
    voices = {u["text"]: u["lang"] for u in page.evaluate("window.__spoken")}
    assert voices[NURSE_WORDS] == "ja-JP" and voices[PUPIL_WORDS] == "fil-PH"
    page.context.close()


def test_the_staff_page_marks_the_pupils_words_with_the_pupils_language(live_server, page):
    url, city = live_server.url, live_server.city
    _, _, report, nurse = filipino_pupil_with_a_reply(city)
    log_in_page(page, url, nurse)
    page.goto(f"{url}/staff/reports/{report.id}")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator(".thread .message-text").first).to_have_attribute("lang", "fil")
    expect(page.locator(".thread .message-text").last).to_have_attribute("lang", "ja")


def test_the_admin_preview_names_languages_in_the_staff_language_unmarked(live_server, page):
    url, city = live_server.url, live_server.city
    log_in_page(page, url, city.staff("admin"))
    page.goto(f"{url}/staff/admin/topics/preview")
    english = page.get_by_role("link", name="英語")
    expect(english).not_to_have_attribute("lang", "en")  # 英語 is a Japanese word
    expect(english.locator("[lang=en]")).to_have_text("English")
