"""Walking a pupil through every step in a real browser, whatever language the page speaks:
the browser tests for accessibility and layout look at each step on the way."""

from collections.abc import Callable

from playwright.sync_api import Page, expect

STEPS = (
    "start",
    "topics",
    "recipient",
    "message",
    "confirm",
    "sent",
    "enter_code",
    "code_wrong",
    "thread",
)


def _press(page: Page, step: str) -> None:
    """Submit the form for `step` (each step's form carries its name in a hidden field)."""
    page.locator(f"form:has(input[name=step][value={step}]) button[type=submit]").first.click()


def choose_language(page: Page, language: str) -> None:
    page.locator(f"button[name=language][value='{language}']").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def walk_pupil_flow(
    page: Page, url: str, token: str, language: str, at: Callable[[str], None]
) -> None:
    """Open the school's page, switch to `language`, and go through every step, calling
    `at(step)` once each step is on screen."""
    page.goto(f"{url}/p/{token}")
    choose_language(page, language)
    at("start")
    _press(page, "topics")
    expect(page.locator(".tiles")).to_be_visible()
    at("topics")
    page.locator(".tile").first.click()
    expect(page.locator("input[name=recipient]").first).to_be_visible()
    at("recipient")
    _press(page, "recipient")
    expect(page.locator("textarea#body")).to_be_visible()
    at("message")
    page.locator("textarea#body").fill("Test message / テスト / mensagem / 消息 / tin nhắn")
    _press(page, "message")
    expect(page.locator(".summary")).to_be_visible()
    at("confirm")
    _press(page, "send")
    expect(page.locator(".return-code")).to_be_visible()
    code = " ".join(page.locator(".code-group").all_inner_texts())
    at("sent")
    _press(page, "start")
    _press(page, "code")
    expect(page.locator("input#code")).to_be_visible()
    at("enter_code")
    page.locator("input#code").fill("xyz 00 xyz 00 xyz 00")
    _press(page, "open")
    expect(page.locator(".error")).to_be_visible()
    at("code_wrong")
    page.locator("input#code").fill(code)
    _press(page, "open")
    expect(page.locator(".thread")).to_be_visible()
    at("thread")
