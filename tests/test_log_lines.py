"""Every line the service logs, tracebacks included, is free of what would let a reader of the
log act as a pupil or find one: a school's entry link, a return code, a staff member's e-mail
address, a pupil tablet's network address. The day below sends reports, opens a thread with its
code, fails inside a request with the link in the exception (and in the exception it was raised
from), and has the mail server refuse an address; then every captured record is formatted as a
log handler would, and read."""

import logging
import re

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from school_report.codes import parse_return_code
from school_report.notifications import send_due_mail, set_mail_settings
from tests.mailbox import mailbox_fixture, use_mail_server  # noqa: F401
from tests.support import log_in, return_code_in, send_report
from web.app import create_app

TABLET = ("203.0.113.7", 41000)  # a pupil tablet's address, as the server sees it
MAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


# The test's own tools log too (the pupil's side of HTTP, the mail server playing the city's):
# their lines are not the service's.
TEST_TOOLS = ("httpx", "httpx2", "httpcore", "mail.log", "asyncio", "hpack")


class AllLines(logging.Handler):
    """Keeps each record as a handler formats it: message, then traceback and stack."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not any(record.name == t or record.name.startswith(f"{t}.") for t in TEST_TOOLS):
            self.lines.append(self.format(record))


@pytest.fixture
def every_line():
    handler, root = AllLines(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(level)


def failing_with(link: str):
    """A route failing deep inside, with the link in its exception and in the one before."""

    def fail(request):
        try:
            raise KeyError(f"no thread behind {link}/thread")
        except KeyError as cause:
            raise RuntimeError(f"could not render {link}?step=open") from cause

    return fail


def test_no_log_line_holds_a_link_a_code_or_an_address(settings, city, mailbox, every_line):
    school, token = city.school()
    nurse = city.staff("nurse", school)
    set_mail_settings(city.db, nurse, "nurse.sato@city.example", "immediate")
    refused = city.staff("nurse", school)
    set_mail_settings(city.db, refused, "gone@city.example", "immediate")
    mailbox.refused.add("gone@city.example")
    use_mail_server(city.db, mailbox.port)
    link = f"/p/{token}"
    app = create_app(settings)
    app.router.routes.append(Route("/boom", failing_with(link)))
    app.router.routes.append(Route(f"{link}/boom", failing_with(link)))
    with TestClient(
        app,
        headers={"origin": "http://testserver"},
        raise_server_exceptions=False,
        client=TABLET,
    ) as client:
        sent = send_report(client, token, city.db, recipient="nurse", body="ともだちが こわい")
        code = return_code_in(sent.text)
        client.post(link, data={"step": "open", "code": code})
        client.post(link, data={"step": "open", "code": "ねこ 00・ねこ 00・ねこ 00"})
        assert client.get("/boom").status_code == 500
        assert client.get(f"{link}/boom", headers={"HX-Request": "true"}).status_code == 500
        client.get(f"{link}/no-such-step")
        log_in(client, nurse)
        send_due_mail(city.db, "http://testserver")
    lines = "\n".join(every_line)
    assert "Traceback" in lines and "could not render /p/…" in lines  # the failures were logged
    assert "refused" in lines or "550" in lines  # and so was the refused address
    assert token not in lines
    canonical = parse_return_code(code).canonical()
    assert code not in lines and canonical not in lines
    assert not MAIL_ADDRESS.search(lines), MAIL_ADDRESS.search(lines)
    assert TABLET[0] not in lines
