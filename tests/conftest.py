"""Fixtures: `db` (in-memory, migrated), `client` (the app in-process), `live_server` (uvicorn
on a free loopback port with a temporary SQLite file) and `page` (Debian's Chromium through
Playwright, a fresh browser context per test)."""

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlite_utils import Database
from starlette.testclient import TestClient

from school_report import codes
from school_report.cores import cores_per_process
from school_report.db import connect
from school_report.migrations import migrate
from tests.support import CHROMIUM, SECRET, City
from web.app import create_app
from web.config import Settings

# Hypothesis's deadline and its "too slow" health check time each example on the wall clock: on
# a machine busy with other work the same example takes several times longer, and the property
# test fails though nothing is wrong. The properties are about results, never about speed.
hypothesis_settings.register_profile(
    "school-report", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("school-report")


def _fresh_argon2_threads() -> None:
    """`make mutants` runs each mutant in a fork of the test process: the argon2 threads do not
    survive a fork, and a pool that believes it still has them waits for ever."""
    codes._HASHERS = ThreadPoolExecutor(cores_per_process(), thread_name_prefix="argon2")


os.register_at_fork(after_in_child=_fresh_argon2_threads)


@pytest.fixture
def db() -> Database:
    database = connect(":memory:")
    migrate(database)
    return database


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db_path=tmp_path / "school-report.db", secret=SECRET)


@pytest.fixture
def client(settings: Settings):
    with TestClient(create_app(settings), headers={"origin": "http://testserver"}) as test_client:
        yield test_client


@pytest.fixture
def city(settings: Settings, client) -> City:
    """The city behind `client` (the app has created and migrated the database)."""
    return City(connect(settings.db_path), settings.secret)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    city: City
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()


def start_server(home: Path, *options: str) -> tuple[LiveServer, subprocess.Popen]:
    """`school-admin serve [options]` on a free loopback port with a database in `home`, once
    it answers /healthz; its output goes to `home/server.log`."""
    db_path = home / "school-report.db"
    port = _free_port()
    log_path = home / "server.log"
    env = {
        **os.environ,
        "SCHOOL_REPORT_SECRET": SECRET,
        "SCHOOL_REPORT_BASE_URL": f"http://127.0.0.1:{port}",
    }
    connect(db_path).close()  # `serve` works on a database that exists (`init` creates one)
    command = [sys.executable, "-m", "school_admin", "serve", "--db", str(db_path)]
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [*command, "--port", str(port), *options],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    _wait_until_healthy(url, server)
    return LiveServer(url, City(connect(db_path), SECRET), log_path), server


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """`school-admin serve` as a real process, as an installation runs it."""
    live, server = start_server(tmp_path_factory.mktemp("live"))
    try:
        yield live
    finally:
        _stop(server)


@pytest.fixture
def serve_with(tmp_path_factory):
    """Start `school-admin serve` with more options (`serve_with("--proxy-headers")`), each
    with its own database; all are stopped after the test."""
    servers = []

    def serve(*options: str) -> LiveServer:
        live, server = start_server(tmp_path_factory.mktemp("served"), *options)
        servers.append(server)
        return live

    yield serve
    for server in servers:
        _stop(server)


# How long a browser step or a server start may take before the test fails. Generous: these are
# waits until something is true, so a passing test never waits them out, and on a machine busy
# with other work (a full suite on 2 cores, other jobs) a page can take seconds.
PATIENCE_SECONDS = 30


def _wait_until_healthy(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 2 * PATIENCE_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited at start")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not answer /healthz in time")


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=PATIENCE_SECONDS * 1000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


def new_page(chromium, width: int = 1024, height: int = 768, locale: str = "ja-JP"):
    context = chromium.new_context(viewport={"width": width, "height": height}, locale=locale)
    context.set_default_timeout(PATIENCE_SECONDS * 1000)
    return context.new_page()


@pytest.fixture
def page(chromium):
    """A tablet-sized page in a fresh browser context (its own cookies)."""
    tab = new_page(chromium)
    yield tab
    tab.context.close()
