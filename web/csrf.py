"""Cross-site request forgery: one mechanism, two checks.

Every unsafe request must come from this site: its Origin is this site's (and Sec-Fetch-Site,
where the browser sends it, says same-origin). Pages are served with Referrer-Policy
same-origin, under which a browser names the real origin of a form posted to this site; under
no-referrer it would send `Origin: null`, which a sandboxed frame or a data: page anywhere
also sends, so `null` is refused, as is a post without Origin (Sec-Fetch-Site alone included):
every browser still in use sends Origin on a post, so what sends none is a script, which needs
no forgery. "This site" is
SCHOOL_REPORT_BASE_URL once it is set (so a name pointed at the server by DNS rebinding is
another site); with the development default it is the address the request was sent to.

A staff form must also carry a token bound to the staff session, so even a page of this site's
origin that was not served to that session cannot post as them. The forms shown before logging
in (the login, the code, the language switch) bind theirs to a random pre-session key in a
cookie of its own instead (`web.staff.render_pre_session`): the same token, another binding.
"""

import hashlib
import hmac
from urllib.parse import urlsplit

from starlette.requests import Request

from web.config import Settings

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def this_site(request: Request) -> str:
    """The origin forms must come from: the configured base URL's, else the request's own."""
    base_url = request.app.state.settings.base_url
    if base_url == Settings.base_url:  # not configured: a development server
        return f"{request.url.scheme}://{request.url.netloc}"
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    fetch_site = request.headers.get("sec-fetch-site")
    return origin == this_site(request) and fetch_site in (None, "same-origin")


def token_for(request: Request, session_token: str) -> str:
    key = request.app.state.settings.secret.encode()
    return hmac.new(key, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def token_is_valid(request: Request, session_token: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(token_for(request, session_token), str(sent))
