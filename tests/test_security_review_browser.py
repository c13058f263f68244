"""Finding 1 of the outside security review (issue 15), in Chromium: after quick exit, a
classmate's Back, reload or resubmission brings back no step, no words and no return code,
whichever step the pupil left from, with JavaScript and without."""

import pytest
from playwright.sync_api import Page, expect

from tests.pupil_steps import _press, choose_language

pytestmark = pytest.mark.browser

MESSAGE = "ひみつの なやみ 4821"
# The steps a pupil can leave from, in the order of the flow.
STEPS = ("start", "topics", "recipient", "message", "confirm", "sent", "enter_code", "thread")


def _walk_to(page: Page, url: str, token: str, last: str) -> list[str]:
    """Go through the flow to `last`, switching language on the way (the review's probe: a
    whole-page post); return the return code's groups as shown, in each language."""
    shown_codes: list[str] = []
    page.goto(f"{url}/p/{token}")
    steps = iter(STEPS)
    if next(steps) == last:
        return shown_codes
    _press(page, "topics")
    if next(steps) == last:
        return shown_codes
    page.locator(".tile").first.click()
    if next(steps) == last:
        return shown_codes
    _press(page, "recipient")
    page.locator("textarea#body").fill(MESSAGE)
    if next(steps) == last:
        return shown_codes
    _press(page, "message")
    if next(steps) == last:
        return shown_codes
    _press(page, "send")
    expect(page.locator(".return-code")).to_be_visible()
    shown_codes += page.locator(".code-group").all_inner_texts()
    choose_language(page, "en")
    expect(page.locator(".return-code")).to_be_visible()
    shown_codes += page.locator(".code-group").all_inner_texts()
    choose_language(page, "ja")
    if next(steps) == last:
        return shown_codes
    code = " ".join(page.locator(".code-group").all_inner_texts())
    _press(page, "start")
    _press(page, "code")
    page.locator("input#code").fill(code)
    choose_language(page, "en")  # the review's second probe: a code typed, then a switch
    choose_language(page, "ja")
    if next(steps) == last:
        return shown_codes
    page.locator("input#code").fill(code)
    _press(page, "open")
    expect(page.locator(".thread")).to_be_visible()
    choose_language(page, "en")
    return shown_codes


def _shows_nothing(page: Page, code_groups: list[str]) -> None:
    text = " ".join(page.locator("body").inner_text().split())
    for group in code_groups:
        assert " ".join(group.split()) not in text, (page.url, group)
    assert MESSAGE not in text, page.url
    expect(page.locator(".return-code, .thread, textarea#body")).to_have_count(0)


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
@pytest.mark.parametrize("last", STEPS)
def test_after_quick_exit_back_reload_and_resubmission_bring_nothing_back(
    live_server, chromium, last, javascript
):
    context = chromium.new_context(locale="ja-JP", java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    page = context.new_page()
    posts = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request))
    try:
        _, token = live_server.city.school()
        shown_codes = _walk_to(page, live_server.url, token, last)
        # No code in any form body that history keeps: a whole-page post is redirected.
        for post in posts:
            if post.is_navigation_request():
                assert post.redirected_to is not None, post.post_data
            else:
                assert post.header_value("hx-request") == "true"
        page.locator("#quick-exit").click()
        page.wait_for_url(f"{live_server.url}/")
        for _ in range(30):  # every entry of the tab's history, newest first
            _shows_nothing(page, shown_codes)
            page.reload()  # on a posted page's entry, this is what resubmits it
            _shows_nothing(page, shown_codes)
            if page.go_back() is None:
                break
    finally:
        context.close()
