"""Accessibility in a real Chromium: axe-core on every page the route table serves, in Japanese
and English; the pupil flow by keyboard alone, with visible focus; touch targets; text at 200 %;
read-aloud with the tablet's own speech engine."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from starlette.routing import Route

from school_report import reports
from school_report.schools import School
from tests.conftest import new_page
from tests.pupil_steps import STEPS, choose_language, walk_pupil_flow
from tests.support import PASSWORD, City, log_in_page, topic_id
from web.app import routes

pytestmark = pytest.mark.browser

AXE = Axe()
SEVERE = ("serious", "critical")
# GET routes that answer with something other than a page a person reads.
NOT_PAGES = {
    "/healthz": "plain text for monitoring",
    "/exit": "a redirect to the neutral page",
    "/staff/weekly.csv": "a CSV download",
    "/staff/statistics/export.{format:str}": "a CSV or Excel download",
}


@dataclass
class Visit:
    """Who must be logged in to see a page (None: nobody), and its address."""

    role: str | None
    path: str


@dataclass
class World:
    """What the staff pages need to show something: a school, a report, an account."""

    city: City
    school: School
    report_id: int
    staff_id: int


def arrange_world(city: City) -> World:
    school, _ = city.school()
    home = topic_id(city.db, "home")
    reports.submit_report(
        city.db, school, home, "centre", "いえに かえりたくない", submission_key=f"a11y-{school.id}"
    )
    (report_id,) = city.db.execute(
        "SELECT id FROM reports WHERE school_id = ?", [school.id]
    ).fetchone()
    return World(city, school, report_id, city.staff("nurse", school).id)


# Every GET route a person sees, and how to visit it. A new route fails the test below until
# someone adds it here.
VISITS: dict[str, Callable[[World], Visit]] = {
    "/": lambda w: Visit(None, "/"),
    "/staff/login": lambda w: Visit(None, "/staff/login"),
    "/staff/password": lambda w: Visit("centre", "/staff/password"),
    "/staff/two-factor": lambda w: Visit("centre", "/staff/two-factor"),
    "/staff/notifications": lambda w: Visit("centre", "/staff/notifications"),
    "/staff": lambda w: Visit("centre", "/staff"),
    "/staff/reports/{report_id:int}": lambda w: Visit("centre", f"/staff/reports/{w.report_id}"),
    "/staff/watch": lambda w: Visit("centre", "/staff/watch"),
    "/staff/coordination": lambda w: Visit("centre", "/staff/coordination"),
    "/staff/weekly": lambda w: Visit("centre", "/staff/weekly"),
    "/staff/weekly/print": lambda w: Visit("centre", "/staff/weekly/print"),
    "/staff/statistics": lambda w: Visit("centre", "/staff/statistics"),
    "/staff/admin": lambda w: Visit("admin", "/staff/admin"),
    "/staff/admin/schools": lambda w: Visit("admin", "/staff/admin/schools"),
    "/staff/admin/schools/{school_id:int}": lambda w: Visit(
        "admin", f"/staff/admin/schools/{w.school.id}"
    ),
    "/staff/admin/schools/{school_id:int}/poster": lambda w: Visit(
        "admin", f"/staff/admin/schools/{w.school.id}/poster"
    ),
    "/staff/admin/staff": lambda w: Visit("admin", "/staff/admin/staff"),
    "/staff/admin/staff/{staff_id:int}": lambda w: Visit(
        "admin", f"/staff/admin/staff/{w.staff_id}"
    ),
    "/staff/admin/topics": lambda w: Visit("admin", "/staff/admin/topics"),
    "/staff/admin/topics/preview": lambda w: Visit("admin", "/staff/admin/topics/preview"),
    "/staff/admin/topics/{topic_id:int}": lambda w: Visit(
        "admin", f"/staff/admin/topics/{topic_id(w.city.db, 'bullying')}"
    ),
    "/staff/admin/settings": lambda w: Visit("admin", "/staff/admin/settings"),
    "/staff/admin/log": lambda w: Visit("admin", "/staff/admin/log"),
}
# Visited by walking through them: the pupil's steps, and the second step of a staff login.
WALKED = {"/p/{token}", "/staff/login/code"}


def get_routes() -> list[str]:
    return [
        route.path
        for route in routes
        if isinstance(route, Route) and "GET" in (route.methods or ())
    ]


def severe_violations(page: Page, where: str) -> list[str]:
    results = AXE.run(page).response["violations"]
    return [
        f"{where}: {v['id']} ({v['impact']}) {[n['target'] for n in v['nodes']][:3]}"
        for v in results
        if v["impact"] in SEVERE
    ]


def test_every_page_in_the_route_table_has_a_known_way_to_visit_it():
    unknown = [path for path in get_routes() if path not in {*VISITS, *WALKED, *NOT_PAGES}]
    assert not unknown, f"add these GET routes to VISITS in {__file__}: {unknown}"


def staff_page(chromium, url: str, city: City, role: str, school: School, language: str):
    page = new_page(chromium)
    staff = city.staff(role, school if role in ("nurse", "school_team") else None)
    log_in_page(page, url, staff)
    page.context.add_cookies([{"name": "staff_language", "value": language, "url": url}])
    return page


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_staff_page_has_no_serious_accessibility_violation(live_server, chromium, language):
    url, city = live_server.url, live_server.city
    world = arrange_world(city)
    problems: list[str] = []
    visits = [VISITS[path](world) for path in get_routes() if path in VISITS]
    for role in sorted({visit.role or "" for visit in visits}):
        if role:
            page = staff_page(chromium, url, city, role, world.school, language)
        else:
            page = new_page(chromium)
            page.context.add_cookies([{"name": "staff_language", "value": language, "url": url}])
        for visit in (v for v in visits if (v.role or "") == role):
            response = page.goto(f"{url}{visit.path}?lang={language}")
            assert response.status < 400, f"{visit.path} as {role or 'nobody'}: {response.status}"
            problems += severe_violations(page, visit.path)
        page.context.close()
    # The second step of a two-step login.
    page = new_page(chromium)
    page.context.add_cookies([{"name": "staff_language", "value": language, "url": url}])
    centre = city.staff("centre")
    page.goto(f"{url}/staff/login")
    page.locator("input[name=login]").fill(centre.login)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    expect(page).to_have_url(f"{url}/staff/login/code")
    problems += severe_violations(page, "/staff/login/code")
    page.context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_pupil_step_has_no_serious_accessibility_violation(live_server, page, language):
    _, token = live_server.city.school()
    problems: list[str] = []
    seen: list[str] = []

    def check(step: str) -> None:
        seen.append(step)
        problems.extend(severe_violations(page, f"pupil {step}"))
        assert page.locator("main").count() == 1 and page.locator("body > header").count() == 1

    walk_pupil_flow(page, live_server.url, token, language, check)
    assert tuple(seen) == STEPS
    assert not problems, "\n".join(problems)


def tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab until the focused element matches `selector`; each stop must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(
            """() => {
                const el = document.activeElement;
                const style = getComputedStyle(el);
                const width = parseFloat(style.outlineWidth);
                return {outline: style.outlineStyle !== "none" && width >= 2,
                        tag: el.outerHTML.slice(0, 80)};
            }"""
        )
        assert focus["outline"], f"no visible focus on {focus['tag']}"
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_pupil_can_report_and_read_the_reply_with_the_keyboard_alone(live_server, page):
    _, token = live_server.city.school()
    page.goto(f"{live_server.url}/p/{token}")
    tab_to(page, "form:has([value=topics]) button")
    page.keyboard.press("Enter")
    expect(page.locator(".tiles")).to_be_visible()
    tab_to(page, ".tile")
    page.keyboard.press("Enter")
    expect(page.locator("input[name=recipient]:checked")).to_be_visible()
    tab_to(page, "input[name=recipient]:checked")
    page.keyboard.press("ArrowDown")  # radio buttons move with the arrows
    tab_to(page, "form:has([value=recipient]) button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("textarea#body")).to_be_visible()
    tab_to(page, "textarea#body")
    page.keyboard.type("キーボードだけで かきました")
    tab_to(page, "form:has([value=message]) button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator(".summary")).to_be_visible()
    tab_to(page, "form:has([value=send]) button")
    page.keyboard.press("Space")
    expect(page.locator(".return-code")).to_be_visible()
    code = " ".join(page.locator(".code-group").all_inner_texts())
    tab_to(page, "form:has([value=start]) button")
    page.keyboard.press("Enter")
    expect(page.locator("form:has([value=code]) button")).to_be_visible()
    tab_to(page, "form:has([value=code]) button")
    page.keyboard.press("Enter")
    expect(page.locator("input#code")).to_be_visible()
    tab_to(page, "input#code")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    expect(page.locator(".thread")).to_contain_text("キーボードだけで かきました")


TOO_SMALL = """() => [...document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), textarea, select, label.choice")]
  .filter(el => el.offsetParent !== null && !el.closest(".skip-link"))
  .map(el => el.matches("input[type=radio], input[type=checkbox]") && el.closest("label")
       ? el.closest("label") : el)
  .map(el => ({el: el.outerHTML.slice(0, 70), box: el.getBoundingClientRect()}))
  .filter(t => t.box.width < 44 || t.box.height < 44)
  .map(t => `${t.el} ${Math.round(t.box.width)}×${Math.round(t.box.height)}`)"""


@pytest.mark.parametrize(("width", "height"), [(1024, 768), (390, 844)])
def test_every_touch_target_on_pupil_pages_is_at_least_44_px(live_server, chromium, width, height):
    page = new_page(chromium, width, height)
    _, token = live_server.city.school()
    small: list[str] = []
    walk_pupil_flow(
        page, live_server.url, token, "ja", lambda step: small.extend(page.evaluate(TOO_SMALL))
    )
    page.context.close()
    assert not small, "\n".join(sorted(set(small)))


LOST_TEXT = """() => [...document.querySelectorAll("body *")]
  .filter(el => el.offsetParent !== null && !el.closest(".skip-link, .visually-hidden"))
  .filter(el => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    const clipped = ["hidden", "clip"].includes(style.overflowX)
      && el.scrollWidth > el.clientWidth + 1;
    return box.right > innerWidth + 1 || box.left < -1 || clipped;
  })
  .map(el => el.outerHTML.slice(0, 80))"""


def test_pupil_pages_keep_all_their_text_at_200_percent(live_server, page):
    _, token = live_server.city.school()
    lost: list[str] = []

    def at_200_percent(step: str) -> None:
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        lost.extend(f"{step}: {el}" for el in page.evaluate(LOST_TEXT))
        assert page.evaluate("document.documentElement.scrollWidth") <= 1024, step

    walk_pupil_flow(page, live_server.url, token, "ja", at_200_percent)
    assert not lost, "\n".join(lost)


SPEECH = """
window.__spoken = [];
window.__voices = %s;
speechSynthesis.getVoices = () => window.__voices.map(lang => ({lang: lang}));
speechSynthesis.speak = u => window.__spoken.push({text: u.text, lang: u.lang});
speechSynthesis.cancel = () => {};
"""


def speaking_page(chromium, voices: list[str]) -> Page:
    page = new_page(chromium)
    page.add_init_script(SPEECH % voices)
    return page


def test_read_aloud_reads_the_step_in_the_page_language_with_the_tablets_voice(
    live_server, chromium
):
    page = speaking_page(chromium, ["ja-JP", "pt-BR"])
    _, token = live_server.city.school("elementary")
    page.goto(f"{live_server.url}/p/{token}")
    page.locator("#read-aloud").click()
    spoken = page.evaluate("window.__spoken")
    text = " ".join(u["text"] for u in spoken)
    assert {u["lang"] for u in spoken} == {"ja-JP"}
    # Furigana are not read twice, the language switch is not read at all.
    assert "こまっていること、ありますか？" in text and "相談" in text and "そうだん" not in text
    assert "Português" not in text
    expect(page.locator("#read-aloud")).to_have_attribute("aria-pressed", "true")
    choose_language(page, "pt-BR")
    page.locator("#read-aloud").click()
    assert {u["lang"] for u in page.evaluate("window.__spoken")} == {"pt-BR"}
    page.context.close()


def test_read_aloud_is_hidden_where_the_tablet_cannot_speak_the_language(live_server, chromium):
    _, token = live_server.city.school()
    page = speaking_page(chromium, ["ja-JP"])
    page.goto(f"{live_server.url}/p/{token}")
    expect(page.locator("#read-aloud")).to_be_visible()
    choose_language(page, "vi")
    expect(page.locator("#read-aloud")).to_be_hidden()
    page.context.close()
    page = new_page(chromium)
    page.add_init_script(
        'Object.defineProperty(window, "speechSynthesis", {value: undefined, configurable: true});'
    )
    page.goto(f"{live_server.url}/p/{token}")
    expect(page.locator("#read-aloud")).to_be_hidden()
    page.context.close()
