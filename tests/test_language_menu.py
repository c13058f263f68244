"""The pupil's language menu in a real Chromium: it lies over the top of the step, so it must
never hide the control that has focus (WCAG 2.4.11) on a tablet (1024×768) or a phone (390 px
wide). It closes on Escape, when focus leaves it, on a touch outside it and after a choice."""

import pytest
from playwright.sync_api import expect

from tests.conftest import new_page
from tests.pupil_steps import open_switches

pytestmark = pytest.mark.browser

SIZES = {"tablet": (1024, 768), "phone": (390, 844)}

# What covers the focused control, if anything: out of the window, or another element on top
# at its middle.
COVERED = """() => {
  const el = document.activeElement;
  const box = el.getBoundingClientRect();
  const name = el.outerHTML.slice(0, 70);
  if (box.bottom <= 0 || box.top >= innerHeight) return `out of view: ${name}`;
  const x = box.left + box.width / 2;
  const y = Math.max(box.top, 0) + Math.min(box.height, innerHeight) / 2;
  const top = document.elementFromPoint(x, y);
  if (top && (el === top || el.contains(top))) return null;
  return `${name} under ${top && top.outerHTML.slice(0, 70)}`;
}"""


def to_the_topics(page, url: str, token: str) -> None:
    page.goto(f"{url}/p/{token}")
    page.get_by_role("button", name="はなしてみる").click()
    expect(page.locator(".tiles")).to_be_visible()


@pytest.mark.parametrize("size", SIZES)
def test_tabbing_past_the_open_language_menu_never_hides_the_focused_control(
    live_server, chromium, size
):
    page = new_page(chromium, *SIZES[size])
    _, token = live_server.city.school()
    to_the_topics(page, live_server.url, token)
    open_switches(page)
    page.locator("details.pupil-switches > summary").focus()
    hidden = []
    for _ in range(14):  # through the menu, the header's buttons and on to the tiles
        page.keyboard.press("Tab")
        hidden += [covered for covered in [page.evaluate(COVERED)] if covered]
    assert page.evaluate("document.activeElement.matches('.tile')")
    assert not hidden, "\n".join(hidden)
    expect(page.locator("details.pupil-switches")).not_to_have_attribute("open", "")
    page.context.close()


@pytest.mark.parametrize("size", SIZES)
def test_escape_closes_the_language_menu_and_focus_goes_back_to_its_button(
    live_server, chromium, size
):
    page = new_page(chromium, *SIZES[size])
    _, token = live_server.city.school()
    to_the_topics(page, live_server.url, token)
    open_switches(page)
    page.locator("button[name=language][value=vi]").focus()
    page.keyboard.press("Escape")
    expect(page.locator("details.pupil-switches")).not_to_have_attribute("open", "")
    expect(page.locator("details.pupil-switches > summary")).to_be_focused()
    expect(page.locator(".tiles")).to_be_visible()  # Escape is not quick exit (Shift+Escape is)
    page.context.close()


def test_a_touch_outside_or_a_choice_closes_the_language_menu(live_server, page):
    _, token = live_server.city.school()
    to_the_topics(page, live_server.url, token)
    menu = page.locator("details.pupil-switches")
    open_switches(page)
    page.mouse.click(500, 740)  # below the menu, on the page
    expect(menu).not_to_have_attribute("open", "")
    open_switches(page)
    page.locator("button[name=language][value=pt-BR]").click()
    expect(page.locator("html")).to_have_attribute("lang", "pt-BR")
    expect(menu).not_to_have_attribute("open", "")
    expect(page.locator(".tiles")).to_be_visible()
