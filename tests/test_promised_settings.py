"""What the README promises about every response and every database connection, compared whole
with one expected table: a directive dropped from the policy, a header missing from an error
page or a pragma weakened fails here, not only the three we happened to think of."""

from dataclasses import replace

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from school_report.db import BUSY_TIMEOUT_MS, connect
from tests.support import form_token, log_in, send_report
from web.app import create_app

# The Content-Security-Policy, directive by directive: nothing from another host, no inline
# script or style, no form posted elsewhere, no framing, no <base> to redirect relative links.
POLICY = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
}
# Every other security header, on every response (pages, fragments, errors, redirects).
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",  # this site's own posts carry their Origin
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
PAGE_CACHE = "no-store"  # pages show reports and codes
STATIC_CACHE = "public, max-age=31536000, immutable"  # versioned files only
HSTS = "max-age=63072000; includeSubDomains"  # only over HTTPS
# The security headers a response may carry: any other header of these names is a finding.
SECURITY_HEADER_NAMES = {"content-security-policy", "strict-transport-security", *HEADERS}

# The connection every part of the service opens (`school_report.db.connect`).
PRAGMAS = {
    "journal_mode": "wal",  # pupils write while staff read
    "synchronous": 2,  # FULL: a report a pupil was told is sent survives power loss
    "foreign_keys": 1,
    "secure_delete": 1,  # purged reports are overwritten, not left in free pages
    "busy_timeout": BUSY_TIMEOUT_MS,
}


def policy_of(header: str) -> dict[str, str]:
    directives = [part.strip() for part in header.split(";") if part.strip()]
    parsed = {d.split(" ", 1)[0]: d.split(" ", 1)[1] if " " in d else "" for d in directives}
    assert len(parsed) == len(directives), f"a directive given twice: {header}"
    return parsed


def security_headers_of(response) -> dict[str, str]:
    return {
        name: value
        for name, value in response.headers.items()
        if name in SECURITY_HEADER_NAMES or name == "cache-control"
    }


def expected(path: str, https: bool) -> dict[str, str]:
    cache = STATIC_CACHE if path.startswith("/static/") else PAGE_CACHE
    table = {**HEADERS, "cache-control": cache}
    if https:
        table["strict-transport-security"] = HSTS
    return table


def _boom(request):
    raise RuntimeError("an unexpected failure")


def responses_of_every_kind(client, city) -> dict[str, object]:
    """One response of each kind the service sends: pages, fragments, static files, redirects,
    refusals, a 404 and the error page of an unexpected exception."""
    school, token = city.school()
    nurse = city.staff("nurse", school)
    kinds = {
        "pupil page": client.get(f"/p/{token}"),
        "pupil fragment": client.get(f"/p/{token}", headers={"HX-Request": "true"}),
        "pupil sent": send_report(client, token, city.db, recipient="nurse"),
        "static file": client.get("/static/app.css"),
        "login page": client.get("/staff/login"),
        "login required": client.get("/staff", follow_redirects=False),
        "not found": client.get("/no/such/page"),
        "cross-site post": client.post(
            "/staff/login", data={"login": "x"}, headers={"origin": "https://evil.example"}
        ),
        "server error": client.get("/boom"),
        "server error fragment": client.get("/boom", headers={"HX-Request": "true"}),
        "health": client.get("/healthz"),
    }
    log_in(client, nurse)
    kinds["staff inbox"] = client.get("/staff")
    kinds["staff fragment"] = client.get("/staff", headers={"HX-Request": "true"})
    kinds["csrf refused"] = client.post("/staff/password", data={"csrf_token": "forged"})
    kinds["logout"] = client.post(
        "/staff/logout", data={"csrf_token": form_token(client, "/staff")}, follow_redirects=False
    )
    return kinds


@pytest.mark.parametrize(
    ("configured", "scheme"),
    [(False, "http"), (True, "https"), (False, "https")],
    ids=["http", "https", "https forwarded by a trusted proxy"],
)
def test_every_kind_of_response_carries_exactly_the_promised_headers(
    settings, city, configured, scheme
):
    """The third: the address is not configured as HTTPS, but uvicorn put a trusted proxy's
    scheme in the request (`serve --proxy-headers`)."""
    https = scheme == "https"
    app = create_app(replace(settings, https=configured))
    app.router.routes.append(Route("/boom", _boom))
    with TestClient(
        app,
        base_url=f"{scheme}://testserver",
        headers={"origin": f"{scheme}://testserver"},
        raise_server_exceptions=False,
    ) as client:
        kinds = responses_of_every_kind(client, city)
    assert kinds["server error"].status_code == 500 and kinds["not found"].status_code == 404
    wrong = {}
    for kind, response in kinds.items():
        path = response.request.url.path
        got = security_headers_of(response)
        policy = policy_of(got.pop("content-security-policy", ""))
        if policy != POLICY:
            wrong[f"{kind}: CSP"] = policy
        if got != expected(path, https):
            wrong[kind] = got
    assert not wrong, wrong


def test_the_policy_table_is_read_the_way_a_browser_reads_it():
    assert policy_of("default-src 'none'; form-action 'self'") == {
        "default-src": "'none'",
        "form-action": "'self'",
    }
    with pytest.raises(AssertionError):
        policy_of("form-action 'self'; form-action *")


def pragmas_of(db) -> dict[str, object]:
    return {name: db.execute(f"PRAGMA {name}").fetchone()[0] for name in PRAGMAS}


def test_every_connection_has_the_promised_pragmas(tmp_path):
    assert pragmas_of(connect(tmp_path / "school-report.db")) == PRAGMAS


def test_the_apps_own_connections_have_the_promised_pragmas(settings, client):
    """The connection a request's worker thread uses, not only the function that makes it."""
    assert pragmas_of(client.app.state.connections.get()) == PRAGMAS
