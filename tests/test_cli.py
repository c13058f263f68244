"""`school-admin`, as an installer uses it: each command works, and every mistake is one line
on stderr with exit status 2, never a traceback."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from school_report.db import connect
from school_report.schools import find_school, school_for_entry_token


@pytest.fixture
def admin(tmp_path):
    db_path = tmp_path / "var" / "city.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHOOL_REPORT_")}

    def run(*args, password=None):
        extra = {"SCHOOL_REPORT_NEW_PASSWORD": password} if password else {}
        return subprocess.run(
            [sys.executable, "-m", "school_admin", *args, "--db", str(db_path)],
            capture_output=True,
            text=True,
            env={**env, **extra},
            stdin=subprocess.DEVNULL,
        )

    run.db_path = db_path
    return run


def assert_refused(result, words):
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert words in result.stderr


def test_init_creates_the_database_and_a_private_secret_once(admin):
    first = admin("init")
    assert first.returncode == 0 and "secret" in first.stdout
    secret = admin.db_path.parent / "secret.key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    before = secret.read_text()
    assert admin("init").returncode == 0
    assert secret.read_text() == before


def test_demo_prints_working_pupil_links_and_the_staff_logins(admin):
    result = admin("demo")
    assert result.returncode == 0, result.stderr
    links = [line.split(": ", 1)[1] for line in result.stdout.splitlines() if "/p/" in line]
    assert len(links) == 2 and all(link.startswith("http://127.0.0.1:8000/p/") for link in links)
    db = connect(admin.db_path)
    assert all(school_for_entry_token(db, link.rsplit("/", 1)[1]) for link in links)
    for login in ("centre", "admin", "nurse1", "team1", "nurse2", "team2"):
        assert login in result.stdout
    again = admin("demo")
    assert [line for line in again.stdout.splitlines() if "/p/" in line] == [
        line for line in result.stdout.splitlines() if "/p/" in line
    ]


def test_demo_refuses_a_database_of_a_real_city(admin):
    admin("init")
    admin("school", "add", "ひがし小学校", "--kind", "elementary")
    assert_refused(admin("demo"), "ひがし小学校")
    db = connect(admin.db_path)
    assert db.execute("SELECT count(*) FROM staff").fetchone() == (0,)
    assert find_school(db, "みなみ小学校") is None


def test_demo_refuses_a_database_with_a_real_account_even_one_called_admin(admin):
    admin("init")
    assert (
        admin("staff", "add", "admin", "--role", "admin", password="the installer's own").returncode
        == 0
    )
    assert_refused(admin("demo"), "'admin'")
    assert connect(admin.db_path).execute("SELECT count(*) FROM staff").fetchone() == (1,)


def make_run_commands(db_path):
    """What `make run` would do, without doing it."""
    result = subprocess.run(
        ["make", "-n", "run", f"DB={db_path}"],
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_adds_the_demo_city_only_to_a_database_that_does_not_exist(admin):
    assert "school-admin demo" in make_run_commands(admin.db_path)
    admin("init")
    commands = make_run_commands(admin.db_path)
    assert "school-admin demo" not in commands
    assert f"school-admin serve --db {admin.db_path}" in commands


def test_the_command_line_is_built_from_small_pieces():
    import inspect

    from school_admin import cli

    assert len(inspect.getsource(cli.build_parser).splitlines()) < 60


def test_schools_are_added_listed_and_their_link_printed_with_a_qr_code(admin):
    admin("init")
    assert admin("school", "add", "ひがし小学校", "--kind", "elementary").returncode == 0
    assert "ひがし小学校" in admin("school", "list").stdout
    shown = admin("school", "link", "ひがし小学校")
    url = shown.stdout.splitlines()[1]
    assert url.startswith("http://127.0.0.1:8000/p/")
    assert "█" in shown.stdout  # the QR code, drawn in the terminal
    assert admin("school", "link", "ひがし小学校").stdout.splitlines()[0] == url


def test_rotating_a_link_kills_the_old_one_at_once(admin):
    admin("init")
    admin("school", "add", "にし中学校", "--kind", "junior_high")
    old = admin("school", "link", "にし中学校").stdout.splitlines()[1].rsplit("/", 1)[1]
    rotated = admin("school", "link", "にし中学校", "--rotate").stdout.splitlines()
    new = rotated[1].rsplit("/", 1)[1]
    db = connect(admin.db_path)
    assert school_for_entry_token(db, old) is None
    assert school_for_entry_token(db, new) == find_school(db, "にし中学校")


def test_staff_accounts_are_added_and_listed(admin):
    admin("init")
    admin("school", "add", "みなみ小学校", "--kind", "elementary")
    added = admin(
        "staff",
        "add",
        "sato",
        "--role",
        "nurse",
        "--school",
        "みなみ小学校",
        password="a long pass phrase",
    )
    assert added.returncode == 0, added.stderr
    assert (
        admin(
            "staff", "add", "centre1", "--role", "centre", password="a long pass phrase"
        ).returncode
        == 0
    )
    listed = admin("staff", "list").stdout
    assert "sato" in listed and "みなみ小学校" in listed and "centre1" in listed
    named = admin("staff", "supervisor", "centre1")
    assert named.returncode == 0 and "approves or returns" in named.stdout
    db = connect(admin.db_path)
    assert db.execute("SELECT supervisor FROM staff WHERE login = 'centre1'").fetchone() == (1,)
    assert admin("staff", "supervisor", "centre1", "--off").returncode == 0
    assert db.execute("SELECT supervisor FROM staff WHERE login = 'centre1'").fetchone() == (0,)


@pytest.mark.parametrize(
    ("args", "password", "words"),
    [
        (("school", "add", "x"), None, "--kind"),
        (("school", "add", "x", "--kind", "kindergarten"), None, "invalid choice"),
        (("school", "link", "nowhere"), None, "no school named"),
        (("staff", "add", "a", "--role", "janitor"), "a long pass phrase", "invalid choice"),
        (("staff", "add", "a", "--role", "nurse"), "a long pass phrase", "--school"),
        (("staff", "add", "a", "--role", "centre"), "short", "at least"),
        (("staff", "add", "a", "--role", "centre"), None, "SCHOOL_REPORT_NEW_PASSWORD"),
        (("frobnicate",), None, "invalid choice"),
        (("serve", "--port", "99999"), None, "1 to 65535"),
        (("serve", "--port", "http"), None, "1 to 65535"),
        (("serve", "--workers", "0"), None, "1 to 32"),
        (("serve", "--workers", "２"), None, "1 to 32"),
        (("legal-hold", "9999"), None, "no report 9999"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(admin, args, password, words):
    admin("init")
    assert_refused(admin(*args, password=password), words)


def test_a_duplicate_school_is_refused(admin):
    admin("init")
    admin("school", "add", "ひがし小学校", "--kind", "elementary")
    assert_refused(admin("school", "add", "ひがし小学校", "--kind", "elementary"), "already")


def test_serve_refuses_to_start_without_a_secret(admin):
    connect(admin.db_path).close()
    assert_refused(admin("serve"), "no signing secret")


@pytest.mark.parametrize(
    "command",
    [
        ("init",),
        ("demo",),
        ("serve",),
        ("school", "add"),
        ("school", "list"),
        ("school", "link"),
        ("staff", "add"),
        ("staff", "list"),
        ("staff", "reset-2fa"),
        ("backup",),
        ("restore",),
        ("purge",),
        ("legal-hold",),
        ("stats",),
    ],
)
def test_every_command_explains_itself(admin, command):
    result = admin(*command, "--help")
    assert result.returncode == 0 and "--db" in result.stdout
