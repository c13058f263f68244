"""The sessions, each a signed cookie with its own signer namespace.

- staff: the browser holds a random session token, signed; the server keeps its hash and can end
  it at any time (logout, disabling an account, idle and absolute timeouts).
- login pending: between a right password and the second-factor code, a signed cookie naming
  the staff member, valid for 5 minutes; no session exists until the code is typed.
- pupil: a signed, timestamped cookie holding exactly the pupil's language, reading level and
  school (its id), and the random handle of their session on the server
  (`school_report.pupil_sessions` knows the step, the report sent and the thread opened; the
  cookie names none of them, so a teacher holding the tablet who decodes it learns nothing
  more than the language). Cookie and session die after 3 minutes idle (Max-Age too, so the
  browser drops it as well); quick exit ends the session on the server and deletes the cookie,
  so a copy taken before opens nothing. Its path is `/`, so that `/exit` receives it.
- pre-session: before logging in, a random key (not signed: it names nobody) that the tokens of
  the login, code and language forms are bound to (`web.staff.render_pre_session`).
"""

import re
import secrets
from dataclasses import asdict, dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from school_report.pupil_sessions import PUPIL_IDLE_SECONDS
from web.security import served_over_https

STAFF_COOKIE = "staff_session"
PUPIL_COOKIE = "pupil_session"


@dataclass
class PupilState:
    language: str = "ja"
    # The reading level the pupil chose (web.i18n.READINGS); None keeps their school's.
    reading: str | None = None
    # The handle of their session on the server (`school_report.pupil_sessions`).
    handle: str | None = None
    school_id: int | None = None


def _serializer(request: Request, namespace: str) -> URLSafeTimedSerializer:
    secret = request.app.state.settings.secret
    return URLSafeTimedSerializer(secret, salt=f"school-report.{namespace}")


def _set_cookie(
    request: Request,
    response: Response,
    name: str,
    value: str,
    path: str,
    max_age: int | None = None,
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="strict",
        secure=served_over_https(request.scope, request.app.state.settings.https),
    )


def read_staff_token(request: Request) -> str | None:
    raw = request.cookies.get(STAFF_COOKIE)
    if not raw:
        return None
    try:
        return str(_serializer(request, "staff").loads(raw))
    except BadSignature:
        return None


def write_staff_token(request: Request, response: Response, token: str) -> None:
    _set_cookie(request, response, STAFF_COOKIE, _serializer(request, "staff").dumps(token), "/")


def forget_staff(response: Response) -> None:
    response.delete_cookie(STAFF_COOKIE, path="/")


def read_pupil_state(request: Request) -> PupilState:
    raw = request.cookies.get(PUPIL_COOKIE)
    if not raw:
        return PupilState()
    try:
        return PupilState(**_serializer(request, "pupil").loads(raw, max_age=PUPIL_IDLE_SECONDS))
    except (BadSignature, TypeError):  # expired, tampered, or from an older version
        return PupilState()


def write_pupil_state(request: Request, response: Response, state: PupilState) -> None:
    """Sign the state afresh, which also restarts its idle clock."""
    value = _serializer(request, "pupil").dumps(asdict(state))
    _set_cookie(request, response, PUPIL_COOKIE, value, "/", max_age=PUPIL_IDLE_SECONDS)


def forget_pupil(response: Response) -> None:
    response.delete_cookie(PUPIL_COOKIE, path="/")
    response.delete_cookie(PUPIL_COOKIE, path="/p/")  # where versions before 15 set it


LOGIN_COOKIE = "staff_login"
# Between a right password and the second-factor code: no session yet, only this.
LOGIN_PENDING_SECONDS = 300


def write_login_pending(request: Request, response: Response, staff_id: int) -> None:
    value = _serializer(request, "staff-login").dumps(staff_id)
    _set_cookie(request, response, LOGIN_COOKIE, value, "/staff/login")


def read_login_pending(request: Request) -> int | None:
    """The staff member whose password was right in the last few minutes, if any."""
    raw = request.cookies.get(LOGIN_COOKIE)
    if not raw:
        return None
    try:
        return int(_serializer(request, "staff-login").loads(raw, max_age=LOGIN_PENDING_SECONDS))
    except (BadSignature, TypeError, ValueError):
        return None


def forget_login_pending(response: Response) -> None:
    response.delete_cookie(LOGIN_COOKIE, path="/staff/login")


PRE_SESSION_COOKIE = "staff_form"
# Long enough for a login page left open over a morning; past it the form is renewed.
PRE_SESSION_SECONDS = 4 * 3600
_PRE_SESSION_KEY = re.compile(r"[A-Za-z0-9_-]{43}")


def new_pre_session_key() -> str:
    return secrets.token_urlsafe(32)


def read_pre_session_key(request: Request) -> str | None:
    key = request.cookies.get(PRE_SESSION_COOKIE, "")
    return key if _PRE_SESSION_KEY.fullmatch(key) else None


def write_pre_session_key(request: Request, response: Response, key: str) -> None:
    _set_cookie(request, response, PRE_SESSION_COOKIE, key, "/staff", PRE_SESSION_SECONDS)


def forget_pre_session_key(response: Response) -> None:
    response.delete_cookie(PRE_SESSION_COOKIE, path="/staff")
