"""Every pupil step in every language on a tablet and on a phone: a screenshot of each
(tests/screenshots/, not committed, for people to look at) and no element wider than the
screen, so a long word in Portuguese or Filipino cannot push the page sideways."""

from pathlib import Path

import pytest

from school_report.reports import LANGUAGES
from tests.conftest import new_page
from tests.pupil_steps import STEPS, walk_pupil_flow

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).parent / "screenshots"
SIZES = {"tablet": (1024, 768), "phone": (390, 844)}

OVERFLOWING = """() => [...document.querySelectorAll("body *")]
  .filter(el => el.offsetParent !== null && !el.closest(".skip-link, .visually-hidden"))
  .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .map(el => el.outerHTML.slice(0, 80))"""


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_pupil_step_overflows_the_screen_in_any_language(live_server, chromium, language, size):
    width, height = SIZES[size]
    page = new_page(chromium, width, height)
    _, token = live_server.city.school()
    SCREENSHOTS.mkdir(exist_ok=True)
    overflowing: list[str] = []

    def look(step: str) -> None:
        page.screenshot(path=SCREENSHOTS / f"{language}-{size}-{step}.png", full_page=True)
        overflowing.extend(f"{step}: {el}" for el in page.evaluate(OVERFLOWING))
        assert page.evaluate("document.documentElement.scrollWidth") <= width, step

    walk_pupil_flow(page, live_server.url, token, language, look)
    page.context.close()
    assert not overflowing, "\n".join(overflowing)
    assert all((SCREENSHOTS / f"{language}-{size}-{step}.png").exists() for step in STEPS)
