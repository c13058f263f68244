"""The service's public address, stored once by the city: every printed link, QR code, poster
and mail carries it; SCHOOL_REPORT_BASE_URL still overrides it; and whoever is about to print
or serve is told when it is missing or points elsewhere."""

import os
import subprocess
import sys

import pytest
import segno

from school_admin.cli import _address_warning, build_parser
from school_report.admin_log import COMMAND_LINE
from school_report.db import connect
from school_report.migrations import migrate
from school_report.notifications import set_mail_server, set_mail_settings
from school_report.refused import Refused
from school_report.reports import submit_report
from school_report.schools import add_school
from school_report.settings import base_url, set_base_url
from school_report.staff import add_staff
from tests.mailbox import mailbox_fixture  # noqa: F401
from tests.support import PASSWORD, SECRET, log_in, topic_id
from web.config import Settings
from web.qr import qr_data_uri

CITY = "https://report.city.example"


@pytest.fixture
def admin(tmp_path):
    """`school-admin` as a subprocess, with no SCHOOL_REPORT_* variable unless a test sets it."""
    db_path = tmp_path / "var" / "city.db"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SCHOOL_REPORT_")}

    def run(*args, env=None):
        return subprocess.run(
            [sys.executable, "-m", "school_admin", *args, "--db", str(db_path)],
            capture_output=True,
            text=True,
            env={**clean, **(env or {})},
            stdin=subprocess.DEVNULL,
        )

    run.db_path = db_path
    return run


def printed_link(result) -> str:
    return next(line for line in result.stdout.splitlines() if "/p/" in line)


def test_the_stored_address_is_in_every_printed_link_and_the_variable_overrides_it(admin):
    assert admin("init", "--base-url", f"{CITY}/").returncode == 0
    assert admin("school", "add", "みなみ小学校", "--kind", "elementary").returncode == 0
    link = admin("school", "link", "みなみ小学校")
    assert link.returncode == 0 and link.stderr == ""
    assert printed_link(link).startswith(f"{CITY}/p/")
    elsewhere = admin(
        "school", "link", "みなみ小学校", env={"SCHOOL_REPORT_BASE_URL": "https://x.example"}
    )
    assert printed_link(elsewhere).startswith("https://x.example/p/")


def test_a_link_printed_with_no_address_stored_comes_with_a_warning(admin):
    admin("init")
    admin("school", "add", "みなみ小学校", "--kind", "elementary")
    link = admin("school", "link", "みなみ小学校")
    assert printed_link(link).startswith("http://127.0.0.1:8000/p/")
    assert "no public address" in link.stderr


def test_a_demo_prints_its_links_at_the_address_it_was_given(admin):
    demo = admin("demo", "--base-url", "http://10.0.0.5:8000")
    assert demo.returncode == 0, demo.stderr
    links = [line for line in demo.stdout.splitlines() if "/p/" in line]
    assert len(links) == 2 and all("http://10.0.0.5:8000/p/" in line for line in links)


@pytest.mark.parametrize(
    "url", ["report.city.example", "ftp://report.city.example", "https://a b", "https://x/?q=1"]
)
def test_an_address_that_is_not_one_is_refused_with_nothing_stored(admin, url):
    refused = admin("init", "--base-url", url)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    db = connect(admin.db_path)
    assert base_url(db) == ""


def _serve_args(*extra):
    return build_parser().parse_args(["serve", *extra])


def test_serve_warns_when_the_address_is_unset_or_not_where_it_listens():
    unset = Settings(db_path=None, secret=SECRET)
    assert "no public address" in _address_warning(unset, _serve_args())
    here = Settings(None, SECRET, base_url="http://10.0.0.5:8000", base_url_source="stored")
    assert _address_warning(here, _serve_args("--host", "10.0.0.5")) is None
    assert "not where this server listens" in _address_warning(here, _serve_args())
    city = Settings(None, SECRET, True, CITY, "stored")
    assert "not where" in _address_warning(city, _serve_args())
    assert _address_warning(city, _serve_args("--proxy-headers")) is None


def test_the_admin_stores_the_address_and_the_school_page_warns_until_then(client, city):
    school, token = city.school()
    csrf = log_in(client, city.staff("admin"))
    page = client.get(f"/staff/admin/schools/{school.id}").text
    assert "address-warning" in page and f"http://127.0.0.1:8000/p/{token}" in page
    refused = client.post(
        "/staff/admin/settings/address", data={"csrf_token": csrf, "base_url": "report"}
    )
    assert refused.status_code == 400 and base_url(city.db) == ""
    saved = client.post(
        "/staff/admin/settings/address",
        data={"csrf_token": csrf, "base_url": CITY},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and base_url(city.db) == CITY
    page = client.get(f"/staff/admin/schools/{school.id}").text
    url = f"{CITY}/p/{token}"
    assert f'href="{url}"' in page and qr_data_uri(url) in page
    # Reached at http://testserver, the page says the posters carry another address.
    assert "address-warning" in page and "http://testserver" in page
    poster = client.get(f"/staff/admin/schools/{school.id}/poster").text
    assert url in poster and qr_data_uri(url, 10) in poster


def test_the_qr_code_on_the_poster_encodes_the_stored_address(client, city):
    school, token = city.school()
    set_base_url(city.db, CITY, COMMAND_LINE)
    log_in(client, city.staff("admin"))
    poster = client.get(f"/staff/admin/schools/{school.id}/poster").text
    expected = segno.make(f"{CITY}/p/{token}", error="m").svg_data_uri(scale=10, border=4)
    assert expected in poster


def test_the_address_must_be_an_http_origin():
    db = connect(":memory:")
    migrate(db)
    for wrong in ("javascript:alert(1)", "https://user@x.example", "https://x.example#a", ""):
        with pytest.raises(Refused):
            set_base_url(db, wrong, COMMAND_LINE)
    set_base_url(db, "https://report.city.example/school-report/", COMMAND_LINE)
    assert base_url(db) == "https://report.city.example/school-report"


def test_mail_sent_by_the_command_links_to_the_stored_address(tmp_path, mailbox):
    db_path = tmp_path / "city.db"
    db = connect(db_path)
    migrate(db)
    school = add_school(db, "きた小学校", "elementary")
    set_base_url(db, CITY, COMMAND_LINE)
    set_mail_server(db, "127.0.0.1", mailbox.port, False, "")
    nurse = add_staff(db, "nurse1", PASSWORD, "nurse", school)
    set_mail_settings(db, nurse, "n@city.example", "immediate")
    submit_report(db, school, topic_id(db, "feelings"), "nurse", "たすけて", submission_key="k1")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHOOL_REPORT_")}
    env["SCHOOL_REPORT_SECRET"] = SECRET
    command = [sys.executable, "-m", "school_admin", "send-mail", "--db", str(db_path)]
    sent = subprocess.run(command, capture_output=True, text=True, env=env)
    assert "mail sent: 1" in sent.stdout, sent.stderr
    assert f"{CITY}/staff" in mailbox.mails[0].text
    assert ":8000" not in mailbox.mails[0].text
