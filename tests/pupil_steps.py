"""Walking a pupil through every step in a real browser, whatever language the page speaks:
the browser tests for accessibility and layout look at each step on the way.

The walk shows every state a pupil can meet, not only the happy path: a thread with a staff
reply, a hand-over notice, the keep-from-school box and the closed-centre notice, a session
that ended, a school link refusing codes for a while, and the error page. SHOWN_AT says where
each pupil template is on screen; tests/test_pupil_pages.py fails for a template it does not
name, so a new step is looked at without anyone remembering."""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from playwright.sync_api import Page, expect

from school_report.clock import utc_now
from school_report.hand_overs import hand_over
from school_report.hours import city_zone
from school_report.reports import (
    add_staff_reply,
    find_report_by_code,
    pupil_report,
)
from school_report.settings import get_setting, set_setting
from tests.support import CODE_GUESSES, limit_code_guesses

STEPS = (
    "start",
    "languages",
    "topics",
    "recipient",
    "message",
    "confirm",
    "sent",
    "enter_code",
    "code_wrong",
    "thread",
    "thread_answered",
    "session_ended",
    "code_refused",
    "error",
)
# Each pupil template (web/templates/pupil/), the step of the walk that shows it, and what of
# it must be on screen there.
SHOWN_AT = {
    "page.html": ("start", "header.pupil-bar"),
    "_form.html": ("start", "form#here"),
    "_start.html": ("start", ".big-choices"),
    "_topics.html": ("topics", ".tiles"),
    "_recipient.html": ("recipient", "input[name=recipient]"),
    "_recipient_text.html": ("recipient", ".choice-about"),
    "_message.html": ("message", "textarea#body"),
    "_confirm.html": ("confirm", ".promise"),
    "_sent.html": ("sent", ".return-code"),
    "_care.html": ("sent", ".reads-when"),
    "_enter_code.html": ("enter_code", "input#code"),
    "_thread.html": ("thread", ".thread"),
    "_hand_over_notice.html": ("thread_answered", ".hand-over-notice"),
    "_keep_from_school.html": ("thread_answered", ".keep-from-school"),
    "_out_of_hours.html": ("thread_answered", ".out-of-hours"),
    "_help_now.html": ("thread_answered", "#step .help-now"),
}
# Japanese is walked at the school's reading level (furigana) and, as variants, at these.
OTHER_READINGS = ("kana", "plain")
WRONG_CODE = "いぬ 00 いぬ 00 いぬ 00"


def _press(page: Page, step: str) -> None:
    """Submit the form for `step` (each step's form carries its name in a hidden field)."""
    page.locator(f"form:has(input[name=step][value={step}]) button[type=submit]").first.click()


def open_switches(page: Page) -> None:
    if page.locator("details.pupil-switches").get_attribute("open") is None:
        page.locator("details.pupil-switches > summary").click()


def choose_language(page: Page, language: str) -> None:
    open_switches(page)
    page.locator(f"button[name=language][value='{language}']").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def choose_reading(page: Page, reading: str) -> None:
    open_switches(page)
    page.locator(f"button[name=reading][value='{reading}']").click()
    expect(page.locator("body")).to_have_class(re.compile(rf"\breading-{reading}\b"))


def _shown(page: Page, step: str) -> None:
    """What the step's templates put on screen is there, and (on a pupil step) the one form
    the language switch sends."""
    for _, (where, selector) in SHOWN_AT.items():
        if where == step:
            expect(page.locator(selector).first).to_be_visible()
    if step != "error":
        expect(page.locator("form#here")).to_have_count(1)


@contextmanager
def centre_closed(city) -> Iterator[None]:
    """The centre closed today and tomorrow (in the city's zone), whatever the time."""
    saved = get_setting(city.db, "centre_holidays")
    today = utc_now().astimezone(city_zone(city.db)).date()
    closed = [str(today), str(today + timedelta(days=1))]
    set_setting(city.db, "centre_holidays", {**saved, "closed": closed})
    try:
        yield
    finally:
        set_setting(city.db, "centre_holidays", saved)


def _answer_and_hand_over(city, school) -> None:
    """The school team replies, then hands the report to the centre with the pupil's consent."""
    (report_id,) = city.db.execute(
        "SELECT max(id) FROM reports WHERE school_id = ?", [school.id]
    ).fetchone()
    report = pupil_report(city.db, report_id)
    team = city.staff("school_team", school)
    add_staff_reply(city.db, team, report, "おしえてくれて ありがとう / Thank you for telling us")
    hand_over(
        city.db, team, report, "centre", pupil_consent="agreed", ground="consent", reason="福祉"
    )


def _open_thread(page: Page, url: str, token: str, code: str) -> None:
    page.goto(f"{url}/p/{token}")
    _press(page, "code")
    page.locator("input#code").fill(code)
    _press(page, "open")


def walk_pupil_flow(
    page: Page,
    live_server,
    language: str,
    at: Callable[[str], None],
    reading: str | None = None,
) -> None:
    """At a new school, switch to `language` (and `reading`), and go through every step,
    calling `at(step)` once each step is on screen."""
    url, city = live_server.url, live_server.city
    school, token = city.school()

    def look(step: str) -> None:
        _shown(page, step)
        at(step)

    page.goto(f"{url}/p/{token}")
    choose_language(page, language)
    if reading:
        choose_reading(page, reading)
    look("start")
    page.locator("details.pupil-switches > summary").click()
    look("languages")
    page.locator("details.pupil-switches > summary").click()
    _press(page, "topics")
    look("topics")
    page.locator(".tile").first.click()
    look("recipient")
    _press(page, "recipient")
    look("message")
    page.locator("textarea#body").fill("Test message / テスト / mensagem / 消息 / tin nhắn")
    _press(page, "message")
    look("confirm")
    _press(page, "send")
    expect(page.locator(".return-code")).to_be_visible()
    code = " ".join(page.locator(".code-group").all_inner_texts())
    look("sent")
    _press(page, "start")
    _press(page, "code")
    look("enter_code")
    page.locator("input#code").fill(WRONG_CODE)
    _press(page, "open")
    expect(page.locator(".error")).to_be_visible()
    look("code_wrong")
    page.locator("input#code").fill(code)
    _press(page, "open")
    look("thread")
    _answer_and_hand_over(city, school)
    with centre_closed(city):
        _open_thread(page, url, token, code)
        look("thread_answered")
    page.locator("textarea#body").fill("まだ いる？")
    page.context.clear_cookies()  # as after three idle minutes
    _press(page, "write")
    expect(page.locator(".error")).to_be_visible()
    look("session_ended")  # in Japanese: the language ended with the session
    choose_language(page, language)
    expect(page.locator("input[name=pending]")).to_have_value("まだ いる？")
    limit_code_guesses(city.db, school)
    for _ in range(CODE_GUESSES):
        find_report_by_code(city.db, school, WRONG_CODE)
    page.locator("input#code").fill(code)
    _press(page, "open")
    expect(page.locator(".error")).to_be_visible()
    look("code_refused")
    page.goto(f"{url}/p/no-such-link")
    look("error")
