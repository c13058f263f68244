"""Small things a child or a parent notices on the pupil's pages, in a real Chromium: the
language button on a phone, its name, motion for those who asked for less, "Close now" in
forced-colours mode, and the tile pictures on a tablet without an emoji font."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import new_page

pytestmark = pytest.mark.browser

RECORD_SCROLLS = """
window.scrolls = [];
const scrollIntoView = Element.prototype.scrollIntoView;
Element.prototype.scrollIntoView = function (options) {
  window.scrolls.push(options && options.behavior);
  return scrollIntoView.call(this, options);
};
"""


def to_the_message_box(page, url: str, token: str) -> None:
    page.goto(f"{url}/p/{token}")
    page.get_by_role("button", name="はなしてみる").click()
    page.get_by_role("button", name="いじめ").click()
    page.get_by_role("button", name="つぎへ").click()


def test_on_a_phone_the_language_button_says_language_too_and_its_name_has_no_arrow(
    live_server, chromium
):
    phone = new_page(chromium, 390, 844)
    _, token = live_server.city.school()
    phone.goto(f"{live_server.url}/p/{token}")
    button = phone.locator("details.pupil-switches > summary")
    expect(button.locator("[lang=en]")).to_be_visible()
    expect(button).to_have_accessible_name(re.compile(r"^ことば /? ?Language$"))
    phone.context.close()


@pytest.mark.parametrize(("motion", "behaviour"), [("reduce", "auto"), ("no-preference", "smooth")])
def test_the_page_scrolls_smoothly_only_for_those_who_did_not_ask_for_less_motion(
    live_server, chromium, motion, behaviour
):
    phone = new_page(chromium, 390, 600)
    phone.emulate_media(reduced_motion=motion)
    phone.add_init_script(RECORD_SCROLLS)
    _, token = live_server.city.school()
    to_the_message_box(phone, live_server.url, token)
    phone.get_by_label("メッセージ").focus()
    phone.wait_for_function("() => window.scrolls.length > 0")
    assert set(phone.evaluate("window.scrolls")) == {behaviour}
    phone.context.close()


def test_close_now_keeps_its_edge_in_forced_colours_mode(live_server, page):
    _, token = live_server.city.school()
    page.emulate_media(forced_colors="active")
    page.goto(f"{live_server.url}/p/{token}")
    edge = page.get_by_role("link", name="すぐ とじる").evaluate(
        "el => { const s = getComputedStyle(el);"
        " return [s.borderTopStyle, parseFloat(s.borderTopWidth), s.borderTopColor]; }"
    )
    style, width, colour = edge
    assert style == "solid" and width >= 2 and colour not in ("rgba(0, 0, 0, 0)", "transparent")


# Characters that only an emoji font draws (a device without one shows an empty box), and the
# pictures that did not load.
NEEDS_AN_EMOJI_FONT = """() => [...document.querySelectorAll("body *")]
  .filter(el => el.checkVisibility())
  .flatMap(el => [...el.childNodes].filter(n => n.nodeType === Node.TEXT_NODE)
    .filter(n => /\\p{Extended_Pictographic}/u.test(n.nodeValue))
    .map(n => `${el.tagName}.${el.className}: ${n.nodeValue.trim()}`))"""
UNDRAWN = """() => [...document.querySelectorAll("img")]
  .filter(img => !img.complete || img.naturalWidth === 0).map(img => img.src)"""


def test_the_topic_tiles_and_the_header_need_no_emoji_font(live_server, page):
    _, token = live_server.city.school()
    page.goto(f"{live_server.url}/p/{token}")
    page.get_by_role("button", name="はなしてみる").click()
    expect(page.locator(".tile")).to_have_count(13)
    page.wait_for_load_state("load")
    assert page.evaluate(NEEDS_AN_EMOJI_FONT) == []
    assert page.evaluate(UNDRAWN) == []
    assert page.locator(".tile .icon img").count() == 13
    expect(page.get_by_role("button", name="いじめ")).to_be_visible()  # the name is the words
