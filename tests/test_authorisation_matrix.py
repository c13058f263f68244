"""The authorisation matrix: every route of the app × every kind of visitor × objects of their
own and of another school or recipient → the status the rules below expect. A refusal changes
nothing in the database. The routes are read from the app's own table, so a route without a
rule here fails the test: whoever adds a route says here who may use it.

Every response met on the way also carries the security headers.
"""

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from school_report.backup import restore_backup, take_backup
from school_report.db import connect
from school_report.reports import submit_report
from tests.support import City, inbox, log_in, return_code_in, send_report, topic_id
from web import app as web_app
from web.app import create_app

ALLOWED = "allowed"  # passes authorisation: any status but 403/404/5xx or a login redirect
LOGIN = "login"  # sent to the login page
SOFT = "soft"  # a pupil step that shows the code form again (200/400): nothing written

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

# The objects each kind of path parameter is tried with.
OBJECTS = {
    "report_id": ("nurse_report_A", "team_report_A", "centre_report_A", "team_report_B"),
    "school_id": ("school_A", "school_B"),
    "staff_id": ("staff_A", "staff_B"),
    "topic_id": ("topic",),
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


def reports_in_inbox(actor, report):
    """The recipient the pupil chose, at the report's school (the centre: any school)."""
    if actor in ("anonymous", "pupil"):
        return LOGIN
    recipient, school = report.rsplit("_", 1)
    seen = {
        "nurse": ("nurse", "A"),
        "school_team": ("team", "A"),
        "other_nurse": ("nurse", "B"),
    }
    if actor == "centre":
        return ALLOWED if recipient == "centre_report" else 404
    return ALLOWED if seen.get(actor) == (recipient.removesuffix("_report"), school) else 404


def school_of_administrator(*, city_admin_only: bool = False) -> Expect:
    """The city admin: any school; a school's administrator: their own (another's is 404)."""

    def expect(actor, obj):
        if actor in ("anonymous", "pupil"):
            return LOGIN
        if role(actor) == "admin":
            return ALLOWED
        if role(actor) != "school_admin" or city_admin_only:
            return 403
        return ALLOWED if obj.endswith(SCHOOL_OF[actor]) else 404

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
    ("GET", "/staff/reports/{report_id:int}"): reports_in_inbox,
    ("POST", "/staff/reports/{report_id:int}/reply"): reports_in_inbox,
    ("POST", "/staff/reports/{report_id:int}/unread"): reports_in_inbox,
    ("POST", "/staff/reports/{report_id:int}/case/{action}"): reports_in_inbox,
    ("POST", "/staff/reports/{report_id:int}/hand-over"): reports_in_inbox,
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
    ("GET", "/staff/admin"): staff_only("admin", "school_admin"),
    ("GET", "/staff/admin/log"): staff_only("admin", "school_admin"),
    ("GET", "/staff/admin/schools"): staff_only("admin"),
    ("POST", "/staff/admin/schools"): staff_only("admin"),
    ("GET", "/staff/admin/schools/{school_id:int}"): school_of_administrator(),
    ("POST", "/staff/admin/schools/{school_id:int}"): school_of_administrator(city_admin_only=True),
    ("POST", "/staff/admin/schools/{school_id:int}/active"): school_of_administrator(
        city_admin_only=True
    ),
    ("POST", "/staff/admin/schools/{school_id:int}/link"): school_of_administrator(),
    ("GET", "/staff/admin/schools/{school_id:int}/poster"): school_of_administrator(),
    ("GET", "/staff/admin/staff"): staff_only("admin", "school_admin"),
    ("POST", "/staff/admin/staff"): staff_only("admin", "school_admin"),
    ("GET", "/staff/admin/staff/{staff_id:int}"): school_of_administrator(),
    ("POST", "/staff/admin/staff/{staff_id:int}"): school_of_administrator(),
    ("POST", "/staff/admin/staff/{staff_id:int}/active"): school_of_administrator(),
    ("POST", "/staff/admin/staff/{staff_id:int}/review"): school_of_administrator(),
    ("POST", "/staff/admin/staff/{staff_id:int}/password"): school_of_administrator(),
    ("POST", "/staff/admin/staff/{staff_id:int}/two-factor"): school_of_administrator(),
    ("GET", "/staff/admin/topics"): staff_only("admin"),
    ("GET", "/staff/admin/topics/preview"): staff_only("admin"),
    ("GET", "/staff/admin/topics/{topic_id:int}"): staff_only("admin"),
    ("POST", "/staff/admin/topics/{topic_id:int}"): staff_only("admin"),
    ("POST", "/staff/admin/recipients/{slug}"): staff_only("admin"),
    ("GET", "/staff/admin/settings"): staff_only("admin"),
    ("POST", "/staff/admin/settings/{section}"): staff_only("admin"),
}


def route_table() -> list[tuple[str, str]]:
    """(method, path) of every route the app serves, read from its route table."""
    found = []
    for route in web_app.routes:
        if isinstance(route, Mount):
            found.append(("GET", route.path))
        elif isinstance(route, Route):
            found.extend((method, route.path) for method in sorted(route.methods - {"HEAD"}))
    return found


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
    ids = {
        **{name: str(report_id) for name, report_id in reports.items()},
        "school_A": str(school_a.id),
        "school_B": str(school_b.id),
        "staff_A": str(city.staff("nurse", school_a).id),
        "staff_B": str(city.staff("nurse", school_b).id),
        "topic": str(topic_id(city.db, "friends")),
        "nurse": "nurse",
        "hours": "hours",
        "note": "note",
        "token_A": token_a,
        "token_B": token_b,
        "forged": "not-a-school-link",
        "csv": "csv",
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
    if response.status_code in (403, 404) or response.status_code >= 500:
        return response.status_code
    return ALLOWED


def _cells(db) -> list:
    tables = [
        row[0]
        for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if row[0] not in ("staff_sessions", "login_failures", "code_failures")
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
    if headers.get("referrer-policy") != "no-referrer":
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


def test_every_route_refuses_whoever_its_rule_refuses_and_a_refusal_changes_nothing(
    matrix_client, city, settings, tmp_path
):
    client = matrix_client
    world = _arrange(client, city)
    snapshot = tmp_path / "snapshot.db"
    take_backup(city.db, snapshot)
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
                expected = expect(actor, obj)
                _use(client, world.cookies[actor])
                if method == "POST":
                    before, sessions = _cells(city.db), _sessions(city.db)
                if method == "POST":
                    form = {"csrf_token": csrf.get(actor, ""), "step": "write", "body": "x"}
                    response = client.post(path, data=form, follow_redirects=False)
                else:
                    response = client.get(path, follow_redirects=False)
                got = _outcome(response)
                if expected == SOFT:
                    got = SOFT if response.status_code in (200, 400) else got
                if got != expected:
                    mismatches.append(f"{method} {filled} as {actor}: {got}, expected {expected}")
                header_problems.update(
                    f"{method} {template}: {p}" for p in _check_headers(path, response)
                )
                if method != "POST":
                    continue
                wrote = _cells(city.db) != before
                if expected != ALLOWED and wrote:
                    mismatches.append(f"{method} {filled} as {actor}: refused but wrote")
                if wrote or _sessions(city.db) != sessions:
                    # Undo what the post did (a logout, too), so each check meets the same world.
                    restore_backup(city.db, snapshot)
    assert not mismatches, "\n".join(mismatches)
    assert not header_problems, sorted(header_problems)


def test_hsts_is_sent_only_when_the_service_is_reached_over_https(settings):
    with TestClient(create_app(replace(settings, https=True)), base_url="https://testserver") as c:
        assert "max-age=" in c.get("/").headers["strict-transport-security"]
        assert "max-age=" in c.get("/static/app.css").headers["strict-transport-security"]
        cookie = c.post(
            "/staff/language",
            data={"language": "en"},
            headers={"origin": "https://testserver"},
            follow_redirects=False,
        ).headers["set-cookie"]
        assert "secure" in cookie.lower()


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
