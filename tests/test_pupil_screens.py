"""Every pupil step in every language, and in Japanese at each reading level, on a tablet and
on a phone, with text at its normal size and at 200 %: a screenshot of each (tests/screenshots/,
not committed, for people to look at); no element wider than the screen, no text cut off inside
its own box, no furigana over the line above, and a phone's header that leaves the screen to
the step."""

from pathlib import Path

import pytest

from school_report.reports import LANGUAGES
from tests.conftest import new_page
from tests.pupil_steps import OTHER_READINGS, STEPS, walk_pupil_flow

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).parent / "screenshots"
SIZES = {"tablet": (1024, 768), "phone": (390, 844)}
WALKS = [(language, None) for language in LANGUAGES] + [("ja", r) for r in OTHER_READINGS]
# Language, reading-level and exit buttons on one phone screen: about two rows at most.
PHONE_HEADER_PX = 100

# What is on screen: not hidden (nor inside a closed <details>), not a 1-px text for screen
# readers only.
SHOWN = """el => el.checkVisibility() && el.getBoundingClientRect().width > 1
  && !el.closest(".skip-link, .visually-hidden, .honeypot")"""
OVERFLOWING = f"""() => [...document.querySelectorAll("body *")]
  .filter({SHOWN})
  .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .map(el => el.outerHTML.slice(0, 80))"""
# Text wider than its own box (a word too long for a button, a label cut off), whether the
# box hides it or lets it spill over what is next to it. Fields scroll their text by design.
CLIPPED = f"""() => [...document.querySelectorAll("body *")]
  .filter({SHOWN})
  .filter(el => !el.matches("input, textarea, select"))
  .filter(el => getComputedStyle(el).display !== "inline" && el.clientWidth > 0)
  .filter(el => el.scrollWidth > el.clientWidth + 1)
  .map(el => `${{el.outerHTML.slice(0, 80)}} ${{el.scrollWidth}}>${{el.clientWidth}}`)"""
# Furigana drawn over the glyphs of the line above them in the same block.
RUBY_OVER_THE_LINE_ABOVE = """() => {
  const found = [];
  for (const rt of document.querySelectorAll("rt")) {
    const box = rt.getBoundingClientRect();
    if (!box.width) continue;
    const block = rt.closest("h1, h2, p, li, dt, dd, label, legend, summary, button");
    if (!block) continue;
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const text = walker.currentNode;
      if (text.parentElement.closest("rt") || !text.nodeValue.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(text);
      for (const glyphs of range.getClientRects()) {
        const lineAbove = glyphs.top < box.top - 1;
        const overlaps = glyphs.bottom > box.top + 0.5
          && glyphs.left < box.right && glyphs.right > box.left;
        if (lineAbove && overlaps) found.push(`${rt.textContent}: ${block.outerHTML.slice(0, 60)}`);
      }
    }
  }
  return found;
}"""


def _name(language: str, reading: str | None, size: str, step: str) -> str:
    return "-".join(part for part in (language, reading, size, step) if part)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("language", "reading"), WALKS)
def test_every_pupil_step_fits_the_screen_even_with_text_at_200_percent(
    live_server, chromium, language, reading, size
):
    width, height = SIZES[size]
    page = new_page(chromium, width, height)
    SCREENSHOTS.mkdir(exist_ok=True)
    problems: list[str] = []

    def look(step: str) -> None:
        page.screenshot(path=SCREENSHOTS / f"{_name(language, reading, size, step)}.png")
        problems.extend(f"{step}: wider than the screen: {el}" for el in page.evaluate(OVERFLOWING))
        problems.extend(f"{step}: cut off: {el}" for el in page.evaluate(CLIPPED))
        problems.extend(f"{step}: ruby over: {r}" for r in page.evaluate(RUBY_OVER_THE_LINE_ABOVE))
        header = page.locator("header.pupil-bar")
        if size == "phone" and header.count():
            tall = header.bounding_box()["height"]
            if tall > PHONE_HEADER_PX:
                problems.append(f"{step}: the header takes {tall:.0f} px of {height}")
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        page.screenshot(path=SCREENSHOTS / f"{_name(language, reading, size, step)}-200.png")
        problems.extend(f"{step} at 200 %: wider: {el}" for el in page.evaluate(OVERFLOWING))
        problems.extend(f"{step} at 200 %: cut off: {el}" for el in page.evaluate(CLIPPED))
        page.evaluate("document.documentElement.style.fontSize = ''")

    walk_pupil_flow(page, live_server, language, look, reading)
    page.context.close()
    assert not problems, "\n".join(problems)
    shots = [_name(language, reading, size, step) for step in STEPS]
    assert all((SCREENSHOTS / f"{shot}.png").exists() for shot in shots)
