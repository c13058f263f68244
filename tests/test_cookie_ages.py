"""Every signed cookie is refused past its age, by the server and not only by the browser: a
tablet's clock, a copied cookie or a browser that ignores Max-Age must not keep a pupil's
thread open. The signer's clock is moved on (the server's own records are not), so only the
cookie's age can refuse it; a moment before its age it still works, so the test measures the
limit and not just "some time later".

Each signed cookie of `web.sessions` is in AGES below, so a new one cannot escape."""

import re
import time
from pathlib import Path

import pytest
from itsdangerous.timed import TimestampSigner

from school_report.pupil_sessions import PUPIL_IDLE_SECONDS
from tests.support import DEVICES, post_code_form, post_login_form, return_code_in, send_report
from web import sessions
from web.sessions import LOGIN_PENDING_SECONDS

# Signer namespace -> the age past which the server refuses the cookie. The staff session is
# the exception: its cookie names a session the server keeps and ends itself (idle and
# lifetime, test_staff_security), so the cookie carries no age of its own.
AGES = {
    "pupil": PUPIL_IDLE_SECONDS,
    "staff-login": LOGIN_PENDING_SECONDS,
    "staff": None,
}


@pytest.fixture
def signer_clock(monkeypatch):
    """Move the clock itsdangerous signs and checks cookies by, and nothing else."""

    def move_to(seconds_later: int) -> None:
        monkeypatch.setattr(
            TimestampSigner, "get_timestamp", lambda self: int(time.time()) + seconds_later
        )

    return move_to


def test_every_signed_cookie_has_an_age_here():
    source = Path(sessions.__file__).read_text(encoding="utf-8")
    namespaces = set(re.findall(r'_serializer\(request, "([^"]+)"\)', source))
    assert namespaces == set(AGES)


def _pupil_with_thread_in_english(client, city):
    _, token = city.school()
    sent = send_report(client, token, city.db, recipient="nurse", body="ともだちが こわい")
    client.post(f"/p/{token}", data={"step": "open", "code": return_code_in(sent.text)})
    client.post(f"/p/{token}", data={"language": "en", "here": "thread"})
    return token


def _writes(city) -> int:
    return city.db.execute("SELECT count(*) FROM messages").fetchone()[0]


def _pupil_cookie_works(client, city, token) -> tuple[bool, bool]:
    """(the page is still in the pupil's language, the thread still takes a message)."""
    cookies = dict(client.cookies)
    english = '<html lang="en"' in client.get(f"/p/{token}").text
    client.cookies.clear()
    client.cookies.update(cookies)
    before = _writes(city)
    client.post(f"/p/{token}", data={"step": "write", "body": "まだ いますか"})
    wrote = _writes(city) > before
    client.cookies.clear()
    client.cookies.update(cookies)
    return english, wrote


@pytest.mark.parametrize(
    ("seconds_later", "works"),
    [(AGES["pupil"] - 10, True), (AGES["pupil"] + 10, False), (24 * 3600, False)],
)
def test_the_pupil_cookie_is_refused_past_its_age(client, city, signer_clock, seconds_later, works):
    token = _pupil_with_thread_in_english(client, city)
    signer_clock(seconds_later)
    assert _pupil_cookie_works(client, city, token) == (works, works)


@pytest.mark.parametrize(
    ("seconds_later", "works"),
    [(AGES["staff-login"] - 10, True), (AGES["staff-login"] + 10, False)],
)
def test_the_pending_login_cookie_is_refused_past_its_age(
    client, city, signer_clock, seconds_later, works
):
    centre = city.staff("centre")
    assert post_login_form(client, centre.login, follow_redirects=False).status_code == 303
    signer_clock(seconds_later)
    code_page = client.get("/staff/login/code", follow_redirects=False)
    assert (code_page.status_code == 200) is works
    response = post_code_form(client, DEVICES[centre.login].next_code(), follow_redirects=False)
    assert (response.headers["location"] == "/staff") is works
