"""The authorisation matrix: every route of the app × every kind of visitor × objects of their
own and of another school or recipient (reports sent, referred to the centre and handed to a
school; accounts at each school and with none) → the status the rules below expect. A refusal
changes nothing in the database. The routes are read from the app's own table, so a route without a
rule here fails the test: whoever adds a route says here who may use it.

Every response met on the way also carries the security headers.
"""

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import httpx2 as httpx
import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from school_report.db import connect
from school_report.reports import add_staff_reply, pupil_report, submit_report
from tests.support import (
    City,
    form_token,
    hand_over_with_consent,
    inbox,
    log_in,
    return_code_in,
    send_report,
    topic_id,
)
from web import app as web_app
from web.app import create_app

ALLOWED = "allowed"  # passes authorisation: any status but 403/404/5xx or a login redirect
LOGIN = "login"  # sent to the login page
SOFT = "soft"  # a pupil step that shows the code form again (200/400): nothing written
READS = "reads"  # a report handed over to them: they read it (403 where only the answerer acts)

STAFF_ACTORS = (
    "nurse",
    "school_team",
    "school_admin",
    "centre",
    "admin",
    "other_nurse",  # a nurse of school B
    "other_school_admin",  # the administrator of school B
)
ACTORS = ("anonymous", "pupil", *STAFF_ACTORS)
SCHOOL_OF = {"nurse": "A", "school_team": "A", "school_admin": "A"}
SCHOOL_OF |= {"other_nurse": "B", "other_school_admin": "B"}
ROLE_OF = {"other_nurse": "nurse", "other_school_admin": "school_admin"}

# The objects each kind of path parameter is tried with. An id too large for SQLite matches no
# route: 404 for everyone, never a 500.
HUGE = "9" * 23
OBJECTS = {
    "report_id": (
        "nurse_report_A",
        "team_report_A",
        "centre_report_A",
        "team_report_B",
        "referred_report_A",  # school A's team referred it to the centre
        "handed_report_B",  # the centre brought in school B's nurse
        "huge",
    ),
    "school_id": ("school_A", "school_B", "huge"),
    "staff_id": ("staff_A", "staff_B", "staff_centre", "staff_admin", "huge"),
    "topic_id": ("topic", "huge"),
    "slug": ("nurse",),
    "section": ("hours",),
    "action": ("note",),
    "token": ("token_A", "token_B", "forged"),
    "format": ("csv",),
}

Expect = Callable[[str, str | None], str | int]


def role(actor: str) -> str:
    return ROLE_OF.get(actor, actor)


def anyone(actor, obj):
    return ALLOWED


def staff_only(*roles: str, refused: int = 403) -> Expect:
    def expect(actor, obj):
        if actor in ("anonymous", "pupil"):
            return LOGIN
        return ALLOWED if not roles or role(actor) in roles else refused

    return expect


any_staff = staff_only()


# Who has each report in their inbox: the recipient the pupil chose at the report's school (the
# centre: any school), and a side it was handed over to, at that school only.
SEEN_BY = {
    "nurse_report_A": {"nurse": ALLOWED},
    "team_report_A": {"school_team": ALLOWED},
    "centre_report_A": {"centre": ALLOWED},
    "team_report_B": {},
    "referred_report_A": {"centre": ALLOWED, "school_team": READS},
    "handed_report_B": {"centre": ALLOWED, "other_nurse": READS},
}


def reports_in_inbox(actor, report):
    if actor in ("anonymous", "pupil"):
        return LOGIN
    return SEEN_BY[report].get(actor, 404)


def school_of_administrator(*, city_admin_only: bool = False) -> Expect:
    """The city admin: any school; a school's administrator: their own (another's is 404)."""

    def expect(actor, obj):
        if actor in ("anonymous", "pupil"):
            return LOGIN
        if role(actor) == "admin":
            return ALLOWED
        if role(actor) != "school_admin" or city_admin_only:
            return 403
        # An object of no school (staff_centre, staff_admin) is another school's too.
        return ALLOWED if obj.endswith(f"_{SCHOOL_OF[actor]}") else 404

    return expect


def pupil_writes(actor, token):
    """Only the pupil whose code opened the thread writes in it, and only at its school."""
    if token == "forged":
        return 404
    return ALLOWED if actor == "pupil" and token == "token_A" else SOFT


RULES: dict[tuple[str, str], Expect] = {
    ("GET", "/healthz"): anyone,
    ("GET", "/"): anyone,
    ("GET", "/exit"): anyone,
    ("GET", "/p/{token}"): lambda actor, token: 404 if token == "forged" else ALLOWED,
    ("POST", "/p/{token}"): pupil_writes,
    ("GET", "/static"): anyone,
    ("GET", "/staff/login"): anyone,
    ("POST", "/staff/login"): anyone,
    # Without a right password a moment ago there is no code step.
    ("GET", "/staff/login/code"): lambda actor, obj: LOGIN,
    ("POST", "/staff/login/code"): lambda actor, obj: LOGIN,
    # Everyone lands on the login page; that the session ends is tested in test_staff_security.
    ("POST", "/staff/logout"): lambda actor, obj: LOGIN,
    ("GET", "/staff/password"): any_staff,
    ("POST", "/staff/password"): any_staff,
    ("GET", "/staff/two-factor"): any_staff,
    ("POST", "/staff/two-factor"): any_staff,
    ("POST", "/staff/language"): anyone,
    ("GET", "/staff"): any_staff,
    ("GET", "/staff/reports/{report_id:id}"): reports_in_inbox,
    ("POST", "/staff/reports/{report_id:id}/reply"): reports_in_inbox,
    ("POST", "/staff/reports/{report_id:id}/unread"): reports_in_inbox,
    ("POST", "/staff/reports/{report_id:id}/case/{action}"): reports_in_inbox,
    ("POST", "/staff/reports/{report_id:id}/hand-over"): reports_in_inbox,
    ("GET", "/staff/watch"): staff_only("centre"),
    ("GET", "/staff/coordination"): staff_only("centre"),
    ("GET", "/staff/weekly"): staff_only("centre"),
    ("GET", "/staff/weekly/print"): staff_only("centre"),
    ("GET", "/staff/weekly.csv"): staff_only("centre"),
    ("GET", "/staff/notifications"): any_staff,
    ("POST", "/staff/notifications"): any_staff,
    # Every staff member sees their own school's figures; the centre and admins the city's.
    ("GET", "/staff/statistics"): any_staff,
    ("GET", "/staff/statistics/export.{format:str}"): any_staff,
    ("GET", "/staff/statistics/definitions"): any_staff,
    ("POST", "/staff/statistics/publish"): staff_only("centre", "admin", refused=404),
    ("GET", "/staff/admin"): staff_only("admin", "school_admin"),
    ("GET", "/staff/admin/log"): staff_only("admin", "school_admin"),
    ("GET", "/staff/admin/schools"): staff_only("admin"),
    ("POST", "/staff/admin/schools"): staff_only("admin"),
    ("GET", "/staff/admin/schools/{school_id:id}"): school_of_administrator(),
    ("POST", "/staff/admin/schools/{school_id:id}"): school_of_administrator(city_admin_only=True),
    ("POST", "/staff/admin/schools/{school_id:id}/active"): school_of_administrator(
        city_admin_only=True
    ),
    ("POST", "/staff/admin/schools/{school_id:id}/link"): school_of_administrator(),
    ("GET", "/staff/admin/schools/{school_id:id}/poster"): school_of_administrator(),
    ("GET", "/staff/admin/staff"): staff_only("admin", "school_admin"),
    ("POST", "/staff/admin/staff"): staff_only("admin", "school_admin"),
    ("GET", "/staff/admin/staff/{staff_id:id}"): school_of_administrator(),
    ("POST", "/staff/admin/staff/{staff_id:id}"): school_of_administrator(),
    ("POST", "/staff/admin/staff/{staff_id:id}/active"): school_of_administrator(),
    ("POST", "/staff/admin/staff/{staff_id:id}/review"): school_of_administrator(),
    ("POST", "/staff/admin/staff/{staff_id:id}/password"): school_of_administrator(),
    ("POST", "/staff/admin/staff/{staff_id:id}/two-factor"): school_of_administrator(),
    ("GET", "/staff/admin/topics"): staff_only("admin"),
    ("GET", "/staff/admin/topics/preview"): staff_only("admin"),
    ("GET", "/staff/admin/topics/{topic_id:id}"): staff_only("admin"),
    ("POST", "/staff/admin/topics/{topic_id:id}"): staff_only("admin"),
    ("POST", "/staff/admin/recipients/{slug}"): staff_only("admin"),
    ("GET", "/staff/admin/settings"): staff_only("admin"),
    ("POST", "/staff/admin/settings/danger_words/preview"): staff_only("admin"),
    ("POST", "/staff/admin/settings/{section}"): staff_only("admin"),
}


def route_table(routes=None, prefix: str = "") -> list[tuple[str, str]]:
    """(method, path) of every route the app serves, read from its route table: the routes
    under a Mount too; a mounted app (static files) is one GET; a kind of route this test does
    not know is listed as such, so it fails for want of a rule."""
    found = []
    for route in web_app.routes if routes is None else routes:
        if isinstance(route, Mount) and route.routes:
            found += route_table(route.routes, prefix + route.path)
        elif isinstance(route, Mount):
            found.append(("GET", prefix + route.path))
        elif isinstance(route, Route):
            methods = sorted((route.methods or {"GET"}) - {"HEAD"})
            found.extend((method, prefix + route.path) for method in methods)
        else:
            found.append((type(route).__name__, prefix + getattr(route, "path", "")))
    return found


def test_the_route_table_reader_finds_routes_under_a_mount():
    nested = [Mount("/outer", routes=[Route("/inner", anyone, methods=["POST"])])]
    assert route_table(nested) == [("POST", "/outer/inner")]


def test_every_route_of_the_app_has_an_authorisation_rule():
    missing = [route for route in route_table() if route not in RULES]
    assert not missing, f"routes without a rule in {Path(__file__).name}: {missing}"
    stale = [route for route in RULES if route not in route_table()]
    assert not stale, f"rules for routes that no longer exist: {stale}"


@dataclass
class World:
    city: City
    ids: dict[str, str]  # object name -> the value put in the path
    cookies: dict[str, list[tuple[str, str, str]]]  # actor -> (name, value, path)


def _arrange(client, city: City) -> World:
    school_a, token_a = city.school()
    school_b, token_b = city.school()
    staff = {
        "nurse": city.staff("nurse", school_a),
        "school_team": city.staff("school_team", school_a),
        "school_admin": city.staff("school_admin", school_a),
        "centre": city.staff("centre"),
        "admin": city.staff("admin"),
        "other_nurse": city.staff("nurse", school_b),
        "other_school_admin": city.staff("school_admin", school_b),
    }
    reports = {}
    for name, school, recipient in (
        ("nurse_report_A", school_a, "nurse"),
        ("team_report_A", school_a, "school_team"),
        ("centre_report_A", school_a, "centre"),
        ("team_report_B", school_b, "school_team"),
    ):
        submit_report(
            city.db, school, topic_id(city.db, "friends"), recipient, name, submission_key=name
        )
        reports[name] = city.db.execute(
            "SELECT id FROM reports WHERE submission_key = ?", [name]
        ).fetchone()[0]
    for name, school, recipient, by, to in (
        ("referred_report_A", school_a, "school_team", staff["school_team"], "centre"),
        ("handed_report_B", school_b, "centre", staff["centre"], "nurse"),
    ):
        submit_report(
            city.db, school, topic_id(city.db, "friends"), recipient, name, submission_key=name
        )
        (reports[name],) = city.db.execute(
            "SELECT id FROM reports WHERE submission_key = ?", [name]
        ).fetchone()
        hand_over_with_consent(city.db, by, pupil_report(city.db, reports[name]), to)
    ids = {
        **{name: str(report_id) for name, report_id in reports.items()},
        "school_A": str(school_a.id),
        "school_B": str(school_b.id),
        "staff_A": str(city.staff("nurse", school_a).id),
        "staff_B": str(city.staff("nurse", school_b).id),
        "staff_centre": str(city.staff("centre").id),
        "staff_admin": str(city.staff("admin").id),
        "topic": str(topic_id(city.db, "friends")),
        "nurse": "nurse",
        "hours": "hours",
        "note": "note",
        "token_A": token_a,
        "token_B": token_b,
        "forged": "not-a-school-link",
        "csv": "csv",
        "huge": HUGE,
    }
    cookies = {}
    for actor, member in staff.items():
        client.cookies.clear()
        log_in(client, member)
        cookies[actor] = _jar(client)
    client.cookies.clear()
    sent = send_report(client, token_a, city.db, topic="friends", key="pupil-own")
    client.post(f"/p/{token_a}", data={"step": "open", "code": return_code_in(sent.text)})
    cookies["pupil"] = _jar(client)
    cookies["anonymous"] = []
    client.cookies.clear()
    assert inbox(city.db, staff["nurse"])  # the world is as the rules assume
    return World(city, ids, cookies)


def _jar(client) -> list[tuple[str, str, str]]:
    return [(c.name, c.value, c.path) for c in client.cookies.jar]


def _use(client, cookies) -> None:
    client.cookies.clear()
    for name, value, path in cookies:
        client.cookies.set(name, value, path=path)


def _csrf(client) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/staff/password").text)
    return match.group(1) if match else ""


# The forms shown before logging in carry the token of the browser's pre-session key, which
# the login page sets; the language switch of a logged-in page carries the session's.
PRE_SESSION_POSTS = {"/staff/login", "/staff/login/code"}


def _form_token(client, csrf: dict[str, str], actor: str, template: str) -> str:
    """The token the actor's own page would give the form: a visitor without a session has
    none but the login page's (refused by every other staff form)."""
    if template in PRE_SESSION_POSTS or (template == "/staff/language" and actor not in csrf):
        return form_token(client)
    return csrf.get(actor, "")


def _paths(path: str) -> list[tuple[str, str | None]]:
    """The path with each object of its parameter put in (the route's own objects)."""
    params = re.findall(r"{(\w+)(?::\w+)?}", path)
    if not params:
        return [(path if path != "/static" else "/static/app.css", None)]
    variants = [(path, None)]
    for param in params:
        variants = [
            (re.sub(rf"{{{param}(:\w+)?}}", f"<{obj}>", filled), obj if param != "action" else kept)
            for filled, kept in variants
            for obj in OBJECTS[param]
        ]
    return variants


def _outcome(response) -> str | int:
    location = response.headers.get("location", "")
    if response.status_code in (302, 303) and location.startswith("/staff/login"):
        return LOGIN
    # htmx is sent to the login page by a header (a redirect would be swapped in).
    if response.status_code == 204 and response.headers.get("hx-redirect", "").startswith(
        "/staff/login"
    ):
        return LOGIN
    if response.status_code in (403, 404) or response.status_code >= 500:
        return response.status_code
    return ALLOWED


def _cells(db) -> list:
    tables = [
        row[0]
        for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        # Sessions and throttling counts are traces of a visit, not what a refusal may change.
        if row[0] not in ("staff_sessions", "login_failures", "code_failures", "pupil_sessions")
    ]
    return [(t, sorted(db.execute(f"SELECT * FROM [{t}]").fetchall(), key=repr)) for t in tables]


def _sessions(db) -> list:
    return db.execute("SELECT id_hash, last_seen_at FROM staff_sessions ORDER BY 1").fetchall()


def _check_headers(path: str, response) -> list[str]:
    headers = response.headers
    wrong = []
    if "frame-ancestors 'none'" not in headers.get("content-security-policy", ""):
        wrong.append("CSP")
    if "'unsafe-inline'" in headers.get("content-security-policy", ""):
        wrong.append("CSP allows inline")
    if headers.get("x-content-type-options") != "nosniff":
        wrong.append("nosniff")
    if headers.get("referrer-policy") != "same-origin":
        wrong.append("Referrer-Policy")
    if not path.startswith("/static/") and headers.get("cache-control") != "no-store":
        wrong.append("no-store")
    if "strict-transport-security" in headers:
        wrong.append("HSTS over plain HTTP")
    return wrong


@pytest.fixture
def matrix_client(settings, city):
    """The app in-process, answering 500 instead of raising, so a crash is one more finding."""
    app = create_app(settings)
    with TestClient(
        app, headers={"origin": "http://testserver"}, raise_server_exceptions=False
    ) as c:
        yield c


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_every_route_refuses_whoever_its_rule_refuses_and_a_refusal_changes_nothing(
    matrix_client, city, settings, tmp_path, htmx
):
    """Fragments asked for by htmx obey the same rules as whole pages."""
    client = matrix_client
    world = _arrange(client, city)
    if htmx:
        client.headers["HX-Request"] = "true"
    # A plain copy, not `school-admin restore`, which ends every staff session on purpose.
    snapshot = sqlite3.connect(tmp_path / "snapshot.db")
    city.db.conn.backup(snapshot)
    csrf = {}
    for actor in STAFF_ACTORS:
        _use(client, world.cookies[actor])
        csrf[actor] = _csrf(client)
    mismatches, header_problems = [], set()
    for method, template in route_table():
        expect = RULES.get((method, template))
        if expect is None:
            continue
        for filled, obj in _paths(template):
            path = re.sub(r"<(\w+)>", lambda m: world.ids[m.group(1)], filled)
            for actor in ACTORS:
                expected = 404 if obj == "huge" else expect(actor, obj)
                _use(client, world.cookies[actor])
                if method == "POST":
                    token = _form_token(client, csrf, actor, template)
                    before, sessions = _cells(city.db), _sessions(city.db)
                    form = {"csrf_token": token, "step": "write", "body": "x"}
                    response = client.post(path, data=form, follow_redirects=False)
                else:
                    response = client.get(path, follow_redirects=False)
                got = _outcome(response)
                if expected == SOFT:
                    # Without htmx a pupil step answers by a redirect to the step shown again.
                    again = response.headers.get("location", "").endswith("?again")
                    shown_again = response.status_code in (200, 400) or again
                    got = SOFT if shown_again else got
                if expected == READS:
                    got = READS if got in (ALLOWED, 403) else got
                if got != expected:
                    mismatches.append(f"{method} {filled} as {actor}: {got}, expected {expected}")
                header_problems.update(
                    f"{method} {template}: {p}" for p in _check_headers(path, response)
                )
                if method != "POST":
                    continue
                wrote = _cells(city.db) != before
                if expected not in (ALLOWED, READS) and wrote:
                    mismatches.append(f"{method} {filled} as {actor}: refused but wrote")
                if wrote or _sessions(city.db) != sessions:
                    # Undo what the post did (a logout, too), so each check meets the same world.
                    snapshot.backup(city.db.conn)
    assert not mismatches, "\n".join(mismatches)
    assert not header_problems, sorted(header_problems)


HAND_OVER = {"pupil_consent": "agreed", "ground": "consent", "reason": "きけん", "shares": "thread"}
PUPIL_SEND = {"step": "send", "recipient": "school_team", "body": "x", "submission_key": "forged"}
# Ids and choices forged inside a form (or an address's query): each is refused (400, 403 or
# 404), nothing is written, and nothing answers 500.
FORGED_FORMS = {
    "assignee of another school": (
        "nurse",
        "/staff/reports/<nurse_report_A>/case/assign",
        {"assignee": "<staff_B>"},
    ),
    "assignee too large": (
        "nurse",
        "/staff/reports/<nurse_report_A>/case/assign",
        {"assignee": HUGE},
    ),
    "assignee not a number": (
        "nurse",
        "/staff/reports/<nurse_report_A>/case/assign",
        {"assignee": "-1"},
    ),
    "approving another report's reply": (
        "centre",
        "/staff/reports/<centre_report_A>/case/approve",
        {"message_id": "<pending_B>", "body": "ok"},
    ),
    "approving a reply id too large": (
        "centre",
        "/staff/reports/<centre_report_A>/case/approve",
        {"message_id": HUGE, "body": "ok"},
    ),
    # A nurse may bring in the school's team (the bullying duty), never hand a report to itself.
    "hand-over to a recipient not offered": (
        "nurse",
        "/staff/reports/<nurse_report_A>/hand-over",
        {"to_recipient": "nurse", **HAND_OVER},
    ),
    "hand-over to no recipient at all": (
        "centre",
        "/staff/reports/<centre_report_A>/hand-over",
        {"to_recipient": "police", **HAND_OVER},
    ),
    "hand-over of another school's report": (
        "nurse",
        "/staff/reports/<team_report_B>/hand-over",
        {"to_recipient": "centre", **HAND_OVER},
    ),
    "staff account at a school too large": (
        "admin",
        "/staff/admin/staff",
        {"login": "forged1", "display_name": "x", "role": "nurse", "school": HUGE},
    ),
    "staff account at no school": (
        "admin",
        "/staff/admin/staff",
        {"login": "forged2", "display_name": "x", "role": "nurse", "school": "0"},
    ),
    "city role given by a school admin": (
        "school_admin",
        "/staff/admin/staff",
        {"login": "forged3", "display_name": "x", "role": "admin"},
    ),
    "topic position too large": (
        "admin",
        "/staff/admin/topics/<topic>",
        {"label_ja": "x", "label_en": "x", "position": HUGE},
    ),
    "pupil topic too large": ("pupil", "/p/<token_A>", {**PUPIL_SEND, "topic": HUGE}),
    "pupil recipient not offered": ("pupil", "/p/<token_A>", {**PUPIL_SEND, "recipient": "police"}),
    "inbox filter school too large": ("centre", "/staff?school=" + HUGE, None),
    "inbox filter assignee not a number": ("centre", "/staff?assignee=1e9", None),
}


def _pending_reply_of_school_b(city, world) -> str:
    """A reply waiting for a supervisor in school B's report: an id nobody at A may approve."""
    report = pupil_report(city.db, int(world.ids["team_report_B"]))
    add_staff_reply(city.db, city.staff("centre"), report, "まって", pending_review=True)
    (message_id,) = city.db.execute("SELECT max(id) FROM messages").fetchone()
    return str(message_id)


def test_ids_forged_inside_a_form_are_refused_and_change_nothing(matrix_client, city):
    client = matrix_client
    world = _arrange(client, city)
    world.ids["pending_B"] = _pending_reply_of_school_b(city, world)
    world.ids["topic_id"] = world.ids["topic"]
    problems = []
    for name, (actor, template, form) in FORGED_FORMS.items():
        path = re.sub(r"<(\w+)>", lambda m: world.ids[m.group(1)], template)
        _use(client, world.cookies[actor])
        before = _cells(city.db)
        if form is None:
            response = client.get(path)
        else:
            filled = {
                k: re.sub(r"<(\w+)>", lambda m: world.ids[m.group(1)], v) for k, v in form.items()
            }
            filled.setdefault("topic", world.ids["topic"])
            response = client.post(path, data={**filled, "csrf_token": _csrf(client)})
        if response.status_code not in (400, 403, 404):
            problems.append(f"{name}: {response.status_code}")
        if _cells(city.db) != before:
            problems.append(f"{name}: wrote")
    assert not problems, problems


def test_a_school_admin_cannot_place_an_account_at_another_school(matrix_client, city):
    """The school in the form is ignored for a school's administrator: theirs is used."""
    client = matrix_client
    world = _arrange(client, city)
    _use(client, world.cookies["school_admin"])
    school_b = world.ids["school_B"]
    form = {"login": "placed", "display_name": "x", "role": "school_admin", "school": school_b}
    client.post("/staff/admin/staff", data={**form, "csrf_token": _csrf(client)})
    role = {"role": "school_team", "school": school_b, "csrf_token": _csrf(client)}
    client.post(f"/staff/admin/staff/{world.ids['staff_A']}", data=role)
    schools = dict(
        city.db.execute(
            "SELECT login, school_id FROM staff WHERE login = 'placed' OR id = ?",
            [world.ids["staff_A"]],
        ).fetchall()
    )
    assert len(schools) == 2 and str(school_b) not in map(str, schools.values())


def test_hsts_is_sent_only_when_the_service_is_reached_over_https(settings):
    with TestClient(create_app(replace(settings, https=True)), base_url="https://testserver") as c:
        assert "max-age=" in c.get("/").headers["strict-transport-security"]
        assert "max-age=" in c.get("/static/app.css").headers["strict-transport-security"]
        cookie = c.post(
            "/staff/language",
            data={"language": "en", "csrf_token": form_token(c)},
            headers={"origin": "https://testserver"},
            follow_redirects=False,
        ).headers["set-cookie"]
        assert "secure" in cookie.lower()


def _entered_over_https(live) -> tuple[bool, bool]:
    """(HSTS sent, pupil cookie Secure) for a pupil's entry page that a proxy says came over
    HTTPS."""
    _, token = live.city.school()
    response = httpx.get(f"{live.url}/p/{token}", headers={"x-forwarded-proto": "https"})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    return "strict-transport-security" in response.headers, "; secure" in cookie


def test_behind_a_trusted_proxy_https_brings_hsts_and_secure_cookies(live_server, serve_with):
    assert _entered_over_https(serve_with("--proxy-headers")) == (True, True)
    # A forwarded scheme counts only from the proxy's own address, never from anyone else,
    assert _entered_over_https(
        serve_with("--proxy-headers", "--forwarded-allow-ips", "10.9.9.9")
    ) == (False, False)
    # and not at all unless the service was told it runs behind a proxy.
    assert _entered_over_https(live_server) == (False, False)


def test_a_report_page_is_never_stored_by_the_browser(client, city):
    school, token = city.school()
    sent = send_report(client, token, city.db)
    assert sent.headers["cache-control"] == "no-store"
    thread = client.post(f"/p/{token}", data={"step": "open", "code": return_code_in(sent.text)})
    assert thread.headers["cache-control"] == "no-store"
    team = city.staff("school_team", school)
    log_in(client, team)
    (report,) = inbox(city.db, team)
    page = client.get(f"/staff/reports/{report.id}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"


def test_sqlite_is_not_left_locked_by_the_matrix(settings):
    """The snapshot restores above write through the app's own file: it must still open."""
    db = connect(settings.db_path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert isinstance(db.conn, sqlite3.Connection)
