"""The deployment the README describes, run: Debian's Caddy with `deploy/Caddyfile` (its own CA)
terminates HTTPS on loopback in front of `school-admin serve --proxy-headers`. Pupils and staff
get HSTS and Secure cookies, the app sees the real scheme, an oversized body stops at the proxy,
and the systemd unit's command is one the command line accepts."""

import configparser
import os
import shlex
import shutil
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from school_admin.cli import build_parser
from school_report.admin_log import COMMAND_LINE
from school_report.db import connect
from school_report.migrations import migrate
from school_report.settings import set_base_url
from tests.conftest import LiveServer, _free_port, _wait_until_healthy
from tests.support import SECRET, City, csrf_token_in, log_in, send_report

ROOT = Path(__file__).parent.parent
CADDY = shutil.which("caddy")


@pytest.fixture(scope="module")
def app_at(tmp_path_factory):
    """`school-admin serve --proxy-headers` on loopback with `public` stored as its address
    (and no SCHOOL_REPORT_BASE_URL), as the README's deployment runs it."""
    started = []

    def start(public: str) -> LiveServer:
        tmp_path = tmp_path_factory.mktemp("app")
        db_path = tmp_path / "var" / "school-report.db"
        db = connect(db_path)
        migrate(db)
        set_base_url(db, public, COMMAND_LINE)
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCHOOL_REPORT_")}
        log_path = tmp_path / "server.log"
        command = [sys.executable, "-m", "school_admin", "serve", "--db", str(db_path)]
        command += ["--port", str(port), "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"]
        server = subprocess.Popen(
            command,
            env={**env, "SCHOOL_REPORT_SECRET": SECRET},
            stdout=log_path.open("w"),
            stderr=subprocess.STDOUT,
        )
        started.append(server)
        url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(url, server)
        return LiveServer(url, City(db, SECRET), log_path)

    yield start
    for server in started:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def behind_caddy(app_at, tmp_path_factory):
    """The app behind Caddy; yields (the public https address, the app, a client trusting
    Caddy's CA)."""
    if CADDY is None:
        pytest.fail("caddy is missing: `make test` installs Debian's caddy")
    tmp_path = tmp_path_factory.mktemp("caddy")
    https_port = _free_port()
    public = f"https://localhost:{https_port}"
    app = app_at(public)
    env = {
        **os.environ,
        "SCHOOL_REPORT_SITE": "localhost",
        "SCHOOL_REPORT_TLS": "internal",
        "SCHOOL_REPORT_APP": app.url.removeprefix("http://"),
        "SCHOOL_REPORT_HTTP_PORT": str(_free_port()),
        "SCHOOL_REPORT_HTTPS_PORT": str(https_port),
        "SCHOOL_REPORT_CADDY_DATA": str(tmp_path / "caddy"),
        "HOME": str(tmp_path),
    }
    command = [CADDY, "run", "--config", str(ROOT / "deploy" / "Caddyfile")]
    caddy = subprocess.Popen(
        [*command, "--adapter", "caddyfile"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "caddy.log").open("w"),
    )
    try:
        root_ca = tmp_path / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        client = _when_answering(public, root_ca, caddy)
        try:
            yield public, app, client
        finally:
            client.close()
    finally:
        caddy.terminate()
        caddy.wait(timeout=10)


def _when_answering(public: str, root_ca: Path, caddy: subprocess.Popen) -> httpx.Client:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert caddy.poll() is None, "caddy exited at start"
        if root_ca.exists():
            trust = ssl.create_default_context(cafile=str(root_ca))
            client = httpx.Client(
                base_url=public, verify=trust, headers={"origin": public}, follow_redirects=True
            )
            try:
                if client.get("/healthz").status_code == 200:
                    return client
            except httpx.HTTPError:
                pass
            client.close()
        time.sleep(0.2)
    raise RuntimeError("caddy did not answer in time")


def test_pupils_reach_the_app_over_https_with_hsts_and_secure_cookies(behind_caddy):
    _, app, browser = behind_caddy
    _, token = app.city.school()
    page = browser.get(f"/p/{token}")
    assert page.status_code == 200 and page.url.scheme == "https"
    assert page.headers["strict-transport-security"].startswith("max-age=")
    sent = send_report(browser, token, app.city.db, key="over-tls")
    assert sent.status_code == 200 and "code-word" in sent.text
    login = browser.get("/staff/login")
    cookies = login.headers.get_list("set-cookie")
    assert cookies and all("Secure" in cookie for cookie in cookies)


def test_the_app_sees_the_scheme_the_pupil_used(behind_caddy):
    """The school page warns when it is opened at another address than the posters carry;
    through Caddy it is opened at the public https address, so it says nothing."""
    public, app, browser = behind_caddy
    school, _ = app.city.school()
    log_in(browser, app.city.staff("admin"))
    page = browser.get(f"/staff/admin/schools/{school.id}").text
    assert f"{public}/p/" in page and "address-warning" not in page


def test_an_oversized_body_is_refused_at_the_proxy(behind_caddy):
    _, app, browser = behind_caddy
    _, token = app.city.school()
    csrf = csrf_token_in(browser.get("/staff/login").text)
    before = app.log()
    huge = browser.post(
        f"/p/{token}", data={"csrf_token": csrf, "body": "あ" * 1_000_000, "step": "send"}
    )
    assert huge.status_code == 413
    assert app.log() == before  # the app never saw it


def test_the_systemd_unit_runs_a_command_the_command_line_accepts():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(ROOT / "deploy" / "school-report.service")
    command = shlex.split(unit["Service"]["ExecStart"])
    assert Path(command[0]).name == "school-admin"
    args = build_parser().parse_args(command[1:])
    assert args.command == "serve" and args.proxy_headers and args.replicate
    assert args.host == "127.0.0.1"
    assert unit["Service"]["LimitCORE"] == "0"  # no core dump holds pooled return codes
