"""The pupil's pages beyond the main loop: reading support, language, idle end, Enter safety."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from school_report.clock import utc_now
from school_report.codes import parse_return_code
from school_report.reports import (
    add_pupil_message,
    add_staff_reply,
    find_report_by_code,
    pupil_report,
)
from tests.conftest import new_page
from tests.pupil_steps import SHOWN_AT, STEPS
from tests.support import (
    CODE_GUESSES,
    limit_code_guesses,
    return_code_in,
    send_report,
    topic_id,
)
from web import pupil, templating
from web.templating import TEMPLATES

HEADING_SENT_VI = "Đã gửi xong"


def test_elementary_pupils_get_furigana_and_older_pupils_plain_text(client, city):
    _, elementary = city.school("elementary")
    _, junior_high = city.school("junior_high")
    small = client.get(f"/p/{elementary}").text
    older = client.get(f"/p/{junior_high}").text
    assert "<ruby>相談<rt>そうだん</rt></ruby>" in small
    assert "相談" in older and "<ruby>" not in older


def test_the_pupil_can_switch_to_english_for_their_session_only(client, city):
    _, token = city.school()
    english = client.post(f"/p/{token}", data={"step": "language", "language": "en"})
    assert "Is something worrying you?" in english.text and 'lang="en"' in english.text
    assert "Tell someone" in client.post(f"/p/{token}", data={"step": "start"}).text
    client.cookies.clear()
    assert "こまっていること" in client.get(f"/p/{token}").text


def test_the_pupil_session_ends_after_three_idle_minutes(client, city, monkeypatch):
    import itsdangerous.timed

    _, token = city.school()
    code = return_code_in(send_report(client, token, city.db, body="ひみつ").text)
    assert "ひみつ" in client.post(f"/p/{token}", data={"step": "open", "code": code}).text
    now = itsdangerous.timed.time.time()
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: now + 181)
    response = client.post(f"/p/{token}", data={"step": "write", "body": "まだ いる？"})
    assert "ひみつ" not in response.text
    assert "もういちど あいことばを いれてね" in response.text
    assert city.db.execute("SELECT count(*) FROM messages").fetchone() == (1,)


def test_what_a_pupil_wrote_when_the_session_ended_is_sent_after_the_code(client, city):
    _, token = city.school()
    code = return_code_in(send_report(client, token, city.db, body="はじめ").text)
    client.cookies.clear()
    asked = client.post(f"/p/{token}", data={"step": "write", "body": "つづき"})
    assert 'name="pending" value="つづき"' in asked.text
    thread = client.post(f"/p/{token}", data={"step": "open", "code": code, "pending": "つづき"})
    assert "つづき" in thread.text
    assert city.db.execute("SELECT count(*) FROM messages").fetchone() == (2,)


def test_too_many_wrong_codes_at_a_school_are_refused_for_a_while(client, city):
    school, token = city.school()
    code = return_code_in(send_report(client, token, city.db).text)
    limit_code_guesses(city.db, school)
    for _ in range(CODE_GUESSES):
        find_report_by_code(city.db, school, "いぬ 00 いぬ 00 いぬ 00")
    refused = client.post(f"/p/{token}", data={"step": "open", "code": code})
    assert "しばらく つかえません" in refused.text


# The Enter a Japanese input method sends when it confirms a conversion: keyCode 229, with the
# carriage return a plain Enter brings (which is what submits a form from a text field).
IME_ENTER = {
    "key": "Enter",
    "code": "Enter",
    "windowsVirtualKeyCode": 229,
    "nativeVirtualKeyCode": 229,
    "text": "\r",
    "unmodifiedText": "\r",
}
COMPOSING_ENTER = """el => {
  const enter = new KeyboardEvent("keydown",
    {key: "Enter", isComposing: true, bubbles: true, cancelable: true});
  el.dispatchEvent(enter);
  return enter.defaultPrevented;
}"""


def press_ime_enter(page, selector: str) -> None:
    """A real (trusted) key press, as the input method sends it, in the field `selector`."""
    page.locator(selector).focus()
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", **IME_ENTER})
    cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", **IME_ENTER})
    cdp.detach()


def posts_while(page, action) -> list[str]:
    """The form posts the page makes while `action` runs (and half a second after)."""
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else 0)
    action()
    page.wait_for_timeout(500)
    return posts


def to_the_code_field(page, url: str, token: str) -> None:
    page.goto(f"{url}/p/{token}")
    page.locator("form:has([value=code]) button").click()
    page.locator("input#code").fill("いぬ")


@pytest.mark.browser
def test_the_enter_that_confirms_a_kana_conversion_never_sends_a_form(live_server, chromium):
    _, token = live_server.city.school()
    page = new_page(chromium)
    to_the_code_field(page, live_server.url, token)
    assert not posts_while(page, lambda: press_ime_enter(page, "input#code"))
    assert page.locator("input#code").evaluate(COMPOSING_ENTER)
    expect(page.locator("input#code")).to_have_value("いぬ")
    expect(page.locator(".error")).to_have_count(0)
    page.context.close()
    # Without pupil.js the very same key press sends the form: the guard is what stops it.
    bare = chromium.new_context(java_script_enabled=False, locale="ja-JP").new_page()
    to_the_code_field(bare, live_server.url, token)
    assert posts_while(bare, lambda: press_ime_enter(bare, "input#code"))
    bare.context.close()


@pytest.mark.browser
def test_enter_in_the_message_form_never_moves_on_only_the_button_does(live_server, page):
    city = live_server.city
    _, token = city.school()
    page.goto(f"{live_server.url}/p/{token}")
    page.get_by_role("button", name="はなしてみる").click()
    page.get_by_role("button", name="いじめ").click()
    page.get_by_role("button", name="つぎへ").click()
    box = page.get_by_label("メッセージ")
    box.type("いちぎょうめ")
    assert not posts_while(page, lambda: box.press("Enter"))
    assert not posts_while(page, lambda: press_ime_enter(page, "textarea#body"))
    assert not posts_while(page, lambda: press_ime_enter(page, "input[name=pupil_name]"))
    box.type("にぎょうめ")
    expect(box).to_have_value("いちぎょうめ\nにぎょうめ")
    expect(page.get_by_role("heading", name="どんなことが あったか かいてね")).to_be_visible()
    assert len(posts_while(page, lambda: page.get_by_role("button", name="つぎへ").click())) == 1
    expect(page.locator(".summary")).to_contain_text("にぎょうめ")


# Records what the tablet's voice is asked to say (the headless browser has no voice to hear).
RECORD_SPEECH = """
window.spoken = [];
if (window.speechSynthesis) {
  window.speechSynthesis.speak = (utterance) => window.spoken.push(utterance.text);
  window.speechSynthesis.getVoices = () => [];
}
"""


def to_the_message_box(page, url: str, token: str) -> None:
    page.goto(f"{url}/p/{token}")
    page.get_by_role("button", name="はなしてみる").click()
    page.get_by_role("button", name="いじめ").click()
    page.get_by_role("button", name="つぎへ").click()


def settle(page) -> None:
    """Let the page scroll the field it focused into view (pupil.js waits 300 ms for the
    on-screen keyboard, then scrolls smoothly), so the test's idle minutes start after it."""
    page.clock.fast_forward(1000)
    page.wait_for_timeout(800)


def still_using_it(page):
    return page.get_by_role("alertdialog", name="まだ つかう？")


@pytest.mark.browser
def test_a_pupil_who_stops_to_think_is_asked_first_and_keeps_their_words(live_server, page):
    url = live_server.url
    _, token = live_server.city.school()
    page.add_init_script(RECORD_SPEECH)
    page.clock.install()
    to_the_message_box(page, url, token)
    page.get_by_label("メッセージ").fill("あのね、きのう")
    settle(page)
    page.clock.fast_forward("02:24")
    expect(still_using_it(page)).to_have_count(0)
    page.clock.fast_forward("00:10")  # 2:35 without a sign: 25 seconds before the end
    expect(still_using_it(page)).to_be_visible()
    expect(page.get_by_role("button", name="つかう")).to_be_focused()
    assert "まだ つかう？" in page.evaluate("window.spoken")
    page.clock.fast_forward("00:20")  # the whole warning, and more than 20 s of it, is shown
    expect(still_using_it(page)).to_be_visible()
    page.get_by_role("button", name="つかう").click()
    expect(still_using_it(page)).to_have_count(0)
    expect(page.get_by_label("メッセージ")).to_have_value("あのね、きのう")
    expect(page.get_by_label("メッセージ")).to_be_focused()
    page.clock.fast_forward("02:50")  # the answer restarted the clock
    expect(page.get_by_label("メッセージ")).to_have_value("あのね、きのう")
    assert page.url.startswith(f"{url}/p/")


@pytest.mark.browser
def test_a_tablet_left_alone_closes_the_pupils_page_when_nobody_answers(live_server, page):
    url = live_server.url
    _, token = live_server.city.school()
    page.clock.install()
    page.goto(f"{url}/p/{token}")
    page.locator("form:has([value=code]) button").click()
    page.clock.fast_forward("02:50")
    expect(still_using_it(page)).to_be_visible()
    page.clock.fast_forward("00:15")
    page.wait_for_url(f"{url}/")
    expect(page.get_by_role("heading", name="きょう")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "pupil_session"]


@pytest.mark.browser
def test_moving_focus_or_scrolling_counts_as_using_the_page(live_server, chromium):
    """A screen-reader user swipes from word to word, and nothing else: that is use."""
    phone = new_page(chromium, 390, 500)
    _, token = live_server.city.school()
    phone.clock.install()
    to_the_message_box(phone, live_server.url, token)
    phone.get_by_label("メッセージ").fill("かんがえ中")
    settle(phone)
    box = phone.get_by_label("メッセージ")
    phone.clock.fast_forward("02:20")
    phone.get_by_role("button", name="つぎへ").focus()  # scrolls to the foot of the page
    phone.clock.fast_forward("02:20")
    expect(still_using_it(phone)).to_have_count(0)
    expect(box).to_have_value("かんがえ中")
    phone.mouse.move(200, 300)
    phone.mouse.wheel(0, -300)
    phone.wait_for_function("() => scrollY < document.body.scrollHeight - innerHeight - 100")
    phone.clock.fast_forward("02:20")
    expect(still_using_it(phone)).to_have_count(0)
    expect(box).to_have_value("かんがえ中")
    phone.clock.fast_forward("00:20")
    expect(still_using_it(phone)).to_be_visible()
    expect(box).to_have_value("かんがえ中")
    phone.context.close()


def test_a_pupil_still_here_keeps_their_thread_open_past_three_minutes(client, city, monkeypatch):
    """The cookie and the thread's handle end three minutes after the last request: pupil.js
    tells the server the pupil is still here (answering the question, typing, scrolling), so
    the page and the thread end together."""
    import itsdangerous.timed

    from school_report import pupil_sessions

    _, token = city.school()
    code = return_code_in(send_report(client, token, city.db, body="ひみつ").text)
    client.post(f"/p/{token}", data={"step": "open", "code": code})
    started, now = itsdangerous.timed.time.time(), utc_now()

    def minutes_later(minutes: float) -> None:
        monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: started + minutes * 60)
        later = now + timedelta(minutes=minutes)
        monkeypatch.setattr(pupil_sessions, "utc_now", lambda: later)

    thread_again = {"here": "thread", "language": "ja"}
    minutes_later(2.5)
    assert client.post(f"/p/{token}", data={"step": "still_here"}).status_code == 204
    minutes_later(5)
    assert "ひみつ" in client.post(f"/p/{token}", data=thread_again).text
    minutes_later(8.1)
    assert "ひみつ" not in client.post(f"/p/{token}", data=thread_again).text


@pytest.mark.browser
def test_the_message_box_stays_in_view_on_a_phone_sized_screen(live_server, chromium):
    phone = new_page(chromium, 390, 844)
    _, token = live_server.city.school()
    phone.goto(f"{live_server.url}/p/{token}")
    phone.get_by_role("button", name="はなしてみる").click()
    phone.get_by_role("button", name="いじめ").click()
    phone.get_by_role("button", name="つぎへ").click()
    phone.get_by_label("メッセージ").focus()
    expect(phone.get_by_label("メッセージ")).to_be_in_viewport()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.context.close()


# -- what the pupil is told, in their words ----------------------------------------------

# Sunday 6 December 2026, 03:00 in Kumamoto: the centre next opens on Monday at 10:00.
SUNDAY_NIGHT = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)


def confirm_page(client, token, db, recipient: str, topic: str = "home") -> str:
    form = {
        "step": "message",
        "topic": str(topic_id(db, topic)),
        "recipient": recipient,
        "body": "いえで たたかれる",
        "submission_key": f"confirm-{recipient}",
    }
    return client.post(f"/p/{token}", data=form).text


def promise(page: str) -> str:
    return page.split('<div class="promise">')[1].split("</div>")[0]


@pytest.mark.parametrize(
    ("recipient", "reader", "who_tells", "not_named"),
    [
        ("nurse", "Only the school nurse will read it.", "the nurse will tell", ("teachers",)),
        (
            "school_team",
            "Only the teachers of the help team will read it.",
            "the teachers will tell",
            ("nurse",),
        ),
        (
            "centre",
            "Only the people at the centre will read it.",
            "the centre will ask the child guidance centre or the police",
            ("nurse", "teachers", "bullying", "centre may"),
        ),
    ],
)
def test_before_sending_the_pupil_reads_who_reads_it_and_when_they_must_tell(
    client, city, recipient, reader, who_tells, not_named
):
    _, token = city.school()
    client.post(f"/p/{token}", data={"step": "language", "language": "en"})
    text = promise(confirm_page(client, token, city.db, recipient))
    assert reader in text and who_tells in text
    assert "your life or your body is in danger" in text
    assert not [name for name in not_named if name in text]
    if recipient != "centre":  # school staff must tell the child guidance centre of abuse
        assert "the law says the school must tell the child guidance centre" in text
        # いじめ防止対策推進法 第23条: told before sending, not found out afterwards
        assert "school staff must tell the school&#39;s team that stops bullying" in text
    else:  # the centre must notify suspected abuse: "must", never "may"
        assert "the law says the centre must tell the child guidance centre" in text
        assert "without asking you, unless you are in danger" in text


def test_the_promise_names_the_nurse_in_japanese_too(client, city):
    _, token = city.school()
    text = promise(confirm_page(client, token, city.db, "nurse"))
    assert "ほけんしつ" in text and "センター" not in text and "じどうそうだんじょ" in text


def test_a_returning_pupil_writing_to_the_closed_centre_is_told_when_and_whom_to_call(
    client, city, monkeypatch
):
    _, token = city.school()
    code = return_code_in(
        send_report(client, token, city.db, recipient="centre", topic="home").text
    )
    monkeypatch.setattr(pupil, "utc_now", lambda: SUNDAY_NIGHT)
    thread = client.post(f"/p/{token}", data={"step": "open", "code": code}).text
    notice = thread.split('class="notice out-of-hours"')[1].split("</div>")[0]
    assert "<ruby>12月<rt>じゅうにがつ</rt></ruby><ruby>7日<rt>なのか</rt></ruby>" in notice
    assert "<ruby>10時<rt>じゅうじ</rt></ruby>ごろ" in notice and "2026-12" not in notice
    assert all(number in notice for number in ("189", "110", "0120-0-78310"))


def test_the_closed_centre_notice_is_in_words_on_a_new_report_too(client, city, monkeypatch):
    _, token = city.school("junior_high")
    monkeypatch.setattr(pupil, "utc_now", lambda: SUNDAY_NIGHT)
    form = {"step": "recipient", "topic": str(topic_id(city.db, "home")), "recipient": "centre"}
    page = client.post(f"/p/{token}", data=form).text
    assert "12月7日（月）の 10時ごろ から よみます" in page
    client.post(f"/p/{token}", data={"step": "language", "language": "pt-BR"})
    page = client.post(f"/p/{token}", data=form).text
    assert "a partir de segunda-feira, 7 de dezembro, por volta das 10:00" in page


def test_a_thread_with_the_nurse_says_nothing_about_the_centres_hours(client, city, monkeypatch):
    _, token = city.school()
    code = return_code_in(send_report(client, token, city.db, recipient="nurse", topic="body").text)
    monkeypatch.setattr(pupil, "utc_now", lambda: SUNDAY_NIGHT)
    assert (
        "out-of-hours" not in client.post(f"/p/{token}", data={"step": "open", "code": code}).text
    )


def test_the_times_in_the_thread_are_the_citys_not_utc(client, city, monkeypatch):
    monkeypatch.setattr(templating, "utc_now", lambda: datetime(2026, 12, 7, 3, 0, tzinfo=UTC))
    school, token = city.school()
    code = return_code_in(send_report(client, token, city.db, recipient="nurse", topic="body").text)
    report = pupil_report(city.db, city.db.execute("SELECT max(id) FROM reports").fetchone()[0])
    add_staff_reply(city.db, city.staff("nurse", school), report, "ほけんしつに きてね")
    city.db.execute("UPDATE messages SET created_at = '2026-12-05T18:30:00+00:00'")
    thread = client.post(f"/p/{token}", data={"step": "open", "code": code}).text
    city_time = "<ruby>3時<rt>さんじ</rt></ruby><ruby>30分<rt>さんじゅっぷん</rt></ruby>"
    assert thread.count(city_time) == 2 and "18:30" not in thread.replace(
        'datetime="2026-12-05T18:30:00+00:00"', ""
    )


def test_the_code_field_is_never_completed_corrected_or_capitalised(client, city):
    _, token = city.school()
    page = client.post(f"/p/{token}", data={"step": "code"}).text
    field = re.search(r"<input id=\"code\"[^>]*>", page).group(0)
    for attribute in ('autocomplete="off"', 'autocapitalize="off"', 'autocorrect="off"'):
        assert attribute in field
    assert 'spellcheck="false"' in field and 'type="text"' in field


# -- switching language or reading level keeps the pupil where they were ---------------------


def test_switching_language_while_writing_keeps_the_step_and_the_words(client, city):
    _, token = city.school()
    form = {
        "step": "message",
        "here": "message",
        "topic": str(topic_id(city.db, "bullying")),
        "recipient": "school_team",
        "body": "ずっと むしされて います",
        "grade": "3",
        "submission_key": "switch-1",
        "language": "en",
    }
    page = client.post(f"/p/{token}", data=form).text
    assert "Write what happened" in page and "ずっと むしされて います</textarea>" in page
    assert 'name="grade" value="3"' in page and 'value="switch-1"' in page


def test_switching_language_after_sending_shows_the_same_secret_words_in_the_new_words(
    client, city
):
    _, token = city.school()
    sent = send_report(client, token, city.db)
    code = return_code_in(sent.text)
    here = re.search(r'<form[^>]*id="here".*?</form>', sent.text, re.S).group(0)
    form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', here))
    again = client.post(f"/p/{token}", data={**form, "language": "vi"}).text
    assert parse_return_code(return_code_in(again)) == parse_return_code(code)
    assert return_code_in(again) != code and HEADING_SENT_VI in again


def test_switching_reading_level_in_the_thread_keeps_the_words_being_written(client, city):
    _, token = city.school()
    code = return_code_in(send_report(client, token, city.db).text)
    client.post(f"/p/{token}", data={"step": "open", "code": code})
    form = {"step": "write", "here": "thread", "body": "あのね、", "reading": "kana"}
    page = client.post(f"/p/{token}", data=form).text
    assert 'class="pupil reading-kana"' in page and "あのね、</textarea>" in page
    assert city.db.execute("SELECT count(*) FROM messages").fetchone() == (1,)


def test_every_pupil_template_is_shown_on_a_step_the_browser_tests_walk():
    """The accessibility, touch-target and screenshot tests look at each step of the walk
    (tests/pupil_steps.py): a new template must be shown somewhere on it."""
    templates = {path.name for path in (TEMPLATES / "pupil").glob("*.html")}
    unwalked = templates - set(SHOWN_AT)
    assert not unwalked, f"show these on a step of the walk in tests/pupil_steps.py: {unwalked}"
    assert {step for step, _ in SHOWN_AT.values()} <= set(STEPS)


# -- small truths -------------------------------------------------------------------------


def test_the_confirm_page_shows_the_grade_and_class_typed_and_promises_no_anonymity_then(
    client, city
):
    _, token = city.school()
    client.post(f"/p/{token}", data={"step": "language", "language": "en"})
    form = {
        "step": "message",
        "topic": str(topic_id(city.db, "friends")),
        "recipient": "school_team",
        "body": "ともだちが いない",
        "grade": "5",
        "class_name": "2",
        "submission_key": "confirm-grade",
    }
    page = client.post(f"/p/{token}", data=form).text
    assert '<dd class="grade-class">5 / 2</dd>' in page
    assert "nobody will know it was you" not in page
    assert "Your grade and class can help them guess who you are." in page
    anonymous = client.post(f"/p/{token}", data={**form, "grade": "", "class_name": ""}).text
    assert "grade-class" not in anonymous and "nobody will know it was you" in anonymous


def test_a_mistyped_return_code_stays_in_the_field_to_be_corrected(client, city):
    _, token = city.school()
    typed = "ねこ 27 りんご 58 ふね 04"
    # Swapped in by htmx; without JavaScript the page is rebuilt from the session after a
    # redirect, which keeps no code at all (issue 15), so the field starts empty there.
    headers = {"HX-Request": "true"}
    page = client.post(f"/p/{token}", data={"step": "open", "code": typed}, headers=headers).text
    field = re.search(r"<input id=\"code\"[^>]*>", page).group(0)
    assert f'value="{typed}"' in field


def test_the_closed_centre_notice_does_not_sit_under_a_reply_the_centre_just_wrote(
    client, city, monkeypatch
):
    _, token = city.school()
    code = return_code_in(
        send_report(client, token, city.db, recipient="centre", topic="home").text
    )
    report = pupil_report(city.db, city.db.execute("SELECT max(id) FROM reports").fetchone()[0])
    add_staff_reply(city.db, city.staff("centre"), report, "よる おそく ごめんね。センターです")
    # Written on Saturday night at 21:00 in Kumamoto, read on Sunday night: still closed.
    city.db.execute(
        "UPDATE messages SET created_at = '2026-12-05T12:00:00+00:00' WHERE author = 'staff'"
    )
    monkeypatch.setattr(pupil, "utc_now", lambda: SUNDAY_NIGHT)
    thread = client.post(f"/p/{token}", data={"step": "open", "code": code}).text
    assert "センターです" in thread and "out-of-hours" not in thread
    # Once the pupil writes again, when the centre reads it is news again.
    add_pupil_message(city.db, report, "ありがとう")
    thread = client.post(f"/p/{token}", data={"step": "open", "code": code}).text
    assert "out-of-hours" in thread
