"""Accessibility in a real Chromium: axe-core on every page the route table serves, in Japanese
and English; the pupil flow by keyboard alone, with visible focus; touch targets; text at 200 %;
read-aloud with the tablet's own speech engine."""

from collections.abc import Callable
from dataclasses import dataclass

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from starlette.routing import Route

from school_report import reports
from school_report.schools import School
from tests.conftest import new_page
from tests.pupil_steps import OTHER_READINGS, STEPS, choose_language, walk_pupil_flow
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
    "/staff/reports/{report_id:id}": lambda w: Visit("centre", f"/staff/reports/{w.report_id}"),
    "/staff/watch": lambda w: Visit("centre", "/staff/watch"),
    "/staff/coordination": lambda w: Visit("centre", "/staff/coordination"),
    "/staff/weekly": lambda w: Visit("centre", "/staff/weekly"),
    "/staff/weekly/print": lambda w: Visit("centre", "/staff/weekly/print"),
    "/staff/statistics": lambda w: Visit("centre", "/staff/statistics"),
    "/staff/statistics/definitions": lambda w: Visit("centre", "/staff/statistics/definitions"),
    "/staff/admin": lambda w: Visit("admin", "/staff/admin"),
    "/staff/admin/schools": lambda w: Visit("admin", "/staff/admin/schools"),
    "/staff/admin/schools/{school_id:id}": lambda w: Visit(
        "admin", f"/staff/admin/schools/{w.school.id}"
    ),
    "/staff/admin/schools/{school_id:id}/poster": lambda w: Visit(
        "admin", f"/staff/admin/schools/{w.school.id}/poster"
    ),
    "/staff/admin/staff": lambda w: Visit("admin", "/staff/admin/staff"),
    "/staff/admin/staff/{staff_id:id}": lambda w: Visit(
        "admin", f"/staff/admin/staff/{w.staff_id}"
    ),
    "/staff/admin/topics": lambda w: Visit("admin", "/staff/admin/topics"),
    "/staff/admin/topics/preview": lambda w: Visit("admin", "/staff/admin/topics/preview"),
    "/staff/admin/topics/{topic_id:id}": lambda w: Visit(
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


# What axe could not decide ("needs review") is audited too: an attribute a role does not
# allow is only ever reported there. Contrast it cannot measure (text under the open language
# menu, text in an SVG chart) is left to the contrast rule's own pass over what it can see.
UNDECIDABLE = {"color-contrast"}


def severe_violations(page: Page, where: str) -> list[str]:
    """Serious and critical violations, and serious or critical items needing review."""
    response = AXE.run(page).response
    found = response["violations"] + [
        item for item in response["incomplete"] if item["id"] not in UNDECIDABLE
    ]
    return [
        f"{where}: {v['id']} ({v['impact']}) {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in SEVERE
    ]


def test_every_page_in_the_route_table_has_a_known_way_to_visit_it():
    unknown = [path for path in get_routes() if path not in {*VISITS, *WALKED, *NOT_PAGES}]
    assert not unknown, f"add these GET routes to VISITS in {__file__}: {unknown}"


def staff_page(
    chromium, url: str, city: City, role: str, school: School, language: str, staff=None
):
    page = new_page(chromium)
    staff = staff or city.staff(role, school if role in ("nurse", "school_team") else None)
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


def report_to(city: City, school: School, recipient: str) -> int:
    reports.submit_report(
        city.db,
        school,
        topic_id(city.db, "body" if recipient == "nurse" else "bullying"),
        recipient,
        "こまっています",
        submission_key=f"a11y-{recipient}-{school.id}",
    )
    return city.db.execute("SELECT max(id) FROM reports").fetchone()[0]


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("role", ["nurse", "school_team"])
def test_school_staff_pages_have_no_serious_accessibility_violation(
    live_server, chromium, role, language
):
    """The pages as the school's nurse and team see them: their own inbox, a report with its
    hand-over form, their school's statistics."""
    url, city = live_server.url, live_server.city
    school, _ = city.school()
    report_id = report_to(city, school, role)
    page = staff_page(chromium, url, city, role, school, language)
    problems: list[str] = []
    for path in ("/staff", f"/staff/reports/{report_id}", "/staff/statistics"):
        response = page.goto(f"{url}{path}?lang={language}")
        assert response.status < 400, f"{path} as {role}: {response.status}"
        problems += severe_violations(page, f"{path} as {role}")
    page.context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_pages_shown_once_after_a_form_have_no_serious_accessibility_violation(
    live_server, chromium, language
):
    """Recovery codes (after turning on two-step login) and a temporary password (after an
    administrator resets one) are only ever the answer to a POST."""
    url, city = live_server.url, live_server.city
    school, _ = city.school()
    nurse = city.staff("nurse", school)
    page = staff_page(chromium, url, city, "nurse", school, language, staff=nurse)
    page.goto(f"{url}/staff/two-factor")
    secret = page.locator(".secret-key").inner_text().replace(" ", "")
    page.locator("input#code").fill(pyotp.TOTP(secret).now())
    page.locator("form[action='/staff/two-factor'] button[type=submit]").click()
    expect(page.locator(".recovery-codes li").first).to_be_visible()
    problems = severe_violations(page, "recovery codes")
    page.context.close()
    page = staff_page(chromium, url, city, "admin", school, language)
    page.goto(f"{url}/staff/admin/staff/{nurse.id}")
    page.locator(f"form[action='/staff/admin/staff/{nurse.id}/password'] button").click()
    expect(page.locator("#temporary-password")).to_be_visible()
    problems += severe_violations(page, "temporary password")
    page.context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("language", "reading"), [("ja", None), ("en", None), *[("ja", r) for r in OTHER_READINGS]]
)
def test_every_pupil_step_has_no_serious_accessibility_violation(
    live_server, page, language, reading
):
    problems: list[str] = []
    seen: list[str] = []

    def check(step: str) -> None:
        seen.append(step)
        problems.extend(severe_violations(page, f"pupil {step}"))
        assert page.locator("main").count() == 1
        assert page.locator("body > header").count() == (0 if step == "error" else 1)

    walk_pupil_flow(page, live_server, language, check, reading)
    assert tuple(seen) == STEPS
    assert not problems, "\n".join(problems)


# Colours as the page paints them: contrast (WCAG), and the solid background behind an element.
COLOURS = """
  const rgb = text => (text.match(/[\\d.]+/g) || []).map(Number);
  const luminance = colour => {
    const [r, g, b] = colour.map(v => v / 255)
      .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => {
    const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (light + 0.05) / (dark + 0.05);
  };
  const solid = text => { const c = rgb(text); return c.length === 3 || c[3] > 0.5; };
  const behind = el => {
    for (let node = el.parentElement; node; node = node.parentElement) {
      const colour = getComputedStyle(node).backgroundColor;
      if (solid(colour)) return rgb(colour).slice(0, 3);
    }
    return [255, 255, 255];
  };
"""
# The focus ring of the focused element: its outline and any ring drawn as a box-shadow (at
# least 2 px each), and the best contrast one of them has with the background behind it.
FOCUS_RING = (
    "() => {"
    + COLOURS
    + """
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const rings = [];
  if (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2) {
    rings.push(rgb(style.outlineColor).slice(0, 3));
  }
  for (const ring of style.boxShadow.matchAll(/(rgba?\\([^)]*\\)) 0px 0px 0px ([\\d.]+)px/g)) {
    if (parseFloat(ring[2]) >= 2) rings.push(rgb(ring[1]).slice(0, 3));
  }
  return {rings: rings.length, contrast: Math.max(0, ...rings.map(c => contrast(c, behind(el)))),
          tag: el.outerHTML.slice(0, 80)};
}"""
)
# Controls whose fill does not stand out from the page must have an edge that does (3:1).
FAINT_EDGES = (
    "() => {"
    + COLOURS
    + """
  return [...document.querySelectorAll(`.tile, .choice, .button, textarea, summary, .switch button,
      .read-aloud, input:not([type=hidden]):not([type=radio]):not([type=checkbox])`)]
    .filter(el => el.checkVisibility() && !el.closest(".visually-hidden"))
    .filter(el => {
      const style = getComputedStyle(el);
      const back = behind(el);
      if (solid(style.backgroundColor)
          && contrast(rgb(style.backgroundColor).slice(0, 3), back) >= 3) return false;
      return parseFloat(style.borderTopWidth) < 1
        || contrast(rgb(style.borderTopColor).slice(0, 3), back) < 3;
    })
    .map(el => `${el.outerHTML.slice(0, 60)} ${getComputedStyle(el).borderTopColor}`);
}"""
)


def tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab until the focused element matches `selector`; each stop must show its focus
    with a ring that stands out (3:1) from the background behind it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_RING)
        assert focus["rings"], f"no visible focus on {focus['tag']}"
        assert focus["contrast"] >= 3, f"focus ring {focus['contrast']:.2f}:1 on {focus['tag']}"
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_pupil_can_report_and_read_the_reply_with_the_keyboard_alone(live_server, page):
    _, token = live_server.city.school()
    page.goto(f"{live_server.url}/p/{token}")
    tab_to(page, "details.pupil-switches > summary")
    page.keyboard.press("Enter")  # the languages open
    tab_to(page, "button[name=language][value=en]")
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "en")
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
  .filter(el => el.checkVisibility() && !el.closest(".skip-link, .visually-hidden"))
  .map(el => el.matches("input[type=radio], input[type=checkbox]") && el.closest("label")
       ? el.closest("label") : el)
  .map(el => ({el: el.outerHTML.slice(0, 70), box: el.getBoundingClientRect()}))
  .filter(t => t.box.width < 44 || t.box.height < 44)
  .map(t => `${t.el} ${Math.round(t.box.width)}×${Math.round(t.box.height)}`)"""


@pytest.mark.parametrize(("width", "height"), [(1024, 768), (390, 844)])
def test_every_control_on_pupil_pages_is_big_enough_to_touch_and_its_edge_is_seen(
    live_server, chromium, width, height
):
    page = new_page(chromium, width, height)
    problems: list[str] = []

    def look(step: str) -> None:
        problems.extend(f"too small: {target}" for target in page.evaluate(TOO_SMALL))
        problems.extend(f"faint edge: {control}" for control in page.evaluate(FAINT_EDGES))

    walk_pupil_flow(page, live_server, "ja", look)
    page.context.close()
    assert not problems, "\n".join(sorted(set(problems)))


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
